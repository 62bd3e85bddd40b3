"""GIS layers through GDAL/OGR (GeoPackage, Shapefile, GeoJSON, FlatGeobuf): buildings, POIs, streets."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.gdal import DataSource, GDALException
from django.utils.encoding import DjangoUnicodeDecodeError

from gis_sync import crs as crs_mod
from gis_sync import validation
from gis_sync.errors import (
    EmptySourceError,
    FieldValueError,
    FormatError,
    GeometryError,
    MissingFileError,
    SyncError,
)
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.formats.ogr_values import iter_values
from gis_sync.records import BuildingRecord, PoiRecord, ReadReport, StreetRecord, TreeRecord

# IGN BD TOPO v3: shapefile names (upper case, 10 characters) and GeoPackage names.
BDTOPO_BATIMENT: dict[str, tuple[str, ...]] = {
    "source_id": ("ID", "cleabs"),
    "height": ("HAUTEUR", "hauteur"),
    "storeys": ("NB_ETAGES", "nombre_d_etages"),
    "use": ("USAGE1", "usage_1"),
    "ground_z": ("Z_MIN_SOL", "altitude_minimale_sol"),
    "roof_z": ("Z_MAX_TOIT", "altitude_maximale_toit"),
    "year": ("DATE_APP", "date_d_apparition"),
}
BDTOPO_TRONCON_DE_ROUTE: dict[str, tuple[str, ...]] = {
    "source_id": ("ID", "cleabs"),
    "nature": ("NATURE", "nature"),
    "name": ("NOM_1_G", "nom_collaboratif_gauche", "NOM_VOIE_G", "nom_1_gauche"),
    "importance": ("IMPORTANCE", "importance"),
    "width_m": ("LARGEUR", "largeur_de_chaussee"),
    "lanes": ("NB_VOIES", "nombre_de_voies"),
    "oneway": ("SENS", "sens_de_circulation"),
    "level": ("POS_SOL", "position_par_rapport_au_sol"),
}
GENERIC_BUILDING: dict[str, tuple[str, ...]] = {
    "source_id": ("id", "fid", "osm_id", "identifiant", "gid"),
    "height": ("height", "hauteur", "building_height", "h"),
    "storeys": ("storeys", "levels", "building:levels", "building_levels", "nb_etages", "etages"),
    "use": ("use", "usage", "building", "type"),
    "ground_z": ("ground_z", "z_sol", "zmin"),
    "roof_z": ("roof_z", "z_toit", "zmax"),
    "year": ("year", "construction_year", "start_date", "annee"),
}
GENERIC_STREET: dict[str, tuple[str, ...]] = {
    "source_id": ("id", "fid", "osm_id", "gid"),
    "name": ("name", "nom", "nom_voie"),
    "nature": ("highway", "nature", "type", "class"),
    "importance": ("importance",),
    "width_m": ("width", "largeur"),
    "lanes": ("lanes", "nb_voies"),
    "oneway": ("oneway", "sens"),
    "level": ("layer", "level", "pos_sol"),
}
GENERIC_POI: dict[str, tuple[str, ...]] = {
    "source_id": ("id", "fid", "osm_id", "gid", "cleabs"),
    "name": ("name", "nom", "toponyme", "libelle"),
    "category": ("category", "amenity", "nature", "type", "categorie", "shop", "tourism"),
}
# Tree inventories as cities publish them (OpenData Paris "les arbres", Lyon, Bordeaux, Nice, OSM natural=tree).
GENERIC_TREE: dict[str, tuple[str, ...]] = {
    "source_id": ("id", "fid", "gid", "idbase", "id_arbre", "identifiant", "objectid", "osm_id"),
    "height": ("height", "hauteur", "hauteur_m", "hauteurenm", "hauteur_totale", "haut_tot"),
    "crown_diameter": (
        "crown_diameter",
        "diameter_crown",
        "diametre_couronne",
        "diametre_houppier",
        "diam_couronne",
        "couronne",
        "envergure",
    ),
    "crown_radius": ("crown_radius", "rayon_couronne", "rayon_houppier"),
    "crown_base": ("crown_base", "hauteur_fut", "haut_fut", "hauteur_tronc", "base_couronne"),
    "species": ("species", "espece", "essence", "libellefrancais", "genre_espece", "nom_latin", "taxon", "genus"),
    "ground_z": ("ground_z", "z_sol", "altitude_sol"),
}
DEFAULT_MAPPINGS = {
    "buildings": GENERIC_BUILDING,
    "streets": GENERIC_STREET,
    "poi": GENERIC_POI,
    "trees": GENERIC_TREE,
}
NUMERIC = {"height", "ground_z", "roof_z", "width_m", "crown_diameter", "crown_radius", "crown_base"}
# A tree's crown starts this share of its height up when the inventory does not say (a street tree pruned
# to clear walkers and vans: 2.5 to 4 m under a 10 m crown).
CROWN_BASE_SHARE = 0.35
MAX_TREE_HEIGHT_M = 100.0
MAX_CROWN_RADIUS_M = 30.0
INTEGER = {"storeys", "lanes", "level"}


class OgrSource:
    """An opened GDAL vector dataset with companion-file checks and an encoding fallback for text."""

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        self.encoding = encoding or "utf-8"
        self.check_companions(path)
        self.ds = self._open(self.encoding)

    def _open(self, encoding: str) -> DataSource:
        try:
            return DataSource(str(self.path), encoding=encoding)
        except GDALException as exc:
            raise FormatError(f"GDAL cannot open it ({exc})", file=str(self.path)) from None

    @staticmethod
    def check_companions(path: Path) -> None:
        shps = (
            [path]
            if path.suffix.lower() == ".shp"
            else (sorted(path.glob("*.shp")) + sorted(path.glob("*.SHP")) if path.is_dir() else [])
        )
        for shp in shps:
            siblings = {p.name.lower() for p in shp.parent.iterdir() if p.stem.lower() == shp.stem.lower()}
            for ext, why in ((".dbf", "its attributes"), (".shx", "its index")):
                if shp.stem.lower() + ext not in siblings:
                    raise MissingFileError(
                        f"the shapefile has no {ext} file ({why})",
                        file=str(shp),
                        advice=f"deliver {shp.stem}{ext} next to {shp.name}, or export the layer as GeoPackage",
                    )

    def reopen(self, encoding: str) -> None:
        self.encoding = encoding
        self.ds = self._open(encoding)

    def layers(self, name: str | None = None) -> list[Any]:
        layers = list(self.ds)
        if name is None:
            return layers
        for layer in layers:
            if layer.name.lower() == name.lower():
                return [layer]
        raise EmptySourceError(
            f"no layer named {name!r} (layers: {', '.join(layer.name for layer in layers)})",
            file=str(self.path),
            advice="pass one of the listed layer names",
        )


def layer_srid(layer: Any, opts: ReadOptions, path: Path, report: ReadReport) -> int:
    """Declared SRID of a layer (authority code or identified WKT), else the configured one, else CRSError."""
    declared = None
    srs = layer.srs
    if srs is not None:
        declared = srs.srid or crs_mod.srid_from_name(srs.wkt)
        if declared is None:
            report.warn(f"layer {layer.name}: its CRS ({srs.name}) has no EPSG equivalent", field="CRS")
    return crs_mod.resolve_srid(declared, opts.srid, file=str(path), what=f"layer {layer.name}")


def field_lookup(layer: Any) -> dict[str, str]:
    return {f.lower(): f for f in layer.fields}


def resolve_mapping(mapping: Mapping[str, Sequence[str] | str], fields: dict[str, str]) -> dict[str, str]:
    """record field -> the layer's field name actually present (first candidate found, case-insensitive)."""
    out = {}
    for target, candidates in mapping.items():
        for cand in [candidates] if isinstance(candidates, str) else candidates:
            if cand.lower() in fields:
                out[target] = fields[cand.lower()]
                break
    return out


