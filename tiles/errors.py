"""Errors of the tiles app; each names the layer and says what to do."""


class TilesError(Exception):
    """Base of the tiles app's errors."""


class NothingToBuild(TilesError, ValueError):
    """A layer has no features to tile."""


class UnknownLayer(TilesError, LookupError):
    """A layer name that the twin does not know."""


class PublishError(TilesError, OSError):
    """A build could not be published; the previous build still serves."""


class BuildGone(TilesError):
    """A step of a split build whose lease lapsed: the build was (or is being) abandoned, the step must not touch it."""
