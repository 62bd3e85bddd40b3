"""The city's core model: terrain, buildings, networks, planning projects, points of interest."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import LineString
from django.db import connection
from django.utils import timezone

from twin import roles
from twin.depth import DepthObservation as DepthObservationRecord
from twin.depth import compute_axis
from twin.raster_sampling import RasterSampler

SRID = settings.JUMEAU_SRID


class SourcedQuerySet(models.QuerySet):
    """Rows that came from a configured source, keyed by (source_key, source_id)."""

    def from_source(self, source_key: str) -> SourcedQuerySet:
        return self.filter(source_key=source_key)


class SourcedModel(models.Model):
    """A feature that an importer keeps in sync: a stable id in its source and a content hash."""

    source_key = models.CharField(max_length=100, db_index=True, help_text="The sync source or file it came from.")
    source_id = models.CharField(max_length=200, help_text="The feature's stable id in its source.")
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="Hash of the imported content, for incremental sync."
    )
    attributes = models.JSONField(default=dict, blank=True, help_text="Source fields kept as delivered.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourcedQuerySet.as_manager()

    class Meta:
        abstract = True

    @staticmethod
    def hash_content(*parts: object) -> str:
        h = hashlib.sha256()
        for part in parts:
            h.update(repr(part).encode())
            h.update(b"\x1f")
        return h.hexdigest()


class Terrain(models.Model):
    """The digital elevation model, kept as a GeoTIFF that the tiler and the viewshed read."""

    name = models.CharField(max_length=100, unique=True)
    file = models.CharField(max_length=500, help_text="Path of the GeoTIFF, in the storage CRS.")
    srid = models.PositiveIntegerField(default=SRID)
    vertical_datum = models.CharField(
        max_length=50, default="NGF-IGN69", help_text="Datum of the heights (orthometric)."
    )
    extent = models.PolygonField(srid=SRID)
    pixel_size = models.FloatField(help_text="Metres.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    min_z = models.FloatField(null=True)
    max_z = models.FloatField(null=True)
    active = models.BooleanField(default=True, help_text="The terrain the twin uses; only one is active.")
    checksum = models.CharField(max_length=64, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-active", "name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Terrain | None:
        return cls.objects.filter(active=True).first()

    def activate(self) -> None:
        Terrain.objects.exclude(pk=self.pk).update(active=False)
        self.active = True
        self.save(update_fields=["active"])

    @property
    def path(self) -> Path:
        return Path(self.file)

    def sampler(self) -> Callable:
        """A function (xs, ys) -> zs in the storage CRS, metres, bilinear; NaN outside."""
        return RasterSampler.open(self.path)


class BuildingQuerySet(SourcedQuerySet):
    def in_extent(self, polygon) -> BuildingQuerySet:
        return self.filter(footprint__intersects=polygon)


class Building(SourcedModel):
    """A building: footprint, ground and roof heights (NGF metres), optionally its LOD2 solid."""

    footprint = models.MultiPolygonField(srid=SRID)
    ground_z = models.FloatField(help_text="Ground height at the footprint, orthometric metres.")
    roof_z = models.FloatField(help_text="Highest roof point, orthometric metres.")
    storeys = models.PositiveSmallIntegerField(null=True, blank=True)
    use = models.CharField(max_length=80, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    lod2 = models.MultiPolygonField(srid=SRID, dim=3, null=True, blank=True, help_text="LOD2 surfaces (3D).")
    height_source = models.CharField(
        max_length=40, blank=True, help_text="How the height was known: field, storeys, lod2, default."
    )

    objects = BuildingQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source_key", "source_id"], name="building_source_unique")]
        indexes = [models.Index(fields=["use"]), models.Index(fields=["year"])]

    def __str__(self) -> str:
        return self.name or self.source_id

    @property
    def height(self) -> float:
        return self.roof_z - self.ground_z

    def floor_z(self, floor: int) -> float:
        """Height of a floor's slab, orthometric metres; floor 0 is the ground floor."""
        storeys = self.storeys or max(1, round(self.height / 3.0))
        storey_h = self.height / storeys if storeys else 3.0
        return self.ground_z + floor * storey_h


