"""StaR-Eau (Astee/CNIG water and sewer exchange standard) GeoPackage or shapefile layers: pipes, fittings, structures.

Layer and field names, their meaning and the code lists come from the standard's own repository, cnigfr/StaR-Eau
(Etalab 2.0): the GeoPackage templates `Fichiers techniques/gabarits gpkg/eau_potable_no_style.gpkg` and
`assainissement_no_style.gpkg`, the PostGIS scripts `Fichiers techniques/base postgis/0[2-6]-creation *.sql`
(column comments: `cote_debut`/`cote_fin` 'cote NGF de la génératrice supérieure', `z_tampon` 'cote NGF du
tampon', `z_radier` 'cote NGF du point le plus bas du regard'), the lists under
`Fichiers techniques/listes valeurs/listes_completes/` (com_materiau.csv, com_etat_service.csv,
com_type_reseau.csv, com_precision.csv) and the guide `aide/book/Modèle/Assainissement/ass_canalisation.md`
(sewers drawn in the direction of flow, fil d'eau in NGF-IGN69).
"""

from __future__ import annotations

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

# Layers read, as named in the templates: role, default network, node type (nodes), and where a node's single z
# comes from (field, what it measures) in order of preference. Areas (génie civil, périmètres) and pieces without
# topology are not network members of the twin: they are reported as not read.
SEGMENT_LAYERS = {
    "aep_canalisation": "water",
    "aep_canalisation_branchement": "water",
    "ass_canalisation": "sewer",
    "ass_canalisation_branchement": "sewer",
}
NODE_LAYERS: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "aep_vanne": ("water", "valve", ()),
    "aep_vanne_branchement": ("water", "valve", ()),
    "aep_appareillage": ("water", "fitting", ()),
    "aep_regulation": ("water", "pressure_regulator", ()),
    "aep_point_mesure": ("water", "meter", ()),
    "aep_reservoir": ("water", "reservoir", (("cote_sol", "ground"), ("cote_radier", "invert"))),
    "aep_pompage": ("water", "pumping_station", ()),
    "aep_captage": ("water", "intake", ()),
    "aep_traitement": ("water", "treatment_plant", ()),
    "aep_piece": ("water", "fitting", ()),
    "aep_piece_branchement": ("water", "fitting", ()),
    "aep_raccord": ("water", "connection", ()),
    "aep_point_livraison": ("water", "delivery_point", ()),
    "ass_regard": ("sewer", "manhole", (("z_tampon", "ground"), ("z_radier", "invert"))),
    "ass_point_collecte": ("sewer", "connection_box", (("cote_tampon", "ground"), ("cote_radier", "invert"))),
    "ass_raccord": ("sewer", "connection", ()),
    "ass_equipement": ("sewer", "fitting", ()),
    "ass_piece": ("sewer", "fitting", ()),
    "ass_pompage": ("sewer", "pumping_station", ()),
    "ass_bassin": ("sewer", "storage_basin", (("cote_radier", "invert"),)),
    "ass_exutoire": ("sewer", "outfall", ()),
    "ass_traitement": ("sewer", "treatment_plant", ()),
    "ass_pretraitement": ("sewer", "treatment_plant", ()),
    "ass_chambre_depollution": ("sewer", "treatment_plant", ()),
    "ass_ouvrage_special_point": ("sewer", "structure", ()),
    "ass_engouffrement_point": ("sewer", "gully", ()),
}
LAYERS = set(SEGMENT_LAYERS) | set(NODE_LAYERS)
# Finer node types from the layer's own type field (aep_type_appareillage.csv, aep_type_vanne.csv,
# ass_type_equipement.csv); other codes keep the layer's node type.
TYPE_FIELDS = {
    "aep_appareillage": (
        "type_appareillage",
        {"ventouse": "air_valve", "purge_auto": "drain", "anti_retour": "check_valve", "disconnecteur": "check_valve"},
    ),
    "ass_equipement": (
        "type_equipement",
        {"clapet": "check_valve", "vanne": "valve", "vanne_regul": "valve", "ventouse": "air_valve"},
    ),
}

