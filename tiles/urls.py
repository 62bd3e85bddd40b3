"""Routes of the tile service."""

from django.urls import re_path

from tiles import views

urlpatterns = [
    # Any first segment reaches the view: a name that is no layer gets its uncacheable 404 there.
    re_path(r"^(?P<layer>[^/]+)/(?P<rel>.+)$", views.tile_view, name="tile"),
]