def raw_value(feature: Any, field: str) -> Any:
    value = feature.get(field)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def feature_attributes(feature: Any) -> dict[str, Any]:
    """Every field of a feature as delivered, kept in JSON: numbers and text as they are, the rest as text."""
    out = {}
    for name in feature.fields:
        val = feature.get(name)
        out[name] = val if isinstance(val, (str, int, float, type(None))) else str(val)
    return out


def single_line(geom: shapely.Geometry, fid: str) -> shapely.Geometry:
    """A pipe's geometry as one LineString (a MultiLineString of one part is unwrapped), else a GeometryError."""
    if geom.geom_type == "MultiLineString" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if geom.geom_type != "LineString":
        raise GeometryError(f"a pipe must be a single line, got {geom.geom_type}", feature_id=fid, field="geometry")
    return geom


def to_number(value: Any, fid: str, field: str, *, integer: bool = False) -> float | int | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        number = validation.check_number(value, feature_id=fid, field=field)
        return int(number) if integer else number
    text = str(value).strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise FieldValueError(f"{value!r} is not a number", feature_id=fid, field=field) from None
    validation.check_number(number, feature_id=fid, field=field)
    return int(number) if integer else number


def to_year(value: Any, fid: str, field: str) -> int | None:
    if value is None:
        return None
    m = re.search(r"(1[0-9]{3}|20[0-9]{2})", str(value))
    if not m:
        raise FieldValueError(f"{value!r} holds no year", feature_id=fid, field=field)
    return int(m.group(1))