class NetworkOperator(models.Model):
    """A company or service that runs buried networks and delivers their data."""

    name = models.CharField(max_length=200, unique=True)
    code = models.CharField(max_length=50, blank=True, help_text="SIREN or the operator's code in its deliveries.")
    contact = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name


class NetworkType(models.TextChoices):
    WATER = "water", "Eau potable"
    SEWER = "sewer", "Eaux usées"
    STORMWATER = "stormwater", "Eaux pluviales"
    GAS = "gas", "Gaz"
    ELECTRICITY = "electricity", "Électricité"
    TELECOM = "telecom", "Télécommunications"
    HEATING = "heating", "Chaleur"
    LIGHTING = "lighting", "Éclairage public"
    OTHER = "other", "Autre"


# Cover depth used when a delivery says nothing of depth: a flagged estimate, never a measurement.
STANDARD_DEPTH_M = {
    NetworkType.WATER: 1.0,
    NetworkType.SEWER: 2.0,
    NetworkType.STORMWATER: 1.5,
    NetworkType.GAS: 0.8,
    NetworkType.ELECTRICITY: 0.8,
    NetworkType.TELECOM: 0.6,
    NetworkType.HEATING: 1.0,
    NetworkType.LIGHTING: 0.6,
    NetworkType.OTHER: 1.0,
}


class Network(models.Model):
    """One operator's network of one type (e.g. the water mains of the Régie des Eaux)."""

    operator = models.ForeignKey(NetworkOperator, on_delete=models.CASCADE, related_name="networks")
    network_type = models.CharField(max_length=20, choices=NetworkType.choices)
    name = models.CharField(max_length=200)
    standard_depth_m = models.FloatField(null=True, blank=True, help_text="Cover depth assumed when nothing is known.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["operator", "network_type", "name"], name="network_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_network_type_display()})"

    @property
    def default_depth(self) -> float:
        return self.standard_depth_m if self.standard_depth_m is not None else STANDARD_DEPTH_M[self.network_type]


class PrecisionClass(models.TextChoices):
    # Arrêté du 15 février 2012 (réforme DT-DICT): A ≤ 40 cm (50 cm for flexible), B ≤ 1.5 m, C beyond.
    A = "A", "Classe A (≤ 0,40 m)"
    B = "B", "Classe B (≤ 1,50 m)"
    C = "C", "Classe C (> 1,50 m ou inconnue)"


class NetworkQuerySet(SourcedQuerySet):
    def visible_to(self, user) -> NetworkQuerySet:
        return self if roles.can_see_networks(user) else self.none()


class AxisMethod(models.TextChoices):
    SURVEY = "survey", "Survey points along the line"
    VERTEX_Z = "vertex_z", "Altitudes on the line's vertices"
    AXIS = "axis", "Altitude of the axis"
    TOP = "top", "Altitude of the pipe top"
    INVERT = "invert", "Invert levels"
    COVER = "cover", "Cover depth below the terrain"
    STANDARD_DEPTH = "standard_depth", "Network's standard depth (estimate)"


