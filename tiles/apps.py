"""3D Tiles built from the twin, published atomically and served with permissions."""

from django.apps import AppConfig


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = "3D tiles"