class FeatureGeometry:
    """Shapely geometry of a feature, checked and in the storage CRS."""

    @staticmethod
    def read(feature: Any, fid: str, src: int, dst: int) -> shapely.Geometry:
        try:
            ogr_geom = feature.geom
        except (GDALException, IndexError, TypeError):
            ogr_geom = None
        if ogr_geom is None:
            raise GeometryError("the feature has no geometry", feature_id=fid, field="geometry")
        try:
            geom = shapely.from_wkb(bytes(ogr_geom.wkb))
        except shapely.errors.GEOSException as exc:  # an unclosed ring GDAL let through, say
            raise GeometryError(f"invalid geometry: {exc}", feature_id=fid, field="geometry") from None
        if geom.is_empty:
            raise GeometryError("the geometry is empty", feature_id=fid, field="geometry")
        coords = shapely.get_coordinates(geom, include_z=geom.has_z)
        bad = validation.bad_rows(coords)
        if len(bad):
            raise GeometryError(
                f"vertex {int(bad[0]) + 1} {tuple(coords[bad[0]].tolist())} is not finite or out of range",
                feature_id=fid,
                field="geometry",
            )
        if not geom.is_valid:
            raise GeometryError(f"invalid geometry: {shapely.is_valid_reason(geom)}", feature_id=fid, field="geometry")
        if src != dst and geom.has_z and crs_mod.vertical_datum_name(src) and dst in crs_mod.STORAGE_VERTICAL:
            # A compound CRS: heights go to the storage height system with the same operation.
            return shapely.transform(geom, lambda xyz: _xyz(xyz, src, dst), include_z=True)
        if src != dst:
            geom = shapely.transform(geom, lambda xy: _xy(xy, src, dst), include_z=False)
        return geom


def _xyz(xyz, src: int, dst: int):
    return np.column_stack(crs_mod.to_storage(xyz[:, 0], xyz[:, 1], xyz[:, 2], src, dst))


def _xy(xy, src: int, dst: int):
    xs, ys = crs_mod.transform_xy(xy[:, 0], xy[:, 1], src, dst)
    return np.column_stack([xs, ys])


def iter_features(source: OgrSource, layer: Any, report: ReadReport) -> Iterator[tuple[str, Any]]:
    """(feature id, feature values) pairs, the id being '<layer>.<OGR fid>'."""
    for feature in iter_values(layer, source.encoding):
        yield f"{layer.name}.{feature.fid}", feature