# com_type_reseau.csv: aep eau potable, ince incendie, assaep eaux pluviales, assaeu eaux usées, assaru unitaire.
TYPE_RESEAU = {"aep": "water", "ince": "water", "assaep": "stormwater", "assaeu": "sewer", "assaru": "sewer"}
# com_precision.csv
PRECISION = {"A", "B", "C"}
# com_etat_service.csv → the StaR-DT ConditionOfFacilityValue the standard's own StaR-DT view
# (base postgis/star-dt/302-vue_canalisationEau_pour_star-dt.sql) uses; en_arret, comble and depose added alike.
ETAT_SERVICE = {
    "en_service": "functional",
    "en_projet": "projected",
    "abandon": "decommissioned",
    "en_construction": "underConstruction",
    "en_arret": "disused",
    "comble": "decommissioned",
    "depose": "decommissioned",
}
UNKNOWN_CODES = {"non_renseigne", "non_concerne", "non_valide", "non_determine", "autre", "nr", "inc"}
# com_materiau.csv: code → its 5th column, the StaR-DT/INSPIRE PipeMaterialTypeValue; where that column is
# empty, the nearest value of the same list by the code's label (e.g. 'fd' Fonte Ductile → castIron).
MATERIAU = {
    "acier": "steel",
    "amci": "asbestos",
    "autre": "other",
    "ba": "reinforcedConcrete",
    "beton": "concrete",
    "bitum": "other",
    "bois": "wood",
    "briq": "masonry",
    "btat": "reinforcedConcrete",
    "btcp": "compositeConcrete",
    "btfb": "reinforcedConcrete",
    "btna": "concrete",
    "btpc": "prestressedReinforcedConcrete",
    "btpj": "concrete",
    "cu": "other",
    "epx": "other",
    "fbpj": "other",
    "fbro": "asbestos",
    "fbvr": "FRP",
    "fd": "castIron",
    "fg": "castIron",
    "fonte": "castIron",
    "gres": "clay",
    "inc": None,
    "mac": "masonry",
    "maca": "masonry",
    "macna": "masonry",
    "metal": "other",
    "meul": "masonry",
    "mrtc": "concrete",
    "pb": "other",
    "pbu": "PB",
    "pe": "PE",
    "pebd": "PE",
    "pehd": "PE",
    "pehda": "PE",
    "pex": "PEX",
    "plast": "other",
    "pp": "PP",
    "ppa": "PP",
    "prv": "FRP",
    "pu": "other",
    "pvc": "PVC",
    "pvca": "PVC",
    "pvcbo": "PVC",
    "pvcc": "CPVC",
    "rpmp": "RPMP",
    "sgbt": "concrete",
    "tole": "galvanizedSteel",
    "trct": "terracota",
    "nr": None,
}
# GDAL's shapefile names of the template's fields (10 characters, clashes numbered), as `ogr2ogr -f
# "ESRI Shapefile"` writes them from the official templates: precision_z becomes precisio_1 and
# cote_fil_eau_aval cote_fil_1, which only holds for the standard's field order.
SHAPEFILE_NAMES = {
    "type_reseau": "type_resea",
    "etat_service": "etat_servi",
    "precision_xy": "precision_",
    "precision_z": "precisio_1",
    "an_pose_sup": "an_pose_su",
    "an_pose_inf": "an_pose_in",
    "id_canalisation": "id_canalis",
    "id_noeud_reseau": "id_noeud_r",
    "diametre_equivalent": "diametre_e",
    "cote_fil_eau_amont": "cote_fil_e",
    "cote_fil_eau_aval": "cote_fil_1",
    "type_appareillage": "type_appar",
    "type_equipement": "type_equip",
    "cote_tampon": "cote_tampo",
    "cote_radier": "cote_radie",
}
SEGMENT_DEPTHS = {  # field → (kind, at the start of the line)
    "cote_debut": ("top", True),
    "cote_fin": ("top", False),
    "cote_fil_eau_amont": ("invert", True),
    "cote_fil_eau_aval": ("invert", False),
}


class Fields:
    """A layer's fields by their StaR-Eau name, whether delivered in a GeoPackage or a shapefile."""

    def __init__(self, layer: Any) -> None:
        self.by_lower = field_lookup(layer)

    def name(self, standard: str) -> str | None:
        return self.by_lower.get(standard) or self.by_lower.get(SHAPEFILE_NAMES.get(standard, "\0"))

    def value(self, feature: Any, standard: str) -> Any:
        name = self.name(standard)
        return raw_value(feature, name) if name else None