class NetworkSegment(SourcedModel):
    """A pipe, cable, sleeve or gallery between two points, with its computed 3D axis."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="segments")
    feature_type = models.CharField(max_length=80, help_text="StaR-DT/RAEPA class, e.g. Canalisation, Fourreau.")
    geom = models.LineStringField(srid=SRID, help_text="The delivered plan position (2D).")
    axis = models.LineStringField(srid=SRID, dim=3, null=True, blank=True, help_text="3D axis, orthometric metres.")
    axis_method = models.CharField(max_length=20, choices=AxisMethod.choices, blank=True)
    axis_is_estimate = models.BooleanField(default=False)
    axis_uncertainty_m = models.FloatField(null=True, blank=True)
    material = models.CharField(max_length=80, blank=True)
    diameter_nominal_mm = models.FloatField(null=True, blank=True)
    diameter_outer_mm = models.FloatField(null=True, blank=True)
    diameter_inner_mm = models.FloatField(null=True, blank=True)
    precision_xy = models.CharField(max_length=1, choices=PrecisionClass.choices, default=PrecisionClass.C)
    precision_z = models.CharField(max_length=1, choices=PrecisionClass.choices, default=PrecisionClass.C)
    status = models.CharField(max_length=40, blank=True)
    install_year = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = NetworkQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source_key", "source_id"], name="segment_source_unique")]

    def __str__(self) -> str:
        return f"{self.feature_type} {self.source_id}"

    @property
    def diameter_m(self) -> float:
        """The outer diameter if known, else nominal, else a 100 mm guess; metres."""
        mm = self.diameter_outer_mm or self.diameter_nominal_mm or self.diameter_inner_mm or 100.0
        return mm / 1000.0

    def axis_from_observations(self, terrain_z: Callable | None) -> None:
        """Recompute `axis` from the stored depth observations, the terrain and the diameters.

        terrain_z(xs, ys) gives ground heights (orthometric m) at storage-CRS points, e.g.
        Terrain.current().sampler(); it is needed for cover depths and the standard-depth estimate.
        """
        length = self.geom.length
        observations = [
            DepthObservationRecord(
                kind=o.kind,
                value=o.value,
                position=None if o.fraction is None else o.fraction * length,
                point=(o.point.x, o.point.y) if o.point else None,
                source=o.note,
                precision_z=o.precision_z or None,
            )
            for o in self.observations.all()
        ]
        result = compute_axis(
            [c[:2] for c in self.geom.coords],
            observations,
            outer_diameter_mm=self.diameter_outer_mm or self.diameter_nominal_mm,
            inner_diameter_mm=self.diameter_inner_mm or self.diameter_nominal_mm,
            network_type=self.network.network_type,
            standard_cover_m=self.network.default_depth,
            precision_z=self.precision_z,
            terrain_z=terrain_z,
        )
        self.apply_axis(result)

    def apply_axis(self, result) -> None:
        """Store a twin.depth.Axis3D (or None: no axis could be computed) on the segment."""
        if result is None:
            self.axis, self.axis_method, self.axis_is_estimate, self.axis_uncertainty_m = None, "", False, None
            return
        self.axis = LineString([tuple(map(float, c)) for c in result.coords], srid=self.geom.srid)
        self.axis_method = result.method
        self.axis_is_estimate = result.estimated
        self.axis_uncertainty_m = result.uncertainty_m


class ObservationKind(models.TextChoices):
    TOP = "top", "Altitude of the pipe top (génératrice supérieure)"
    AXIS = "axis", "Altitude of the axis"
    INVERT = "invert", "Invert level (fil d'eau)"
    COVER = "cover", "Cover depth (profondeur)"
    SURVEY = "survey", "Surveyed point (levé)"


class DepthObservation(models.Model):
    """A depth or altitude the delivery gives for a segment, at a point or for the whole segment."""

    segment = models.ForeignKey(NetworkSegment, on_delete=models.CASCADE, related_name="observations")
    kind = models.CharField(max_length=10, choices=ObservationKind.choices)
    value = models.FloatField(help_text="Metres: an altitude (orthometric) or a depth below ground.")
    fraction = models.FloatField(
        null=True, blank=True, help_text="Where along the segment (0..1); empty for all of it."
    )
    point = models.PointField(srid=SRID, null=True, blank=True)
    precision_z = models.CharField(max_length=1, choices=PrecisionClass.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)

    def as_tuple(self) -> tuple:
        xy = (self.point.x, self.point.y) if self.point else None
        return (self.kind, self.value, self.fraction, xy)


class NetworkNode(SourcedModel):
    """A manhole, valve, hydrant, fitting, structure or survey point of a network."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="nodes")
    node_type = models.CharField(max_length=80)
    geom = models.PointField(srid=SRID, dim=3)
    cover_z = models.FloatField(null=True, blank=True, help_text="Lid / ground altitude, orthometric metres.")
    invert_z = models.FloatField(null=True, blank=True, help_text="Invert / bottom altitude, orthometric metres.")
    precision_xy = models.CharField(max_length=1, choices=PrecisionClass.choices, default=PrecisionClass.C)
    precision_z = models.CharField(max_length=1, choices=PrecisionClass.choices, default=PrecisionClass.C)

    objects = NetworkQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source_key", "source_id"], name="node_source_unique")]

    def __str__(self) -> str:
        return f"{self.node_type} {self.source_id}"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    CONSULTATION = "consultation", "Concertation"
    APPROVED = "approved", "Approuvé"
    BUILT = "built", "Construit"


