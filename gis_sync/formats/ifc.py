"""IFC planning models through ifcopenshell: world-coordinate triangles placed by the file or by the importer."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from gis_sync import crs as crs_mod
from gis_sync.errors import FormatError, PlacementError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.records import MeshPart, Placement, ProjectModelRecord, ReadReport


NOT_SHOWN = {"IfcOpeningElement", "IfcSpace", "IfcAnnotation", "IfcVirtualElement"}


def _dms(value: Any) -> float | None:
    """IfcCompoundPlaneAngleMeasure (deg, min, s, millionths) to decimal degrees."""
    if not value:
        return None
    parts = list(value) + [0] * (4 - len(value))
    sign = -1.0 if any(p < 0 for p in parts[:4]) else 1.0
    d, m, s, u = (abs(p) for p in parts[:4])
    return sign * (d + m / 60 + (s + u / 1e6) / 3600)


def placement_from_ifc(model: Any, storage_srid: int, report: ReadReport) -> Placement | None:
    """IfcMapConversion (IFC4) first, then IfcSite's RefLatitude/RefLongitude/RefElevation."""
    for conv in model.by_type("IfcMapConversion") if model.schema != "IFC2X3" else []:
        target = conv.TargetCRS
        srid = crs_mod.srid_from_name(getattr(target, "Name", None)) if target else None
        if srid is None:
            report.warn(f"IfcMapConversion targets {getattr(target, 'Name', None)!r}, not an EPSG CRS: ignored",
                        field="IfcMapConversion")
            continue
        x, y = conv.Eastings, conv.Northings
        ax, ay = conv.XAxisAbscissa or 1.0, conv.XAxisOrdinate or 0.0
        rotation = math.degrees(math.atan2(ay, ax))
        if srid != storage_srid:
            # The model's x axis is drawn in the target CRS's grid: carry a point 100 m along it too, since the two
            # grids' norths differ by their meridian convergences (about 4° between UTM 32N and Lambert-93).
            k = 100.0 / math.hypot(ax, ay)
            xs, ys = crs_mod.transform_xy([x, x + k * ax], [y, y + k * ay], srid, storage_srid)
            x, y = xs[0], ys[0]
            rotation = math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0]))
        return Placement(x=x, y=y, rotation_deg=rotation,
                         elevation=conv.OrthogonalHeight or 0.0, scale=conv.Scale or 1.0, source="IfcMapConversion")
    for site in model.by_type("IfcSite"):
        lat, lon = _dms(site.RefLatitude), _dms(site.RefLongitude)
        if lat is None or lon is None:
            continue
        x, y = crs_mod.lonlat_to(storage_srid, lon, lat)
        # Model y is taken as true north; the grid is turned by the meridian convergence at the site.
        rotation = -crs_mod.grid_convergence_deg(storage_srid, lon, lat)
        report.warn("placed from IfcSite reference latitude/longitude: about a metre of accuracy",
                    field="IfcSite.RefLatitude")
        return Placement(x=x, y=y, rotation_deg=rotation, elevation=site.RefElevation or 0.0, source="IfcSite")
    return None


def place(vertices: list[tuple[float, float, float]], p: Placement) -> list[tuple[float, float, float]]:
    """Local model metres (x east, y north, z up) to storage coordinates: scale, rotate about z, translate."""
    c, s = math.cos(math.radians(p.rotation_deg)), math.sin(math.radians(p.rotation_deg))
    k = p.scale
    return [(p.x + k * (c * x - s * y), p.y + k * (s * x + c * y), p.elevation + k * z) for x, y, z in vertices]


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
                    advice="pass a placement: origin x, y in EPSG:%d, rotation in degrees and elevation in metres"
                    % opts.storage_srid,
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
                    parts.append(MeshPart(name=element.Name or element.is_a(), vertices=place(local, placement),
                                          faces=faces, element_type=element.is_a(), guid=element.GlobalId))
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
        return [ProjectModelRecord(
            source_id=path.stem, file_path=str(path.resolve()), format="ifc", srid=opts.storage_srid,
            placement=placement, parts=parts, vertical_datum=opts.vertical_datum,
            attributes={"schema": model.schema},
        )]
