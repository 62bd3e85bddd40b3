"""The wiring between jobs: a sync that landed queues the rebuilds it made stale, in tiles, the surface model,
the shade on the streets and the impact reports."""

from __future__ import annotations

from realtime.tasks import compute_shade
from tiles.build import layers_to_rebuild
from tiles.layers import LAYER_RE
from tiles.tasks import build_layer
from twin.models import Terrain
from viewshed.tasks import build_dsm, impact_reports

# Data a sync names among its dirty layers that no tile layer draws: the trees cast shade on the streets.
NO_TILES = {"trees"}


def queue_rebuilds(dirty_layers: list[str]) -> dict[str, str]:
    """Queue the build of every layer a sync made stale; when buildings or terrain changed (and a terrain exists),
    the surface model, then the shade on the streets and the impact reports; when only the trees changed, the
    shade; when only a project's model changed, its variants' impact reports. Returns {job: task id}."""
    tile_layers = layers_to_rebuild([layer for layer in dirty_layers if layer not in NO_TILES])
    queued = {f"tiles:{layer}": build_layer.delay(layer).id for layer in tile_layers}
    # Without a terrain there is no surface model to keep: the first terrain sync queues it. The shade on the
    # streets and the impact reports are read from that surface model: they follow it, in the same chain (each
    # report is recomputed only if its variant or the buildings around it changed).
    if {"buildings", "terrain"} & set(dirty_layers) and Terrain.current() is not None:
        impact = (build_dsm.si() | compute_shade.si() | impact_reports.si()).delay()
        queued["dsm"], queued["shade"], queued["impact"] = impact.parent.parent.id, impact.parent.id, impact.id
        return queued  # the shade in that chain is cast with the trees as they are now
    if "trees" in dirty_layers and Terrain.current() is not None:
        # Trees cast no shade on the surface model nor on the impact reports: only the streets' shade follows.
        queued["shade"] = compute_shade.delay().id
    # A project's new model changes only its own variants' reports.
    variants = sorted(
        {int(m["variant"]) for layer in dirty_layers if (m := LAYER_RE.fullmatch(layer)) and m["variant"]}
    )
    if variants and Terrain.current() is not None:
        queued["impact"] = impact_reports.delay(variants).id
    return queued


def on_layers_changed(sender, layers: list[str], **kwargs) -> dict[str, str]:
    """twin.signals.layers_changed receiver: a sync that landed made `layers` stale."""
    return queue_rebuilds(layers)
