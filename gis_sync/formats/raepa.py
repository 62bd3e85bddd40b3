"""RAEPA (COVADIS/CNIG water and sewer standard) GeoPackage or shapefile layers: pipes, fittings, structures."""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import shapely

from gis_sync import crs as crs_mod
from gis_sync.errors import CodeListError, EmptySourceError, FieldValueError, GeometryError, SyncError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.formats.ogr_layers import (
    FeatureGeometry,
    OgrSource,
    check_text,
    feature_attributes,
    field_lookup,
    layer_srid,
    raw_value,
    single_line,
    to_number,
    to_year,
)
from gis_sync.formats.ogr_values import iter_values
from gis_sync.records import NetworkNodeRecord, NetworkSegmentRecord, ReadReport
from twin.depth import DepthObservation, compute_axis

# Code lists of the RAEPA standard (COVADIS 2015, CNIG), as the reference SQL of the standard lists them.
MATERIAU = {
    "00": None,
    "01": "steel",
    "02": "asbestos",
    "03": "reinforcedConcrete",
    "04": "reinforcedConcrete",
    "05": "compositeConcrete",
    "06": "concrete",
    "07": "other",
    "08": "asbestos",
    "09": "FRP",
    "10": "asbestos",
    "11": "castIron",
    "12": "castIron",
    "13": "clay",
    "14": "masonry",
    "15": "masonry",
    "16": "PE",
    "17": "PE",
    "18": "PE",
    "19": "other",
    "20": "PP",
    "21": "PP",
    "22": "FRP",
    "23": "FRP",
    "24": "PVC",
    "25": "PVC",
    "26": "PVC",
    "27": "PVC",
    "28": "galvanizedSteel",
    "99": "other",
}
QUALGLOC = {"01": "A", "02": "B", "03": "C"}
TYPRESEAU = {"01": "stormwater", "02": "sewer", "03": "sewer"}
CODE_LISTS: dict[str, set[str]] = {
    "materiau": set(MATERIAU),
    "qualglocxy": set(QUALGLOC),
    "qualglocz": set(QUALGLOC),
    "typreseau": set(TYPRESEAU),
    "modecirc": {"00", "01", "02", "03", "99"},
    "contcanaep": {"00", "01", "02", "99"},
    "fonccanaep": {"00", "01", "02", "99"},
    "contcanass": {"00", "01", "02", "03", "99"},
    "fonccanass": {"00", "01", "02", "99"},
    "fnappaep": {"00", "01", "02", "03", "04", "05", "06", "07", "08", "99"},
    "fnappass": {"00", "01", "02", "03", "04", "99"},
    "fnouvaep": {"00", "01", "02", "03", "04", "05", "99"},
    "fnouvass": {"00", "01", "02", "03", "04", "05", "06", "07", "99"},
    "qualannee": {"00", "01", "02", "03", "04", "05"},
}
APP_NODE_TYPES = {
    "01": "connection",
    "02": "air_valve",
    "03": "valve",
    "04": "drain",
    "05": "pressure_regulator",
    "06": "hydrant",
    "07": "meter",
    "08": "flow_meter",
}
APPASS_NODE_TYPES = {"01": "connection", "02": "air_valve", "03": "valve", "04": "flow_meter"}
OUVAEP_NODE_TYPES = {
    "01": "pumping_station",
    "02": "treatment_plant",
    "03": "reservoir",
    "04": "meter_chamber",
    "05": "intake",
}
OUVASS_NODE_TYPES = {
    "01": "pumping_station",
    "02": "treatment_plant",
    "03": "storage_basin",
    "04": "overflow",
    "05": "outfall",
    "06": "manhole",
    "07": "gully",
}
LAYERS = {
    "raepa_canalaep_l": ("segment", "water"),
    "raepa_canalass_l": ("segment", "sewer"),
    "raepa_apparaep_p": ("fitting", "water"),
    "raepa_apparass_p": ("fitting", "sewer"),
    "raepa_ouvraep_p": ("structure", "water"),
    "raepa_ouvrass_p": ("structure", "sewer"),
}
INVERSE_FLOW = {"I", "2", "INVERSE"}