def check_text(source: OgrSource, layer_name: str, report: ReadReport) -> Any:
    """Touch every text value once: shapefiles without .cpg often hold Windows-1252 text."""
    layer = source.layers(layer_name)[0]
    try:
        for _ in iter_values(layer, source.encoding):
            pass
    except (DjangoUnicodeDecodeError, UnicodeDecodeError):
        source.reopen("cp1252")
        report.warn(
            f"layer {layer_name}: text is not UTF-8 and no .cpg says otherwise; read as Windows-1252", field="encoding"
        )
        layer = source.layers(layer_name)[0]
        try:
            for _ in iter_values(layer, source.encoding):
                pass
        except (DjangoUnicodeDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(
                f"layer {layer_name}: text is neither UTF-8 nor Windows-1252 ({exc})",
                field="encoding",
                advice="export the layer in UTF-8 (with a .cpg naming the encoding, for a shapefile)",
            ) from None
    return layer


def guess_kind(layer: Any, forced: str | None) -> str:
    if forced:
        return forced
    name = layer.name.lower()
    # "tree" as a word: "streets" holds it too.
    if "arbre" in name or re.search(r"(?<![a-z])trees?(?![a-z])", name):
        return "trees"
    if "bati" in name or "building" in name:
        return "buildings"
    if "troncon" in name or "route" in name or "road" in name or "street" in name:
        return "streets"
    gtype = layer.geom_type.name.lower()
    if "polygon" in gtype:
        return "buildings"
    if "line" in gtype:
        return "streets"
    return "poi"


def default_mapping(layer: Any, kind: str) -> dict[str, tuple[str, ...]]:
    name = layer.name.lower()
    fields = {f.lower() for f in layer.fields}
    if kind == "buildings" and (
        "batiment" in name or {"hauteur", "nb_etages"} <= fields or "nombre_d_etages" in fields
    ):
        return BDTOPO_BATIMENT
    if kind == "streets" and ("troncon_de_route" in name or "pos_sol" in fields):
        return BDTOPO_TRONCON_DE_ROUTE
    return DEFAULT_MAPPINGS[kind]


@register
class OgrLayersFormat(Format):
    """Any vector layer GDAL reads; the record kind comes from the layer name or its geometry type.

    Kinds: buildings, streets, poi, and trees (a layer named like "arbres" or "trees", or kind="trees").
    """

    name = "ogr"
    kind = "buildings"  # also 'poi' and 'streets', decided per layer
    extensions = (".gpkg", ".shp", ".geojson", ".json", ".fgb")
    has_crs = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        suffix = path.suffix.lower()
        if suffix == ".json" and b'"FeatureCollection"' not in head:
            return 0
        if path.is_dir() and any(path.glob("*.shp")):
            return 40
        return 50 if suffix in cls.extensions else 0

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        source = OgrSource(path, opts.encoding)
        records: list[Any] = []
        layers = source.layers(opts.layer)
        if not layers:
            raise EmptySourceError("the dataset has no layer")
        for layer in layers:
            records.extend(self._layer(source, layer.name, path, opts, report))
        return records

    def _layer(
        self, source: OgrSource, layer_name: str, path: Path, opts: ReadOptions, report: ReadReport
    ) -> list[Any]:
        layer = check_text(source, layer_name, report)
        if len(layer) == 0:
            raise EmptySourceError(f"layer {layer.name} has no feature")
        srid = layer_srid(layer, opts, path, report)
        report.source_srid = srid
        report.heights_moved = bool(crs_mod.vertical_datum_name(srid)) and opts.storage_srid in crs_mod.STORAGE_VERTICAL
        ext = layer.extent.tuple
        crs_mod.check_area_of_use(srid, ext, file=str(path))
        kind = guess_kind(layer, opts.kind)
        mapping = resolve_mapping(opts.mapping or default_mapping(layer, kind), field_lookup(layer))
        layer_is_3d = (
            "25D" in layer.geom_type.name or layer.geom_type.name.endswith("Z") or "3D" in str(layer.geom_type)
        )
        soft: Counter = Counter()
        records = []
        id_field = mapping.get("source_id")
        for fid, feature in iter_features(source, layer, report):
            report.members += 1
            if id_field and raw_value(feature, id_field) is not None:
                fid = f"{layer.name}.{raw_value(feature, id_field)}"
            try:
                geom = FeatureGeometry.read(feature, fid, srid, opts.storage_srid)
                if geom.has_z and not layer_is_3d:
                    soft["3D coordinates in a 2D layer: z dropped"] += 1
                values = self._values(feature, fid, mapping, soft)
                record = self._record(kind, fid, geom, values, opts, feature, soft)
            except SyncError as exc:
                self._feature_error(report, exc, layer.name, path)
                continue
            records.append(record)
            report.imported[layer.name] += 1
        for message, count in soft.items():
            report.warn(f"layer {layer.name}: {message} ({count} features)")
        return records

    @staticmethod
    def _values(feature: Any, fid: str, mapping: dict[str, str], soft: Counter) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for target, field in mapping.items():
            raw = raw_value(feature, field)
            if target in NUMERIC:
                values[target] = to_number(raw, fid, field)
            elif target in INTEGER:
                values[target] = to_number(raw, fid, field, integer=True)
            elif target == "year":
                values[target] = to_year(raw, fid, field)
            else:
                values[target] = None if raw is None else str(raw)
            if raw is None and target != "source_id":
                soft[f"empty {field} left empty"] += 1
        return values

    @staticmethod
    def _record(
        kind: str, fid: str, geom: shapely.Geometry, v: dict[str, Any], opts: ReadOptions, feature: Any, soft: Counter
    ) -> Any:
        geom2d = shapely.force_2d(geom)
        attrs = feature_attributes(feature)
        sid = v.get("source_id") or fid
        if kind == "buildings":
            if geom2d.geom_type not in ("Polygon", "MultiPolygon"):
                raise GeometryError(
                    f"a building footprint must be a polygon, got {geom2d.geom_type}", feature_id=fid, field="geometry"
                )
            height, estimated = v.get("height"), False
            if height is None and v.get("roof_z") is not None and v.get("ground_z") is not None:
                height = v["roof_z"] - v["ground_z"]
            if height is None and v.get("storeys"):
                height, estimated = v["storeys"] * opts.storey_height_m, True
                soft["height estimated from the number of storeys"] += 1
            if height is not None and height < 0:
                raise FieldValueError(f"negative height {height}", feature_id=fid, field="height")
            return BuildingRecord(
                source_id=str(sid),
                footprint_wkt=geom2d.wkt,
                srid=opts.storage_srid,
                ground_z=v.get("ground_z"),
                roof_z=v.get("roof_z"),
                height=height,
                storeys=v.get("storeys"),
                use=v.get("use"),
                year=v.get("year"),
                lod="1" if height is not None else "0",
                vertical_datum=opts.vertical_datum,
                height_estimated=estimated,
                attributes=attrs,
            )
        if kind == "streets":
            if "LineString" not in geom2d.geom_type:
                raise GeometryError(
                    f"a street must be a line, got {geom2d.geom_type}", feature_id=fid, field="geometry"
                )
            return StreetRecord(
                source_id=str(sid),
                geometry_wkt=geom.wkt,
                srid=opts.storage_srid,
                name=v.get("name"),
                nature=v.get("nature"),
                importance=v.get("importance"),
                width_m=v.get("width_m"),
                lanes=v.get("lanes"),
                oneway=v.get("oneway"),
                level=v.get("level"),
                attributes=attrs,
            )
        if kind == "trees":
            return _tree(fid, str(sid), geom2d, v, opts, attrs, soft)
        point = geom2d if geom2d.geom_type == "Point" else geom2d.representative_point()
        if not v.get("source_id") and v.get("name"):
            # Without an id field the OGR fid is only a position in the file: a point of interest is then followed
            # between deliveries by its name, which circuits use to find it anyway.
            sid = v["name"]
        return PoiRecord(
            source_id=str(sid),
            geometry_wkt=point.wkt,
            srid=opts.storage_srid,
            name=v.get("name"),
            category=v.get("category"),
            attributes=attrs,
        )


def _tree(
    fid: str, sid: str, geom: shapely.Geometry, v: dict[str, Any], opts: ReadOptions, attrs: dict, soft: Counter
) -> TreeRecord:
    """A tree record, its crown checked: a height, a crown width, and a crown base under the top."""
    if geom.geom_type != "Point":
        raise GeometryError(f"a tree must be a point, got {geom.geom_type}", feature_id=fid, field="geometry")
    height = v.get("height")
    if height is None:
        raise FieldValueError(
            "the tree has no height",
            feature_id=fid,
            field="height",
            advice="fill its height in metres, or map the field that holds it (options mapping.height)",
        )
    if not 0 < height <= MAX_TREE_HEIGHT_M:
        raise FieldValueError(
            f"a tree height of {height} m is not plausible (0 to {MAX_TREE_HEIGHT_M:.0f} m)",
            feature_id=fid,
            field="height",
            advice="heights are in metres: check the unit of the field",
        )
    radius = v.get("crown_radius")
    if radius is None and v.get("crown_diameter") is not None:
        radius = v["crown_diameter"] / 2.0
    if radius is None:
        raise FieldValueError(
            "the tree has no crown diameter",
            feature_id=fid,
            field="crown_diameter",
            advice="fill the crown's width in metres, or map the field that holds it (options mapping.crown_diameter)",
        )
    if not 0 < radius <= MAX_CROWN_RADIUS_M:
        raise FieldValueError(
            f"a crown radius of {radius} m is not plausible (0 to {MAX_CROWN_RADIUS_M:.0f} m)",
            feature_id=fid,
            field="crown_diameter",
            advice="diameters are in metres: check the unit of the field",
        )
    base = v.get("crown_base")
    if base is None:
        base = round(CROWN_BASE_SHARE * height, 2)
        soft[f"no crown base: {CROWN_BASE_SHARE:.0%} of the height used"] += 1
    if not 0 <= base < height:
        raise FieldValueError(
            f"the crown starts at {base} m, not under the tree's top ({height} m)",
            feature_id=fid,
            field="crown_base",
            advice="the crown base is the height of the lowest branches, in metres above the ground",
        )
    return TreeRecord(
        source_id=sid,
        geometry_wkt=geom.wkt,
        srid=opts.storage_srid,
        height_m=float(height),
        crown_radius_m=float(radius),
        crown_base_m=float(base),
        species=v.get("species"),
        ground_z=v.get("ground_z"),
        attributes=attrs,
    )
