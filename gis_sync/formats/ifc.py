"""IFC planning models through ifcopenshell: world-coordinate triangles placed by the file or by the importer."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from gis_sync import crs as crs_mod
from gis_sync.errors import CRSError, FormatError, PlacementError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.placement import placement_from_map_conversion, placement_from_reference_point
from gis_sync.records import MeshPart, Placement, ProjectModelRecord, ReadReport

NOT_SHOWN = {"IfcOpeningElement", "IfcSpace", "IfcAnnotation", "IfcVirtualElement"}


def _dms(value: Any) -> float | None:
    """IfcCompoundPlaneAngleMeasure (degrees, minutes, seconds, millionths of a second; every part carries the
    sign) to decimal degrees."""
    if not value:
        return None
    parts = [float(p) for p in value] + [0.0] * (4 - len(value))
    sign = -1.0 if any(p < 0 for p in parts[:4]) else 1.0
    d, m, s, u = (abs(p) for p in parts[:4])
    return sign * (d + m / 60 + (s + u / 1e6) / 3600)


def placement_from_ifc(model: Any, storage_srid: int, report: ReadReport) -> Placement | None:
    """IfcMapConversion (IFC4) first, then IfcSite's RefLatitude/RefLongitude/RefElevation with the model's
    TrueNorth; None when the file has neither. Vertices must then be in metres, world coordinates."""
    # ifcopenshell is imported where an IFC file is read, in this module's functions: it takes 0.3-0.5 s to import
    # and every sync loads all the format modules (formats._load), whatever the file.
    import ifcopenshell.util.unit

    unit = float(ifcopenshell.util.unit.calculate_unit_scale(model))  # metres per project length unit
    conversions = model.by_type("IfcMapConversion") if model.schema != "IFC2X3" else []
    if conversions:
        return _from_map_conversion(conversions[0], unit, storage_srid, report)
    for site in model.by_type("IfcSite"):
        lat, lon = _dms(site.RefLatitude), _dms(site.RefLongitude)
        if lat is None or lon is None:
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise PlacementError(
                f"IfcSite {site.GlobalId} RefLatitude/RefLongitude {lat:.6f}, {lon:.6f} are not a place on Earth",
                feature_id=site.GlobalId,
                field="IfcSite.RefLatitude",
                advice="write them as degrees, minutes, seconds, millionths, with the sign on each",
            )
        return _from_site(model, site, lat, lon, unit, storage_srid, report)
    return None


def _from_map_conversion(conv: Any, unit: float, storage_srid: int, report: ReadReport) -> Placement:
    target = conv.TargetCRS
    name = getattr(target, "Name", None)
    srid = crs_mod.srid_from_name(name)
    if srid is None:
        raise PlacementError(
            f"IfcMapConversion targets {name!r}, which names no EPSG coordinate reference system",
            field="IfcProjectedCRS.Name",
            advice="name the CRS as 'EPSG:<code>' in IfcProjectedCRS.Name (e.g. EPSG:2154 for Lambert-93)",
        )
    try:
        crs = crs_mod.crs_for(srid)
    except CRSError as exc:
        raise PlacementError(
            f"IfcMapConversion targets {name!r}: {exc.message}",
            field="IfcProjectedCRS.Name",
            advice="name a CRS that PROJ knows in IfcProjectedCRS.Name",
        ) from None
    if not crs.is_projected:
        raise PlacementError(
            f"IfcMapConversion targets {name!r} ({crs.name}), which is not a projected CRS: "
            "Eastings and Northings need one",
            field="IfcProjectedCRS.Name",
            advice="convert the map conversion to a projected CRS (e.g. EPSG:2154), or remove it "
            "and give IfcSite RefLatitude/RefLongitude",
        )
    map_unit = _map_unit(target, crs)
    # Scale turns model lengths (project units) into map lengths (map units); the vertices are in metres.
    scale = (conv.Scale if conv.Scale is not None else 1.0) * map_unit / unit
    if not 0.99 < scale < 1.01:
        raise PlacementError(
            f"IfcMapConversion Scale {conv.Scale} with a project length unit of {unit:g} m and a map unit of "
            f"{map_unit:g} m makes the model {scale:g} times its size",
            field="IfcMapConversion.Scale",
            advice="set Scale to (project unit in metres) / (map unit in metres) times the grid scale factor, "
            "e.g. 0.001 for a model in millimetres on a map in metres",
        )
    height = (conv.OrthogonalHeight or 0.0) * map_unit
    datum = getattr(target, "VerticalDatum", None) or crs_mod.vertical_datum_name(srid)
    _say_height_datum(report, datum, f"OrthogonalHeight {height:.3f} m", "IfcMapConversion.OrthogonalHeight")
    ax = conv.XAxisAbscissa if conv.XAxisAbscissa is not None else 1.0
    ay = conv.XAxisOrdinate if conv.XAxisOrdinate is not None else 0.0
    placement = placement_from_map_conversion(
        conv.Eastings * map_unit, conv.Northings * map_unit, height, (ax, ay), scale, srid, storage_srid
    )
    report.notes.append(
        f"IfcMapConversion to EPSG:{srid} ({crs.name}): E {conv.Eastings}, N {conv.Northings}, "
        f"x axis turned {math.degrees(math.atan2(ay, ax)):.4f}° from east, scale {scale:.6f}"
    )
    return placement


def _map_unit(target: Any, crs: Any) -> float:
    """Metres per map unit: IfcProjectedCRS.MapUnit, else the CRS's own axis unit."""
    import ifcopenshell.util.unit

    unit = getattr(target, "MapUnit", None)
    if unit is not None:
        return float(ifcopenshell.util.unit.get_unit_scale(unit))
    axes = crs.axis_info
    factor = axes[0].unit_conversion_factor if axes else None
    return float(factor) if factor and not crs.is_geographic else 1.0


