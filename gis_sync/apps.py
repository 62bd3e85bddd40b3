"""Sources and sync runs: bringing the city's files into the twin."""

from django.apps import AppConfig


class GisSyncConfig(AppConfig):
    name = "gis_sync"
    verbose_name = "GIS sync"

    def ready(self) -> None:
        # Shapely must load its own GEOS before SQLite loads SpatiaLite with RTLD_GLOBAL: imported after
        # the first SpatiaLite connection, it binds to the system GEOS 3.11 and its WKT writer fails
        # ("WKT output dimension must be 2 or 3"). Django runs ready() before any connection.
        import shapely  # noqa: F401 - imported for its side effect, see above
