"""Sources and sync runs: bringing the city's files into the twin."""
from django.apps import AppConfig


class GisSyncConfig(AppConfig):
    name = "gis_sync"
    verbose_name = "GIS sync"
