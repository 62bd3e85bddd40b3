"""CityJSON 1.0/1.1/2.0 buildings (LOD1 and LOD2, building parts, semantic surfaces)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from gis_sync import crs as crs_mod
from gis_sync import validation
from gis_sync.errors import CRSError, EmptySourceError, FormatError, GeometryError, SyncError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.records import BuildingRecord, ReadReport
from twin import geodesy

BUILDING_TYPES = {"Building"}
PART_TYPES = {"BuildingPart", "BuildingInstallation", "BuildingConstructiveElement"}


def _moved(xy, src: int, dst: int):
    xs, ys = crs_mod.transform_xy(xy[:, 0], xy[:, 1], src, dst)  # the same operation as the 3D vertices
    return np.column_stack([xs, ys])


@register
class CityJSONFormat(Format):
    """CityJSON buildings; the vertices are decoded with the file's transform and moved to the storage CRS."""

    name = "cityjson"
    kind = "buildings"
    extensions = (".json", ".city.json", ".cityjson")
    has_crs = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        text = head[:4096].replace(b" ", b"")
        if b'"type":"CityJSON"' in text:
            return 95
        return 30 if path.name.lower().endswith((".city.json", ".cityjson")) else 0

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"not valid JSON ({exc})", advice="the file looks truncated or corrupted") from None
        if not isinstance(doc, dict) or doc.get("type") != "CityJSON":
            raise FormatError('the JSON is not a CityJSON document (no "type": "CityJSON")')
        version = str(doc.get("version", ""))
        if not version.startswith(("1.0", "1.1", "2.0")):
            raise FormatError(f"CityJSON version {version!r} is not supported", advice="convert it with cjio upgrade")
        ref = (doc.get("metadata") or {}).get("referenceSystem")
        declared = crs_mod.srid_from_name(ref) if ref else None
        if ref and declared is None:
            report.warn(f"referenceSystem {ref!r} names no known CRS", field="referenceSystem")
        try:
            srid = crs_mod.resolve_srid(declared, opts.srid, file=str(path), what="the CityJSON file")
        except CRSError as exc:
            exc.advice = (
                "the CityJSON metadata has no referenceSystem: pass --srid (e.g. 7415 for Dutch "
                "RD New + NAP, 2154 for Lambert-93) or add it with `cjio file.city.json crs_assign`"
            )
            raise
        report.source_srid = srid
        tf = doc.get("transform") or {"scale": [1, 1, 1], "translate": [0, 0, 0]}
        try:
            scale, translate = tf["scale"], tf["translate"]
            validation.check_coords([scale, translate], feature_id=None, field="transform")
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SyncError):
                raise
            raise FormatError(f"bad transform ({type(exc).__name__}: {exc})", field="transform") from None
        try:
            verts = [
                (v[0] * scale[0] + translate[0], v[1] * scale[1] + translate[1], v[2] * scale[2] + translate[2])
                for v in doc["vertices"]
            ]
        except (KeyError, IndexError, TypeError) as exc:
            raise FormatError(f"bad vertices array ({exc})", field="vertices") from None
        if not verts:
            raise EmptySourceError("the CityJSON file has no vertex")
        objects: dict[str, Any] = doc.get("CityObjects") or {}
        if not isinstance(objects, dict):
            raise FormatError("CityObjects is not an object", field="CityObjects")
        bad, broken = self._bad_vertices(verts, objects, path, report)
        good = [v for i, v in enumerate(verts) if i not in bad]
        xs, ys = [v[0] for v in good or verts], [v[1] for v in good or verts]
        crs_mod.check_area_of_use(srid, (min(xs), min(ys), max(xs), max(ys)), file=str(path))
        # A bad vertex belongs to a CityObject already refused above; it stands in as a good one so that the
        # transformation (which refuses non-finite output) sees only real positions and indices stay aligned.
        stand_in = good[0] if good else None
        moved = crs_mod.transform_coords(
            [stand_in if i in bad else v for i, v in enumerate(verts)] if stand_in else verts,
            srid,
            opts.storage_srid,
            file=str(path),
        )
        if crs_mod.vertical_datum_name(srid):
            # A compound referenceSystem (RD New + NAP): heights moved to the storage height system with it.
            report.heights_moved = True
            datum = crs_mod.storage_vertical_name(opts.storage_srid)
        else:
            datum = opts.vertical_datum
            if not datum:
                geodesy.note(
                    f"{path.name}: referenceSystem {ref or srid} states no height system; heights "
                    f"taken as {crs_mod.storage_vertical_name(opts.storage_srid)}"
                )
        records = []
        for oid, obj in objects.items():
            report.members += 1
            if oid in broken:
                continue
            if not isinstance(obj, dict):
                self._feature_error(
                    report, FormatError("the CityObject is not a JSON object", feature_id=oid), "?", path
                )
                continue
            otype = obj.get("type", "")
            if otype in PART_TYPES and obj.get("parents"):
                if not any(p in objects for p in obj["parents"]):
                    report.reject(oid, otype, "its parent building is not in the file")
                else:
                    report.metadata[otype] += 1  # folded into its parent building below
                continue
            if otype not in BUILDING_TYPES:
                report.reject(oid, otype, f"{otype} is not a building: not imported by the buildings reader")
                continue
            try:
                records.append(self._building(oid, obj, objects, verts, moved, srid, opts, datum, report))
            except SyncError as exc:
                exc.feature_id = exc.feature_id or oid
                self._feature_error(report, exc, otype, path)
                continue
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
                # A boundary or semantics array of the wrong shape: the object is malformed, not the reader.
                error = FormatError(
                    f"malformed geometry or attributes ({type(exc).__name__}: {exc})", feature_id=oid, field="geometry"
                )
                self._feature_error(report, error, otype, path)
                continue
            report.imported[otype] += 1
        if not objects:
            raise EmptySourceError("the CityJSON file has no CityObject")
        return records

    def _building(self, oid, obj, objects, src_verts, verts, srid, opts: ReadOptions, datum, report) -> BuildingRecord:
        members = [obj] + [objects[c] for c in obj.get("children", []) if c in objects]
        min_area = 1e-16 if crs_mod.crs_for(srid).is_geographic else 1e-6
        grounds: list[Polygon] = []
        projections: list[Polygon] = []
        surfaces: list[dict[str, Any]] = []
        zs: list[float] = []
        lods: list[str] = []
        for member in members:
            geom = self._pick_lod(member.get("geometry") or [], opts.lod)
            if geom is None:
                continue
            lods.append(str(geom.get("lod")))
            for surface, semantic in self._surfaces(geom):
                rings = [[verts[i] for i in ring] for ring in surface]
                if not rings or len(rings[0]) < 3:
                    raise GeometryError("a surface has fewer than 3 vertices", feature_id=oid, field="geometry")
                zs.extend(p[2] for ring in rings for p in ring)
                # Footprints are built in the source CRS: the area test is about a square millimetre (1e-6 m²,
                # or 1e-16 deg² for a geographic CRS, a degree squared being about 9e9 m² near 45°).
                src = [[src_verts[i] for i in ring] for ring in surface]
                poly = Polygon([p[:2] for p in src[0]], [[p[:2] for p in r] for r in src[1:]])
                if poly.area > min_area:
                    projections.append(poly if poly.is_valid else shapely.make_valid(poly))
                    if semantic == "GroundSurface":
                        grounds.append(poly if poly.is_valid else shapely.make_valid(poly))
                if semantic:
                    surfaces.append({"type": semantic, "rings": rings})
        if not zs:
            raise GeometryError("the building has no geometry", feature_id=oid, field="geometry")
        footprint = shapely.union_all(grounds or projections)
        footprint = shapely.make_valid(footprint) if not footprint.is_valid else footprint
        if footprint.geom_type not in ("Polygon", "MultiPolygon"):
            polys = [g for g in getattr(footprint, "geoms", []) if g.geom_type == "Polygon"]
            footprint = shapely.MultiPolygon(polys)
        if srid != opts.storage_srid:
            footprint = shapely.transform(footprint, lambda xy: _moved(xy, srid, opts.storage_srid))
        ground_z, roof_z = min(zs), max(zs)
        attrs = dict(obj.get("attributes") or {})
        attrs["parts"] = list(obj.get("children", []))
        storeys = _checked(attrs.get("storeysAboveGround"), oid, "storeysAboveGround", 0, 500)
        year = _checked(attrs.get("yearOfConstruction"), oid, "yearOfConstruction", 0, 3000)
        lod = max(lods) if lods else None
        return BuildingRecord(
            source_id=oid,
            footprint_wkt=footprint.wkt,
            srid=opts.storage_srid,
            ground_z=ground_z,
            roof_z=roof_z,
            height=roof_z - ground_z,
            storeys=int(storeys) if isinstance(storeys, (int, float)) else None,
            use=attrs.get("function") or attrs.get("usage"),
            year=int(year) if isinstance(year, (int, float)) else None,
            lod=lod,
            lod2_surfaces=surfaces if lod and lod.startswith("2") else None,
            vertical_datum=datum,
            z_from_coordinates=True,
            attributes=attrs,
        )

    def _bad_vertices(
        self, verts, objects: dict[str, Any], path: Path, report: ReadReport
    ) -> tuple[set[int], set[str]]:
        """(indices of vertices with a non-finite or out-of-range coordinate, ids of the CityObjects using them);
        each such object is a feature error, found before anything is read into records."""
        bad = {int(i) for i in validation.bad_rows(np.array(verts, dtype=float))}
        if not bad:
            return bad, set()
        used_somewhere: set[int] = set()
        broken: set[str] = set()
        for oid, obj in objects.items():
            geoms = obj.get("geometry") if isinstance(obj, dict) else None
            used = bad.intersection(_indices([g.get("boundaries") for g in geoms or [] if isinstance(g, dict)]))
            used_somewhere |= used
            if used:
                broken.add(oid)
                for parent in obj.get("parents") or []:  # a part's surfaces are read into its building
                    if parent in objects and parent not in broken:
                        broken.add(parent)
                        self._feature_error(
                            report,
                            GeometryError(
                                f"its part {oid} has a vertex with a non-finite or out-of-range coordinate",
                                feature_id=parent,
                                field="children",
                            ),
                            "Building",
                            path,
                        )
                i = min(used)
                error = GeometryError(
                    f"vertex {i} {tuple(verts[i])} has a non-finite or out-of-range coordinate",
                    feature_id=oid,
                    field=f"vertices[{i}]",
                    advice="fix the vertex in the source and export again",
                )
                self._feature_error(report, error, obj.get("type", "?"), path)
        for i in sorted(bad - used_somewhere)[:5]:
            report.warn(
                f"vertex {i} {tuple(verts[i])} has a non-finite or out-of-range coordinate (used by no CityObject)",
                field=f"vertices[{i}]",
            )
        return bad, broken

    @staticmethod
    def _pick_lod(geoms: list[dict], wanted: str | None) -> dict | None:
        usable = [
            g
            for g in geoms
            if g.get("type") in ("Solid", "MultiSurface", "CompositeSurface", "CompositeSolid", "MultiSolid")
        ]
        if wanted:
            usable = [g for g in usable if str(g.get("lod")) <= wanted] or usable
        return max(usable, key=lambda g: str(g.get("lod")), default=None)

    @staticmethod
    def _surfaces(geom: dict):
        """(rings as vertex indices, semantic type or None) of every surface of a geometry."""
        sem = geom.get("semantics") or {}
        sem_surfaces = sem.get("surfaces") or []
        values = sem.get("values")
        gtype = geom["type"]
        b = geom["boundaries"]
        shells: list[tuple[list, Any]]
        if gtype in ("MultiSurface", "CompositeSurface"):
            shells = [(b, values)]
        elif gtype == "Solid":
            shells = [(shell, values[i] if values else None) for i, shell in enumerate(b)]
        else:  # MultiSolid / CompositeSolid
            shells = [
                (shell, values[i][j] if values else None) for i, solid in enumerate(b) for j, shell in enumerate(solid)
            ]
        for shell, vals in shells:
            for k, surface in enumerate(shell):
                idx = vals[k] if vals else None
                semantic = sem_surfaces[idx]["type"] if idx is not None and idx < len(sem_surfaces) else None
                yield surface, semantic


def _indices(node: Any):
    """Every vertex index in nested boundary arrays."""
    if isinstance(node, int):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _indices(item)


def _checked(value: Any, oid: str, field: str, low: float, high: float) -> Any:
    """A numeric attribute checked as a count or a year; anything else is kept as delivered."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        validation.check_number(value, feature_id=oid, field=field, low=low, high=high)
    return value
