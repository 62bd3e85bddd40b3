"""HTTP routes of the realtime app (mounted under /api/)."""

from django.urls import path

from realtime import views

urlpatterns = [
    path("routes/", views.route_view, name="walking-route"),
    path("circuits/", views.circuits_view, name="circuits"),
    path("transit/stops/", views.stops_view, name="transit-stops"),
    path("transit/stops/<str:stop_id>/departures/", views.departures_view, name="transit-departures"),
]
