"""Builds and publishes tile layers from the twin's models, recording each build as a TileBuild."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from tiles.builders import basemap, buildings, networks, pointclouds, projects, terrain
from tiles.builders.base import LayerStats, Progress
from tiles.errors import NothingToBuild, TilesError, UnknownLayer
from tiles.layers import BASEMAP, BUILDINGS, NETWORKS, POINTCLOUD_PREFIX, TERRAIN, project_variant
from tiles.models import TileBuild
from tiles.publish import LayerBuild, current_version
from twin.geoid import HeightFrame, city_frame
from twin.models import Building, Change, ChangeCursor, NetworkSegment, PointCloud, ProjectVariant, Terrain
from twin.progress import Meter

# This app's name in twin's change log: one position per layer.
LOG_CONSUMER = "tiles"

Builder = Callable[[LayerBuild, HeightFrame, Progress], LayerStats]


class BuildFailed(TilesError, RuntimeError):
    """One or more layers failed to build; the previous builds still serve."""

    def __init__(self, builds: list[TileBuild]):
        self.builds = builds
        super().__init__("; ".join(f"{b.layer}: {b.error}" for b in builds))


def pointcloud_layer(cloud) -> str:
    return f"{POINTCLOUD_PREFIX}{slugify(cloud.name)}"


def known_layers() -> list[str]:
    """Every layer the twin's data can give, terrain first (the others are shown on it)."""
    names: list[str] = []
    if Terrain.current() is not None:
        names += [TERRAIN, BASEMAP]
    if Building.objects.exists():
        names.append(BUILDINGS)
    if NetworkSegment.objects.filter(axis__isnull=False).exists():
        names.append(NETWORKS)
    for variant in (
        ProjectVariant.objects.select_related("project").exclude(mesh_file="").order_by("project__slug", "slug")
    ):
        names.append(variant.tile_layer)
    for cloud in PointCloud.objects.order_by("name"):
        names.append(pointcloud_layer(cloud))
    return names


def unpublished_layers() -> list[str]:
    """Layers with data that were never published (what a fresh install must build)."""
    root = settings.JUMEAU_TILES_DIR
    return [name for name in known_layers() if current_version(root, name) is None]


def stale_layers() -> list[str]:
    """Layers with areas changed by a sync since their last build, in build order."""
    return layers_to_rebuild(ChangeCursor.pending_layers(LOG_CONSUMER))


def layers_to_rebuild(changed: Iterable[str]) -> list[str]:
    """The layers to build after changes to `changed` (layer names a sync recorded), in build order."""
    dirty = set(changed)
    if TERRAIN in dirty:
        dirty.add(BASEMAP)  # drawn from the terrain
    known = known_layers()
    return [name for name in known if name in dirty] + sorted(dirty - set(known))


def builder_for(layer: str) -> Builder:
    """The function that writes `layer` into a LayerBuild; UnknownLayer with advice if none."""
    if layer == BUILDINGS:
        return lambda build, frame, progress: buildings.build(build, frame, progress)
    if layer == NETWORKS:
        return lambda build, frame, progress: networks.build(build, frame, progress)
    if layer == TERRAIN:
        return lambda build, frame, progress: terrain.build(build, frame, progress)
    if layer == BASEMAP:
        return lambda build, frame, progress: basemap.build(build, frame, progress)
    if (variant := project_variant(layer)) is not None:
        return lambda build, frame, progress: projects.build(build, frame, progress, variant)
    if layer.startswith(POINTCLOUD_PREFIX):
        for cloud in PointCloud.objects.all():
            if pointcloud_layer(cloud) == layer:
                return lambda build, frame, progress: pointclouds.build(build, frame, progress, cloud)
    raise UnknownLayer(
        f"There is no layer {layer!r}. Known layers: {', '.join(known_layers()) or 'none yet'}; "
        "import data first (`manage.py load_demo` or `manage.py import_file`)."
    )


