"""The wiring between jobs: a sync that landed queues the rebuilds of what it made stale, the tiles of each tile
layer and the job of each derived product (twin.derived): the surface model, the shade on the streets, the impact
reports."""

from __future__ import annotations

from realtime.tasks import compute_shade
from tiles.build import layers_to_rebuild
from tiles.tasks import build_layer
from twin import derived as products
from twin.models import Terrain
from viewshed.tasks import build_dsm, impact_reports


def queue_rebuilds(tile_layers: list[str], derived: list[str]) -> dict[str, str]:
    """Queue the build of every tile layer a sync made stale, and the jobs of the derived products it made stale:
    the surface model, then the shade on the streets and the impact reports read from it; the shade alone when only
    what it casts on top of the surface model changed (the trees); the impact reports of the variants whose model
    changed. Returns {job: task id}."""
    queued = {f"tiles:{layer}": build_layer.delay(layer).id for layer in layers_to_rebuild(tile_layers)}
    # Every derived product is cast on the terrain: without one there is nothing to keep, and the first terrain
    # sync makes the surface model stale, which brings the others along.
    if Terrain.current() is None:
        return queued
    stale = set(derived)
    if products.SURFACE in stale:
        # One chain: the shade and every report are read from the surface model, so they wait for it (each report
        # is recomputed only if its variant or the buildings around it changed).
        impact = (build_dsm.si() | compute_shade.si() | impact_reports.si()).delay()
        queued["dsm"], queued["shade"], queued["impact"] = impact.parent.parent.id, impact.parent.id, impact.id
        return queued  # the shade in that chain is cast with the trees as they are now
    if products.SHADE in stale:
        queued["shade"] = compute_shade.delay().id
    variants = sorted(pk for name in stale if (pk := products.impact_variant(name)) is not None)
    if variants:
        queued["impact"] = impact_reports.delay(variants).id
    return queued


def on_made_stale(sender, tile_layers: list[str], derived: list[str], **kwargs) -> dict[str, str]:
    """twin.signals.made_stale receiver: a sync that landed made `tile_layers` and `derived` stale."""
    return queue_rebuilds(tile_layers, derived)
