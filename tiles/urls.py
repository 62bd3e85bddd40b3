"""Routes of the tile service."""
from django.urls import re_path

from tiles import views

urlpatterns = [
    re_path(r"^(?P<layer>[A-Za-z0-9_-]+)/(?P<rel>.+)$", views.tile_view, name="tile"),
]