_NEXT_STATUS = {
    ProjectStatus.DRAFT: ProjectStatus.CONSULTATION,
    ProjectStatus.CONSULTATION: ProjectStatus.APPROVED,
    ProjectStatus.APPROVED: ProjectStatus.BUILT,
}


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProjectQuerySet:
        if roles.can_see_drafts(user):
            return self
        return self.exclude(status=ProjectStatus.DRAFT)


class PlanningProject(models.Model):
    """An urban planning project, shown to citizens once it leaves draft."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name

    def is_public(self) -> bool:
        return self.status != ProjectStatus.DRAFT

    def accepts_comments(self) -> bool:
        """Citizens comment while the project is in consultation: never a draft, never once it is decided."""
        return self.status == ProjectStatus.CONSULTATION

    def advance(self) -> str:
        """Move to the next status (draft → consultation → approved → built)."""
        nxt = _NEXT_STATUS.get(self.status)
        if nxt is None:
            raise ValueError(f"Project {self.slug!r} is already {self.status}; nothing comes after it.")
        self.status = nxt
        self.save(update_fields=["status", "updated_at"])
        return self.status


# The storey height the key figures assume (the model files carry volumes, not floors): a usual 3 m slab to slab.
STOREY_HEIGHT_M = 3.0


class ProjectVariant(models.Model):
    """One proposal of a project: a model file placed in the city, and what it occupies."""

    project = models.ForeignKey(PlanningProject, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=200)
    slug = models.SlugField()
    description = models.TextField(blank=True)
    model_file = models.CharField(max_length=500, help_text="The delivered model (IFC, glTF/GLB, CityJSON).")
    model_format = models.CharField(max_length=20)
    origin = models.PointField(
        srid=SRID, null=True, blank=True, help_text="Where the model's local origin lands: x, y in the storage CRS (m)."
    )
    rotation_deg = models.FloatField(
        default=0.0,
        help_text="Degrees counter-clockwise about the vertical axis, from east (the storage CRS's x axis).",
    )
    elevation_m = models.FloatField(default=0.0, help_text="Orthometric height (m) of the model's local origin.")
    mesh_file = models.CharField(
        max_length=500, blank=True, help_text="Triangles in the storage CRS (npz), for tiles and DSM."
    )
    footprint = models.MultiPolygonField(srid=SRID, null=True, blank=True)
    min_z = models.FloatField(null=True, blank=True)
    max_z = models.FloatField(null=True, blank=True)
    triangle_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "slug"], name="variant_unique")]

    def __str__(self) -> str:
        return f"{self.project.name} — {self.name}"

    @property
    def height_m(self) -> float | None:
        """From the lowest to the highest point of the model, metres."""
        if self.min_z is None or self.max_z is None:
            return None
        return self.max_z - self.min_z

    @property
    def storeys(self) -> int | None:
        """Storeys at STOREY_HEIGHT_M each: an estimate from the height, as the model files carry no floors."""
        height = self.height_m
        return None if height is None else max(1, round(height / STOREY_HEIGHT_M))

    @property
    def footprint_area_m2(self) -> float | None:
        """The ground the variant covers, m² (the storage CRS is projected, in metres)."""
        return None if self.footprint is None else float(self.footprint.area)

    @property
    def floor_area_m2(self) -> float | None:
        """Footprint × storeys: an upper bound of the gross floor area (set-backs and atria are not known)."""
        area, storeys = self.footprint_area_m2, self.storeys
        return None if area is None or storeys is None else area * storeys

    @property
    def tile_layer(self) -> str:
        """The variant's tile layer, named by its key: slugs joined by "-" could name two variants."""
        if self.pk is None:
            raise ValueError(f"Variant {self.slug!r} has no tile layer before it is saved.")
        return f"project-{self.pk}"


