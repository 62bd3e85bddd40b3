"""Plain records that format readers produce and the importer writes: no ORM, geometries as WKT in the storage CRS."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from twin.depth import Axis3D, DepthObservation

NetworkType = Literal["water", "sewer", "stormwater", "gas", "electricity", "telecom", "heating", "lighting"]
NETWORK_TYPES: tuple[str, ...] = (
    "water",
    "sewer",
    "stormwater",
    "gas",
    "electricity",
    "telecom",
    "heating",
    "lighting",
)
PrecisionClass = Literal["A", "B", "C"]
DepthKind = Literal["top", "axis", "invert", "cover", "survey"]


@dataclass(frozen=True)
class Placement:
    """Where a model drawn in local metres goes: origin x, y in the storage CRS, rotation in degrees
    counter-clockwise from the storage CRS's x axis, elevation in metres (the storage vertical datum)."""

    x: float
    y: float
    rotation_deg: float = 0.0
    elevation: float = 0.0
    scale: float = 1.0
    scale_z: float | None = None  # None: the same as scale (a unit change); 1.0 when scale is a grid's scale factor
    source: str = "given"  # 'given', 'IfcMapConversion', 'IfcSite'


@dataclass
class BuildingRecord:
    source_id: str
    footprint_wkt: str  # (MULTI)POLYGON, 2D, storage CRS
    srid: int
    ground_z: float | None = None  # metres, vertical datum of the record
    roof_z: float | None = None
    height: float | None = None  # metres above ground
    storeys: int | None = None
    use: str | None = None
    year: int | None = None
    lod: str | None = None
    lod2_surfaces: list[dict[str, Any]] | None = None  # {'type': 'RoofSurface', 'rings': [[(x, y, z), ...], ...]}
    vertical_datum: str | None = None
    z_from_coordinates: bool = False  # ground_z / roof_z read from the source's vertices (CityJSON), not attributes
    height_estimated: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="building", init=False)


@dataclass
class NetworkSegmentRecord:
    source_id: str
    feature_type: str  # the source's feature type / layer, e.g. 'CanalisationEau', 'raepa_canalass_l'
    network_type: str | None
    geometry_wkt: str  # LINESTRING (2D or Z), storage CRS
    srid: int
    coords: list[tuple[float, ...]] = field(default_factory=list)
    material: str | None = None
    nominal_diameter_mm: float | None = None
    outer_diameter_mm: float | None = None
    inner_diameter_mm: float | None = None
    precision_xy: str | None = None
    precision_z: str | None = None
    status: str | None = None
    install_year: int | None = None
    depth_observations: list[DepthObservation] = field(default_factory=list)
    standard_depth_m: float | None = None  # a cover depth to use when nothing better is known
    axis: Axis3D | None = None
    operator: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="segment", init=False)


@dataclass
class NetworkNodeRecord:
    source_id: str
    feature_type: str
    node_type: str  # 'manhole', 'fitting', 'valve', 'cabinet', 'pole', 'technical_building', 'survey_point', ...
    network_type: str | None
    geometry_wkt: str  # POINT (2D or Z), storage CRS
    srid: int
    z: float | None = None
    z_kind: str | None = None  # what z measures: 'ground', 'invert', 'top', 'cover' ...
    invert_z: float | None = None  # the bottom (radier), when the source gives it besides z
    precision_xy: str | None = None
    precision_z: str | None = None
    status: str | None = None
    install_year: int | None = None
    operator: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="node", init=False)


@dataclass
class PoiRecord:
    source_id: str
    geometry_wkt: str
    srid: int
    name: str | None = None
    category: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="poi", init=False)


@dataclass
class StreetRecord:
    source_id: str
    geometry_wkt: str
    srid: int
    name: str | None = None
    nature: str | None = None
    importance: str | None = None
    width_m: float | None = None
    lanes: int | None = None
    oneway: str | None = None
    level: int | None = None  # position relative to the ground: 0 ground, >0 bridge, <0 tunnel
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="street", init=False)


@dataclass
class TreeRecord:
    """A tree: its foot (a point), heights above the ground (metres) and crown radius (metres)."""

    source_id: str
    geometry_wkt: str
    srid: int
    height_m: float
    crown_radius_m: float
    crown_base_m: float
    species: str | None = None
    ground_z: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="tree", init=False)


@dataclass
class MeshPart:
    """Triangles of one element: vertices (x, y, z) in the storage CRS with orthometric z, faces as index triples."""

    name: str
    vertices: list[tuple[float, float, float]]
    faces: list[tuple[int, int, int]]
    element_type: str | None = None
    guid: str | None = None