def _from_site(
    model: Any, site: Any, lat: float, lon: float, unit: float, storage_srid: int, report: ReadReport
) -> Placement:
    import ifcopenshell.util.placement

    # The reference latitude/longitude/elevation are those of the site's own origin, wherever it is placed.
    origin = (0.0, 0.0, 0.0)
    if site.ObjectPlacement is not None:
        m = ifcopenshell.util.placement.get_local_placement(site.ObjectPlacement)
        origin = (float(m[0][3]) * unit, float(m[1][3]) * unit, float(m[2][3]) * unit)
    north, said = _true_north(model)
    height = (site.RefElevation or 0.0) * unit
    _say_height_datum(report, None, f"IfcSite RefElevation {height:.3f} m", "IfcSite.RefElevation")
    report.warn(
        f"placed from IfcSite {site.GlobalId} reference latitude {lat:.7f}, longitude {lon:.7f} and "
        f"{said}: as accurate as those references (a millionth of a second is 3 cm)",
        feature_id=site.GlobalId,
        field="IfcSite.RefLatitude",
    )
    return placement_from_reference_point(lon, lat, height, north, origin, storage_srid)


def _true_north(model: Any) -> tuple[float, str]:
    """Azimuth (degrees clockwise from true north) of the model's +Y axis, and how it was found."""
    contexts = [
        c
        for c in model.by_type("IfcGeometricRepresentationContext")
        if not c.is_a("IfcGeometricRepresentationSubContext")
    ]
    contexts.sort(key=lambda c: c.ContextType != "Model")
    for context in contexts:
        north = context.TrueNorth
        if north is None:
            continue
        tx, ty = (float(v) for v in north.DirectionRatios[:2])
        if math.hypot(tx, ty) == 0:
            continue
        # TrueNorth is north's direction in model x, y: +Y sits (angle of north - 90°) clockwise of it.
        azimuth = (math.degrees(math.atan2(ty, tx)) - 90.0 + 180.0) % 360.0 - 180.0
        return azimuth, f"TrueNorth ({tx:.6g}, {ty:.6g}), the model's +Y {azimuth:.4f}° east of true north"
    return 0.0, "no TrueNorth (the model's +Y taken as true north)"