@register
class StarEauFormat(Format):
    """StaR-Eau layers (aep_canalisation, ass_canalisation, aep_vanne, ass_regard, ...) in a GeoPackage, a
    shapefile or a folder of shapefiles. Depth from cote_debut/cote_fin (pipe top, drinking water) and
    cote_fil_eau_amont/aval (invert, sewers), all NGF-IGN69."""

    name = "stareau"
    kind = "network"
    extensions = (".gpkg", ".shp")
    provides_depth = True
    has_crs = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return 90 if any(p.stem.lower() in LAYERS for p in path.glob("*.[sS][hH][pP]")) else 0
        if path.suffix.lower() == ".shp":
            return 90 if path.stem.lower() in LAYERS else 0
        if path.suffix.lower() == ".gpkg":
            try:
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                    names = {r[0].lower() for r in db.execute("SELECT table_name FROM gpkg_contents")}
                return 90 if names & set(SEGMENT_LAYERS) else (85 if names & LAYERS else 0)
            except Exception:  # noqa: BLE001 - sniffing must never fail
                return 0
        return 0

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        source = OgrSource(path, opts.encoding)
        names = [lay.name for lay in source.layers(opts.layer) if lay.name.lower() in LAYERS]
        for other in (lay.name for lay in source.layers() if lay.name.lower() not in LAYERS):
            report.notes.append(f"layer {other} is not a StaR-Eau pipe or node layer: not read")
        if not names:
            raise EmptySourceError(
                "no StaR-Eau layer (aep_canalisation, ass_canalisation, ass_regard, ...) in the dataset",
                advice="deliver the layers under the names of the StaR-Eau GeoPackage templates",
            )
        records: list[Any] = []
        for name in names:
            layer = check_text(source, name, report)
            if len(layer) == 0:
                report.notes.append(f"layer {name} is empty")
                continue
            srid = layer_srid(layer, opts, path, report)
            report.source_srid = srid
            crs_mod.check_area_of_use(srid, layer.extent.tuple, file=str(path))
            fields = Fields(layer)
            low = name.lower()
            ident = "id_canalisation" if low in SEGMENT_LAYERS else "id_noeud_reseau"
            soft: Counter = Counter()
            for feature in iter_values(layer, source.encoding):
                report.members += 1
                key = fields.value(feature, ident) or fields.value(feature, f"id_{low}")
                fid = f"{name}.{key or feature.fid}"
                try:
                    if key is None:
                        raise FieldValueError(
                            f"no {ident}: the feature cannot be followed between deliveries",
                            feature_id=fid,
                            field=ident,
                            advice=f"fill {ident}, the standard's stable identifier",
                        )
                    geom = FeatureGeometry.read(feature, fid, srid, opts.storage_srid)
                    common = self._common(feature, fid, fields, soft)
                    if low in SEGMENT_LAYERS:
                        records.append(self._segment(feature, fid, name, str(key), geom, common, fields, opts))
                    else:
                        records.append(self._node(feature, fid, name, str(key), geom, common, fields, opts))
                except SyncError as exc:
                    self._feature_error(report, exc, name, path)
                    continue
                report.imported[name] += 1
            for message, count in soft.items():
                report.warn(f"layer {name}: {message} ({count} features)")
        return records

    @staticmethod
    def _code(feature: Any, fid: str, fields: Fields, field: str, allowed: set[str] | dict) -> str | None:
        raw = fields.value(feature, field)
        if raw is None:
            return None
        code = str(raw).strip()
        if code.lower() in allowed:
            return code.lower()
        if code.upper() in allowed:
            return code.upper()
        raise CodeListError(
            f"{raw!r} is not a code of the StaR-Eau list {field}",
            feature_id=fid,
            field=field,
            advice=f"use one of: {', '.join(sorted(allowed))}",
        )

    def _common(self, feature: Any, fid: str, fields: Fields, soft: Counter) -> dict[str, Any]:
        """What pipes and nodes share (stareau_principale.champ_commun)."""
        type_reseau = self._code(feature, fid, fields, "type_reseau", set(TYPE_RESEAU) | UNKNOWN_CODES)
        etat = self._code(feature, fid, fields, "etat_service", set(ETAT_SERVICE) | UNKNOWN_CODES)
        pxy = self._code(feature, fid, fields, "precision_xy", PRECISION)
        pz = self._code(feature, fid, fields, "precision_z", PRECISION)
        if pxy is None:
            soft["empty precision_xy: class C assumed"] += 1
        year = None
        for field in ("an_pose_sup", "an_pose_inf"):  # the end of the laying period, else its start
            raw = fields.value(feature, field)
            if raw is not None and str(raw).strip() not in ("-9999", "-8888", "-7777", "-6666"):
                year = to_year(raw, fid, field)
                break
        return {
            "network_type": TYPE_RESEAU.get(type_reseau or ""),
            "status": ETAT_SERVICE.get(etat or ""),
            "precision_xy": pxy,
            "precision_z": pz,
            "install_year": year,
            "operator": fields.value(feature, "exploitant"),
        }

    def _segment(self, feature, fid, layer_name, key, geom, common, fields, opts) -> NetworkSegmentRecord:
        geom = single_line(geom, fid)
        coords = [tuple(float(v) for v in c) for c in shapely.get_coordinates(geom, include_z=geom.has_z)]
        diameter = to_number(fields.value(feature, "diametre_equivalent"), fid, "diametre_equivalent")
        if diameter is not None and diameter <= 0:
            raise FieldValueError(
                f"diameter {diameter} mm is not positive", feature_id=fid, field="diametre_equivalent"
            )
        material = self._code(feature, fid, fields, "materiau", MATERIAU)
        net = common["network_type"] or SEGMENT_LAYERS[layer_name.lower()]
        seg = NetworkSegmentRecord(
            source_id=key,
            feature_type=layer_name,
            network_type=net,
            geometry_wkt=geom.wkt,
            srid=opts.storage_srid,
            coords=coords,
            material=MATERIAU.get(material or ""),
            nominal_diameter_mm=diameter,
            outer_diameter_mm=diameter,
            inner_diameter_mm=diameter,
            precision_xy=common["precision_xy"],
            precision_z=common["precision_z"],
            status=common["status"],
            install_year=common["install_year"],
            operator=common["operator"],
            attributes=feature_attributes(feature),
        )
        length = geom.length
        for field, (kind, at_start) in SEGMENT_DEPTHS.items():
            z = to_number(fields.value(feature, field), fid, field)
            if z is not None:
                seg.depth_observations.append(
                    DepthObservation(
                        kind, z, position=0.0 if at_start else length, source=field, precision_z=seg.precision_z
                    )
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

    def _node(self, feature, fid, layer_name, key, geom, common, fields, opts) -> NetworkNodeRecord:
        if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
            geom = geom.geoms[0]
        if geom.geom_type != "Point":
            raise GeometryError(f"a node must be a point, got {geom.geom_type}", feature_id=fid, field="geometry")
        low = layer_name.lower()
        default_net, node_type, z_fields = NODE_LAYERS[low]
        if low in TYPE_FIELDS:
            field, table = TYPE_FIELDS[low]
            node_type = table.get(str(fields.value(feature, field) or "").lower(), node_type)
        z, z_kind, invert_z = None, None, None
        for field, kind in z_fields:
            value = to_number(fields.value(feature, field), fid, field)
            if value is None:
                continue
            if z is None:
                z, z_kind = value, kind
            if kind == "invert":
                invert_z = value  # a manhole's floor, kept even when its lid gave z
        return NetworkNodeRecord(
            source_id=key,
            feature_type=layer_name,
            node_type=node_type,
            network_type=common["network_type"] or default_net,
            # A 3D point (the standard's optional EPSG:5698 storage) keeps its z when no cote field says better.
            geometry_wkt=(geom if z is None else shapely.force_2d(geom)).wkt,
            srid=opts.storage_srid,
            z=z,
            z_kind=z_kind,
            invert_z=invert_z,
            precision_xy=common["precision_xy"],
            precision_z=common["precision_z"],
            status=common["status"],
            install_year=common["install_year"],
            operator=common["operator"],
            attributes=feature_attributes(feature),
        )
