"""Routes of the viewshed API, mounted at /api/viewshed/."""

from django.urls import path

from viewshed.views import ViewshedView

urlpatterns = [
    path("", ViewshedView.as_view(), name="viewshed"),
]
