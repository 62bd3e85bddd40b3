"""Routes of the web app."""

from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.index, name="index"),
    path("xr/", views.xr, name="xr"),
]