def build_layer(layer: str, progress: Progress = print) -> TileBuild:
    """Build one layer and publish it atomically; a failure leaves the previous build serving."""
    root = settings.JUMEAU_TILES_DIR
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    record = TileBuild.objects.create(layer=layer, version="", status=TileBuild.Status.BUILDING)
    try:
        builder = builder_for(layer)
        frame = city_frame()
        # Read before the data: entries a sync appends while the build runs stay past the cursor, for the next one.
        seen = Change.objects.head()
        with LayerBuild(root, layer) as build:
            record.version = build.version
            record.save(update_fields=["version"])
            stats = builder(build, frame, progress)
    except Exception as exc:
        record_failure(record, exc, seconds=time.perf_counter() - started)
        raise
    record.seconds = time.perf_counter() - started
    record_published(record, stats, seen, progress)
    return record


def record_failure(record: TileBuild, exc: BaseException | str, seconds: float) -> None:
    """The build failed: say why on its row; the previous build still serves."""
    record.status = TileBuild.Status.FAILED
    if isinstance(exc, str):
        record.error = exc
    else:
        record.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, TilesError) else str(exc)
    record.finished_at = timezone.now()
    record.seconds = seconds
    record.save()


def record_published(record: TileBuild, stats: LayerStats, seen: int, progress: Progress) -> None:
    """The build is published: it supersedes the previous one, and the changes it saw are no longer stale.

    seen: the change log's head when the build started reading (entries appended since then stay pending)."""
    layer = record.layer
    TileBuild.objects.filter(layer=layer, status=TileBuild.Status.PUBLISHED).update(status=TileBuild.Status.SUPERSEDED)
    ChangeCursor.advance(LOG_CONSUMER, layer, seen)
    record.status = TileBuild.Status.PUBLISHED
    record.features = stats.features
    record.tiles = stats.tiles
    record.tiles_rewritten = stats.tiles_rewritten
    record.bytes = stats.bytes
    record.finished_at = timezone.now()
    # Kept with the build, so that the summary (and the admin) can say what the layer does not show.
    record.error = "\n".join(stats.left_out() + stats.warnings)[:5000]
    record.save()
    progress(
        f"  {layer}: {stats.features} features, {stats.tiles} tiles ({stats.tiles_rewritten} written), "
        f"{stats.bytes / 1e6:.1f} MB in {record.seconds:.1f} s"
    )
    for line in stats.left_out():
        progress(f"  {layer}: {line}")


def build_layers(
    names: Iterable[str] | None = None,
    progress: Progress = print,
    *,
    stale: bool = False,
    raise_on_failure: bool = True,
) -> list[TileBuild]:
    """Build the named layers (all known layers when None; the stale ones when stale=True).

    Every layer is attempted; when raise_on_failure, BuildFailed lists the failures afterwards.
    """
    if names is None:
        names = stale_layers() if stale else known_layers()
    names = list(dict.fromkeys(names))
    if not names:
        raise NothingToBuild(
            "Nothing to build: "
            + (
                "no layer has changed since its last build."
                if stale
                else "the twin has no data yet; run `manage.py load_demo` or import files first."
            )
        )
    builds: list[TileBuild] = []
    failed: list[TileBuild] = []
    meter = Meter("layers built", len(names), progress if len(names) > 1 else None, every_s=0)
    for name in names:
        progress(f"Building {name}")
        try:
            builds.append(build_layer(name, progress))
        except Exception as exc:  # noqa: BLE001 - one layer failing must not stop the others
            progress(f"  {name}: FAILED — {exc}")
            record = TileBuild.objects.filter(layer=name).order_by("-started_at", "-pk").first()
            if record is None or record.status != TileBuild.Status.FAILED:
                record = TileBuild(layer=name, status=TileBuild.Status.FAILED, error=str(exc))
            builds.append(record)
            failed.append(record)
        meter.advance()
    if failed and raise_on_failure:
        raise BuildFailed(failed)
    return builds