def _say_height_datum(report: ReadReport, datum: str | None, what: str, field: str) -> None:
    if datum and ("NGF" in datum.upper() or "IGN69" in datum.upper()):
        return
    if datum:
        report.warn(
            f"{what} is in {datum}: kept as delivered, as if it were NGF-IGN69 (no grid links them here; "
            "expect a difference of some decimetres)",
            field=field,
        )
    else:
        report.warn(f"{what}: the file names no height datum, NGF-IGN69 (the twin's) assumed", field=field)


def place(vertices: list[tuple[float, float, float]], p: Placement) -> list[tuple[float, float, float]]:
    """Local model metres (x east, y north, z up) to storage coordinates: scale, rotate about z, translate."""
    c, s = math.cos(math.radians(p.rotation_deg)), math.sin(math.radians(p.rotation_deg))
    k = p.scale
    kz = p.scale if p.scale_z is None else p.scale_z
    return [(p.x + k * (c * x - s * y), p.y + k * (s * x + c * y), p.elevation + kz * z) for x, y, z in vertices]


@register
class IfcFormat(Format):
    """IFC2X3/IFC4 models: one mesh part per product with a body representation."""

    name = "ifc"
    kind = "project"
    extensions = (".ifc",)
    has_crs = True  # only when the file has IfcMapConversion or IfcSite references
    needs_placement = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        if head.startswith(b"ISO-10303-21") and b"IFC" in head[:2000].upper():
            return 95
        return super().sniff(path, head)

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        import ifcopenshell
        import ifcopenshell.geom

        try:
            model = ifcopenshell.open(str(path))
        except Exception as exc:  # noqa: BLE001 - ifcopenshell raises bare errors on broken STEP files
            raise FormatError(f"ifcopenshell cannot read it ({exc})") from None
        placement = placement_from_ifc(model, opts.storage_srid, report)
        if placement is None:
            if opts.placement is None:
                raise PlacementError(
                    "the IFC model has neither IfcMapConversion nor IfcSite reference latitude/longitude",
                    advice=f"pass a placement: origin x, y in EPSG:{opts.storage_srid}, rotation in degrees and "
                    "elevation in metres",
                )
            placement = opts.placement
        elif opts.placement is not None:
            report.warn(f"the file's own placement ({placement.source}) wins over the one given", field="placement")
        report.notes.append(f"placement from {placement.source}")
        settings = ifcopenshell.geom.settings()
        settings.set("use-world-coords", True)
        parts: list[MeshPart] = []
        products = model.by_type("IfcProduct")
        report.members = len(products)
        it = ifcopenshell.geom.iterator(settings, model)
        seen: set[int] = set()
        if it.initialize():
            while True:
                shape = it.get()
                element = model.by_id(shape.id)
                seen.add(shape.id)
                if element.is_a() in NOT_SHOWN:
                    # Openings are already cut out of their hosts; spaces are air.
                    if not it.next():
                        break
                    continue
                v = shape.geometry.verts
                f = shape.geometry.faces
                local = [(v[i], v[i + 1], v[i + 2]) for i in range(0, len(v), 3)]
                faces = [(f[i], f[i + 1], f[i + 2]) for i in range(0, len(f), 3)]
                if faces:
                    parts.append(
                        MeshPart(
                            name=element.Name or element.is_a(),
                            vertices=place(local, placement),
                            faces=faces,
                            element_type=element.is_a(),
                            guid=element.GlobalId,
                        )
                    )
                    report.imported[element.is_a()] += 1
                else:
                    report.reject(element.GlobalId, element.is_a(), "no triangles in its body representation")
                if not it.next():
                    break
        for product in products:
            if product.id() not in seen:
                report.metadata[product.is_a()] += 1  # spatial structure and products without a body
        if not parts:
            raise FormatError("the model has no body geometry to show", advice="export it with body representations")
        report.srid = opts.storage_srid
        return [
            ProjectModelRecord(
                source_id=path.stem,
                file_path=str(path.resolve()),
                format="ifc",
                srid=opts.storage_srid,
                placement=placement,
                parts=parts,
                vertical_datum=opts.vertical_datum,
                attributes={"schema": model.schema},
            )
        ]