@dataclass
class ProjectModelRecord:
    source_id: str
    file_path: str
    format: str  # 'ifc', 'gltf', 'cityjson'
    srid: int
    placement: Placement | None
    parts: list[MeshPart] = field(default_factory=list)
    vertical_datum: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="project_model", init=False)

    @property
    def triangle_count(self) -> int:
        return sum(len(p.faces) for p in self.parts)

    def bounds(self) -> tuple[float, float, float, float, float, float] | None:
        pts = [v for p in self.parts for v in p.vertices]
        if not pts:
            return None
        xs, ys, zs = zip(*pts)
        return min(xs), min(ys), min(zs), max(xs), max(ys), max(zs)


@dataclass
class TerrainRecord:
    source_id: str
    raster_path: str
    srid: int
    vertical_datum: str | None
    nodata: float | None
    width: int
    height: int
    pixel_size: tuple[float, float]
    bounds: tuple[float, float, float, float]  # minx, miny, maxx, maxy in the raster's CRS
    z_range: tuple[float, float] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="terrain", init=False)


@dataclass
class PointCloudRecord:
    source_id: str
    file_path: str
    srid: int
    point_count: int
    bounds: tuple[float, float, float, float, float, float]  # in the file's CRS
    las_version: str
    point_format: int
    compressed: bool
    has_rgb: bool
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="pointcloud", init=False)


@dataclass
class CircuitRecord:
    """A curated walk: landmark names in order, each with the text read at that stop."""

    source_id: str
    name: str
    description: str = ""
    stops: list[tuple[str, str]] = field(default_factory=list)  # (landmark name, text)
    attributes: dict[str, Any] = field(default_factory=dict)
    record_type: str = field(default="circuit", init=False)


Record = (
    BuildingRecord
    | NetworkSegmentRecord
    | NetworkNodeRecord
    | PoiRecord
    | StreetRecord
    | ProjectModelRecord
    | TerrainRecord
    | PointCloudRecord
    | CircuitRecord
)


@dataclass(frozen=True)
class ReadWarning:
    file: str
    feature_id: str | None
    field: str | None
    message: str
    line: int | None = None  # where the feature starts in the file, when the format has lines

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                self.file,
                f"feature {self.feature_id}" if self.feature_id else "",
                f"line {self.line}" if self.line else "",
                f"field {self.field}" if self.field else "",
            )
            if p
        )
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Rejection:
    feature_id: str
    feature_type: str
    reason: str
    field: str | None = None
    line: int | None = None


@dataclass
class ReadReport:
    """What a reader saw: every member of the source is imported, rejected with a reason, or metadata."""

    file: str
    format: str
    srid: int | None = None
    source_srid: int | None = None
    members: int = 0
    imported: Counter = field(default_factory=Counter)  # feature type -> count
    metadata: Counter = field(default_factory=Counter)  # members without geometry kept as context
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The reader (or its writer) brings the source's heights into the storage height system (a compound CRS).
    heights_moved: bool = False

    def warn(
        self, message: str, *, feature_id: str | None = None, field: str | None = None, line: int | None = None
    ) -> None:
        self.warnings.append(ReadWarning(self.file, feature_id, field, message, line))

    def reject(self, feature_id: str, feature_type: str, reason: str, field: str | None = None) -> None:
        self.rejected.append(Rejection(feature_id, feature_type, reason, field))

    @property
    def accounted(self) -> bool:
        return sum(self.imported.values()) + sum(self.metadata.values()) + len(self.rejected) == self.members

    def locate(self, lines: dict[str, int]) -> None:
        """Give warnings, rejections and errors the line of their feature (feature id -> 1-based line)."""
        if not lines:
            return
        self.warnings = [replace(w, line=lines.get(w.feature_id or "")) if w.line is None else w for w in self.warnings]
        self.rejected = [replace(r, line=lines.get(r.feature_id)) if r.line is None else r for r in self.rejected]
        for exc in self.errors:
            if getattr(exc, "line", None) is None and getattr(exc, "feature_id", None) in lines:
                exc.line = lines[exc.feature_id]

    def summary(self) -> str:
        imported = ", ".join(f"{k} {v}" for k, v in sorted(self.imported.items())) or "nothing"
        return (
            f"{self.file}: {self.members} members; imported {imported}; "
            f"{len(self.rejected)} rejected; {len(self.warnings)} warnings"
        )


@dataclass
class ReadResult:
    records: list[Any]
    report: ReadReport

    def __iter__(self):
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)