class CommentStatus(models.TextChoices):
    PENDING = "pending", "En attente de modération"
    APPROVED = "approved", "Publié"
    REJECTED = "rejected", "Refusé"


class CommentClosed(ValueError):
    """A comment on a project that is not in consultation (a draft, or a project already decided)."""


class ProjectCommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProjectCommentQuerySet:
        """Moderators (planners, admins) see every comment of every project; others the approved ones of public
        projects only: a pending or rejected comment, or any comment of a draft, reaches nobody else."""
        if roles.can_see_drafts(user):
            return self
        return self.filter(status=CommentStatus.APPROVED).exclude(project__status=ProjectStatus.DRAFT)


class ProjectComment(models.Model):
    """A citizen's comment pinned to a 3D point of a project, shown to others once a planner approves it."""

    MAX_TEXT = 1000
    MAX_AUTHOR = 80

    project = models.ForeignKey(PlanningProject, on_delete=models.CASCADE, related_name="comments")
    variant = models.ForeignKey(
        ProjectVariant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        help_text="The variant the citizen was looking at, if any.",
    )
    point = models.PointField(srid=SRID, dim=3, help_text="Where it is pinned: storage CRS, orthometric height (m).")
    text = models.TextField(max_length=MAX_TEXT)
    author_name = models.CharField(max_length=MAX_AUTHOR, blank=True, help_text="The name the citizen gave, if any.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="project_comments"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=CommentStatus.choices, default=CommentStatus.PENDING)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    objects = ProjectCommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return f"{self.project.name}: {self.text[:40]}"

    @classmethod
    def submit(cls, project: PlanningProject, point, text: str, *, variant=None, author_name: str = "", user=None):
        """A new pending comment; CommentClosed when the project is not in consultation."""
        if not project.accepts_comments():
            raise CommentClosed(
                f"Comments on {project.name!r} are closed: a project takes comments only while in consultation "
                f"(it is {project.get_status_display().lower()})."
            )
        if variant is not None and variant.project_id != project.pk:
            raise ValueError(f"Variant {variant.pk} is not a variant of {project.name!r}.")
        author = user if user is not None and user.is_authenticated else None
        return cls.objects.create(
            project=project, variant=variant, point=point, text=text, author_name=author_name, author=author
        )

    def approve(self, by) -> None:
        self._moderate(CommentStatus.APPROVED, by)

    def reject(self, by) -> None:
        self._moderate(CommentStatus.REJECTED, by)

    def _moderate(self, status: str, by) -> None:
        if not roles.can_see_drafts(by):
            raise PermissionError("Only planners and admins moderate comments.")
        self.status, self.moderated_by, self.moderated_at = status, by, timezone.now()
        self.save(update_fields=["status", "moderated_by", "moderated_at"])


class PointOfInterest(models.Model):
    """A landmark or place a visitor cares about; z is the height of the point to look at."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    category = models.CharField(max_length=80, blank=True)
    description = models.TextField(blank=True)
    geom = models.PointField(srid=SRID, dim=3, help_text="Position; z is the orthometric height to look at.")
    source_key = models.CharField(
        max_length=100, blank=True, help_text="The sync source or file it came from; empty when curated in the admin."
    )
    source_id = models.CharField(max_length=200, blank=True, help_text="The feature's stable id in its source.")
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="Hash of the imported content, for incremental sync."
    )

    class Meta:
        verbose_name = "point of interest"
        verbose_name_plural = "points of interest"
        constraints = [
            models.UniqueConstraint(
                fields=["source_key", "source_id"], condition=~models.Q(source_key=""), name="poi_source_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TreeQuerySet(SourcedQuerySet):
    def crown_arrays(self) -> dict[str, np.ndarray]:
        """Every crown as arrays: x, y (storage CRS, metres), base_z, top_z (orthometric metres), radius (metres)."""
        rows = np.array(
            [
                (t.location.x, t.location.y, t.crown_base_z, t.crown_top_z, t.crown_radius_m)
                for t in self.only("location", "ground_z", "height_m", "crown_base_m", "crown_radius_m")
            ],
            dtype=np.float64,
        ).reshape(-1, 5)
        return dict(zip(("x", "y", "base_z", "top_z", "radius"), rows.T))

    def fingerprint(self) -> str:
        """A digest of the trees as they cast shade: a shade table cast before any tree changed is stale."""
        h = hashlib.sha256()
        for row in self.order_by("pk").values_list("pk", "content_hash"):
            h.update(repr(row).encode())
        return h.hexdigest()[:16]


class Tree(SourcedModel):
    """A tree of the city's inventory: its foot, and its crown as heights above the ground and a radius."""

    location = models.PointField(srid=SRID, help_text="The foot of the trunk (2D).")
    ground_z = models.FloatField(help_text="Ground height at the foot, orthometric metres.")
    height_m = models.FloatField(help_text="Top of the crown above the ground, metres.")
    crown_base_m = models.FloatField(help_text="Bottom of the crown above the ground, metres.")
    crown_radius_m = models.FloatField(help_text="Half the crown's width, metres.")
    species = models.CharField(max_length=200, blank=True)

    objects = TreeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source_key", "source_id"], name="tree_source_unique"),
            models.CheckConstraint(
                condition=models.Q(crown_radius_m__gt=0) & models.Q(height_m__gt=models.F("crown_base_m")),
                name="tree_crown_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.species or 'tree'} {self.source_id}"

    @property
    def crown_base_z(self) -> float:
        """Bottom of the crown, orthometric metres."""
        return self.ground_z + self.crown_base_m

    @property
    def crown_top_z(self) -> float:
        """Top of the crown, orthometric metres."""
        return self.ground_z + self.height_m


class StreetSegment(SourcedModel):
    """A street, footpath or stair between two junctions: the pedestrian graph's edges."""

    class Kind(models.TextChoices):
        STREET = "street", "Rue"
        FOOTPATH = "footpath", "Chemin, sentier"
        STAIRS = "stairs", "Escalier"

    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STREET)
    geom = models.LineStringField(srid=SRID, dim=3)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source_key", "source_id"], name="street_source_unique")]

    def __str__(self) -> str:
        return self.name or self.source_id


class WalkingCircuit(models.Model):
    """A curated tourist circuit: points of interest in order, with texts."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    source_key = models.CharField(
        max_length=100, blank=True, help_text="The sync source or file it came from; empty when curated in the admin."
    )
    source_id = models.CharField(max_length=200, blank=True, help_text="The circuit's stable id in its source.")
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="Hash of the imported content, for incremental sync."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_key", "source_id"], condition=~models.Q(source_key=""), name="circuit_source_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def ordered_stops(self) -> Iterable[CircuitStop]:
        return self.stops.select_related("poi").order_by("order")


class CircuitStop(models.Model):
    circuit = models.ForeignKey(WalkingCircuit, on_delete=models.CASCADE, related_name="stops")
    poi = models.ForeignKey(PointOfInterest, on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["circuit", "order"], name="circuit_order_unique")]


class PointCloud(models.Model):
    """A LAS/LAZ point cloud kept for tiling."""

    name = models.CharField(max_length=200, unique=True)
    file = models.CharField(max_length=500)
    srid = models.PositiveIntegerField(default=SRID)
    point_count = models.BigIntegerField(default=0)
    bounds = models.PolygonField(srid=SRID, null=True, blank=True)
    min_z = models.FloatField(null=True, blank=True)
    max_z = models.FloatField(null=True, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class JobLock(models.Model):
    """A job that holds a name (one build of a layer, one sync of a source) until it ends or the lock expires.

    A row in the database every worker already shares: it works on SpatiaLite and PostGIS alike, across
    machines, with no Redis (twin/job_lock.py says why and how)."""

    key = models.CharField(max_length=200, unique=True)
    owner = models.CharField(max_length=200, help_text="The task id (or host:pid) that holds the lock.")
    acquired_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="A crashed worker's lock is free again after this.")

    def __str__(self) -> str:
        return f"{self.key} held by {self.owner} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class ChangeQuerySet(models.QuerySet):
    def head(self) -> int:
        """The position of the newest entry (0 for an empty log)."""
        return self.aggregate(head=models.Max("id"))["head"] or 0

    def after(self, position: int) -> ChangeQuerySet:
        return self.filter(id__gt=position)


class Change(models.Model):
    """One entry of the change log: an area of a layer that a sync changed.

    The log is the hand-off between a sync and whatever derives data from the city: tile builds, the surface
    model. Nobody erases entries; each consumer keeps its own position in the log (ChangeCursor), so a tile
    build can never hide from the surface model a change it still has to patch."""

    layer = models.CharField(max_length=120, db_index=True)
    area = models.MultiPolygonField(srid=settings.JUMEAU_SRID)
    source_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.layer} {self.created_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def append(cls, entries: list[Change]) -> None:
        """Add a sync's entries at the end of the log; call inside the sync's transaction, just before it commits.

        Positions must become visible in order, or a consumer that read the head could later find an older
        entry below it and never see it. On PostgreSQL a table lock makes concurrent syncs take positions one
        transaction after another (readers are not blocked); SQLite has one writer at a time anyway."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'LOCK TABLE "{cls._meta.db_table}" IN EXCLUSIVE MODE')
        cls.objects.bulk_create(entries)


class ChangeCursor(models.Model):
    """How far one consumer (`tiles` for one layer, `viewshed` for the buildings) has read the change log."""

    consumer = models.CharField(max_length=40)
    layer = models.CharField(max_length=120)
    position = models.BigIntegerField(default=0, help_text="Entries up to this one are reflected in what it made.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consumer", "layer"], name="one_cursor_per_consumer_layer")]

    def __str__(self) -> str:
        return f"{self.consumer} on {self.layer} at #{self.position}"

    @classmethod
    def position_of(cls, consumer: str, layer: str) -> int:
        row = cls.objects.filter(consumer=consumer, layer=layer).values_list("position", flat=True).first()
        return row or 0

    @classmethod
    def advance(cls, consumer: str, layer: str, position: int) -> None:
        """Move the cursor to `position`; never back (a slower build that read less must not undo a newer one)."""
        cursor, _ = cls.objects.get_or_create(consumer=consumer, layer=layer)
        cls.objects.filter(pk=cursor.pk, position__lt=position).update(position=position, updated_at=timezone.now())

    @classmethod
    def pending_layers(cls, consumer: str) -> list[str]:
        """Layers with entries past this consumer's position on them, sorted by name."""
        positions = dict(cls.objects.filter(consumer=consumer).values_list("layer", "position"))
        latest = Change.objects.values("layer").annotate(last=models.Max("id")).values_list("layer", "last")
        return sorted(layer for layer, last in latest if last > positions.get(layer, 0))