@register
class RaepaFormat(Format):
    """RAEPA layers (raepa_canalaep_l, raepa_canalass_l, raepa_appar*_p, raepa_ouvr*_p) in a GeoPackage,
    a shapefile or a folder of shapefiles. Depth from zamont/zaval (invert levels) and profgen (cover)."""

    name = "raepa"
    kind = "network"
    extensions = (".gpkg", ".shp")
    provides_depth = True
    has_crs = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return 90 if any(p.stem.lower() in LAYERS for p in path.glob("*.[sS][hH][pP]")) else 0
        if path.suffix.lower() == ".shp" and path.stem.lower() in LAYERS:
            return 90
        if path.suffix.lower() == ".gpkg" and b"raepa_" in head.lower():
            return 90  # table names sit in the first pages of the SQLite file
        if path.suffix.lower() == ".gpkg":
            try:
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                    names = {r[0].lower() for r in db.execute("SELECT table_name FROM gpkg_contents")}
                return 90 if names & set(LAYERS) else 0
            except Exception:  # noqa: BLE001 - sniffing must never fail
                return 0
        return 0

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        source = OgrSource(path, opts.encoding)
        names = [lay.name for lay in source.layers(opts.layer) if lay.name.lower() in LAYERS]
        others = [lay.name for lay in source.layers() if lay.name.lower() not in LAYERS]
        for name in others:
            report.notes.append(f"layer {name} is not a RAEPA layer: not read")
        if not names:
            raise EmptySourceError("no RAEPA layer (raepa_canalaep_l, raepa_canalass_l, ...) in the dataset")
        segments: list[NetworkSegmentRecord] = []
        nodes: list[NetworkNodeRecord] = []
        for name in names:
            layer = check_text(source, name, report)
            if len(layer) == 0:
                report.warn(f"layer {name} is empty")
                continue
            srid = layer_srid(layer, opts, path, report)
            report.source_srid = srid
            crs_mod.check_area_of_use(srid, layer.extent.tuple, file=str(path))
            role, default_net = LAYERS[name.lower()]
            fields = field_lookup(layer)
            soft: Counter = Counter()
            for feature in iter_values(layer, source.encoding):
                report.members += 1
                ident_field = {"segment": "idcana", "fitting": "idappareil", "structure": "idouvrage"}[role]
                ident = raw_value(feature, fields[ident_field]) if ident_field in fields else None
                fid = f"{name}.{ident or feature.fid}"
                try:
                    geom = FeatureGeometry.read(feature, fid, srid, opts.storage_srid)
                    values = self._codes(feature, fid, fields, soft)
                    if role == "segment":
                        segments.append(self._segment(feature, fid, name, geom, values, fields, default_net, opts))
                    else:
                        nodes.append(self._node(feature, fid, name, role, geom, values, fields, default_net, opts))
                except SyncError as exc:
                    self._feature_error(report, exc, name, path)
                    continue
                report.imported[name] += 1
            for message, count in soft.items():
                report.warn(f"layer {name}: {message} ({count} features)")
        return [*segments, *nodes]

    @staticmethod
    def _codes(feature: Any, fid: str, fields: dict[str, str], soft: Counter) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        for field, allowed in CODE_LISTS.items():
            if field not in fields:
                continue
            raw = raw_value(feature, fields[field])
            if raw is None:
                soft[f"empty {field} left empty"] += 1
                values[field] = None
                continue
            code = str(raw).strip()
            if isinstance(raw, (int, float)) and not math.isfinite(raw):
                raise CodeListError(f"{raw!r} is not a code of the RAEPA list {field}", feature_id=fid, field=field)
            if isinstance(raw, (int, float)) or (code.isdigit() and len(code) == 1):
                code = f"{int(float(code)):02d}"  # shapefiles often lose the leading zero
            if code not in allowed:
                raise CodeListError(
                    f"{raw!r} is not a code of the RAEPA list {field}",
                    feature_id=fid,
                    field=field,
                    advice=f"use one of: {', '.join(sorted(allowed))}",
                )
            values[field] = code
        return values

    def _segment(self, feature, fid, layer_name, geom, codes, fields, default_net, opts) -> NetworkSegmentRecord:
        geom = single_line(geom, fid)
        coords = [tuple(float(v) for v in c) for c in shapely.get_coordinates(geom, include_z=geom.has_z)]

        def num(f):
            return to_number(raw_value(feature, fields[f]), fid, f) if f in fields else None

        diameter = num("diametre")
        net = TYPRESEAU.get(codes.get("typreseau") or "", default_net)
        seg = NetworkSegmentRecord(
            source_id=str(raw_value(feature, fields["idcana"]) if "idcana" in fields else fid),
            feature_type=layer_name,
            network_type=net,
            geometry_wkt=geom.wkt,
            srid=opts.storage_srid,
            coords=coords,
            material=MATERIAU.get(codes.get("materiau") or ""),
            nominal_diameter_mm=diameter,
            outer_diameter_mm=diameter,
            inner_diameter_mm=diameter,
            precision_xy=QUALGLOC.get(codes.get("qualglocxy") or ""),
            precision_z=QUALGLOC.get(codes.get("qualglocz") or ""),
            status={"O": "functional", "N": "disused"}.get(
                str(raw_value(feature, fields["enservice"]) or "") if "enservice" in fields else ""
            ),
            install_year=to_year(raw_value(feature, fields["anfinpose"]), fid, "anfinpose")
            if "anfinpose" in fields
            else None,
            operator=raw_value(feature, fields["gexploit"]) if "gexploit" in fields else None,
            attributes=feature_attributes(feature),
        )
        if diameter is not None and diameter <= 0:
            raise FieldValueError(f"diameter {diameter} mm is not positive", feature_id=fid, field="diametre")
        length = geom.length
        inverse = (
            str(raw_value(feature, fields["sensecoul"]) or "").upper() in INVERSE_FLOW
            if "sensecoul" in fields
            else False
        )
        for field, at_start in (("zamont", True), ("zaval", False)):
            z = num(field)
            if z is not None:
                start = at_start != inverse
                seg.depth_observations.append(
                    DepthObservation(
                        "invert", z, position=0.0 if start else length, source=field, precision_z=seg.precision_z
                    )
                )
        profgen = num("profgen")
        if profgen is not None:
            seg.depth_observations.append(
                DepthObservation("cover", profgen, position=None, source="profgen", precision_z=seg.precision_z)
            )
        seg.axis = compute_axis(
            coords,
            seg.depth_observations,
            outer_diameter_mm=diameter,
            inner_diameter_mm=diameter,
            network_type=net,
            precision_z=seg.precision_z,
            terrain_z=opts.terrain_z,
        )
        return seg

    def _node(self, feature, fid, layer_name, role, geom, codes, fields, default_net, opts) -> NetworkNodeRecord:
        if geom.geom_type != "Point":
            raise GeometryError(f"a node must be a point, got {geom.geom_type}", feature_id=fid, field="geometry")
        low = layer_name.lower()
        aep = low.endswith("aep_p")
        if role == "fitting":
            table = APP_NODE_TYPES if aep else APPASS_NODE_TYPES
            code = codes.get("fnappaep" if aep else "fnappass")
        else:
            table = OUVAEP_NODE_TYPES if aep else OUVASS_NODE_TYPES
            code = codes.get("fnouvaep" if aep else "fnouvass")
        z = to_number(raw_value(feature, fields["z"]), fid, "z") if "z" in fields else None
        ident = "idappareil" if role == "fitting" else "idouvrage"
        return NetworkNodeRecord(
            source_id=str(raw_value(feature, fields[ident]) if ident in fields else fid),
            feature_type=layer_name,
            node_type=table.get(code or "", role),
            network_type=TYPRESEAU.get(codes.get("typreseau") or "", default_net),
            geometry_wkt=shapely.force_2d(geom).wkt,
            srid=opts.storage_srid,
            z=z,
            z_kind="altitude" if z is not None else None,  # RAEPA: altitude NGF-IGN69 of the object
            precision_xy=QUALGLOC.get(codes.get("qualglocxy") or ""),
            precision_z=QUALGLOC.get(codes.get("qualglocz") or ""),
            install_year=to_year(raw_value(feature, fields["anfinpose"]), fid, "anfinpose")
            if "anfinpose" in fields
            else None,
            operator=raw_value(feature, fields["gexploit"]) if "gexploit" in fields else None,
            attributes=feature_attributes(feature),
        )
