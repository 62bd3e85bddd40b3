"""The viewshed's exception family: what failed and what to do, never where the observer stood."""

from __future__ import annotations


class ViewshedError(Exception):
    """Base of every viewshed error."""


class ObserverError(ViewshedError, ValueError):
    """The observer cannot stand there (outside the city, inside a building, unknown facade): a 400."""


class SurfaceModelError(ViewshedError, OSError):
    """The surface model (DSM) cannot be built or read: no terrain, unreadable GeoTIFF."""


class SurfaceModelMissing(SurfaceModelError):
    """No surface model has been built yet: views wait for `manage.py build_dsm` (a 503, never a build)."""


class ComputationTimeout(ViewshedError, TimeoutError):
    """The computation missed its deadline."""


class ImpactError(ViewshedError, ValueError):
    """A proposal's impact report cannot be computed: the variant has no geometry, or none of it is in the city."""
