"""Routes of the JSON API."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter

from jumeau import api


class PublicAPIRootView(APIRootView):
    """The browsable index of the API: public, since it lists URLs and no data (each URL checks its own)."""

    permission_classes = [AllowAny]


router = DefaultRouter()
router.APIRootView = PublicAPIRootView
router.register("buildings", api.BuildingViewSet, basename="building")
router.register("network-segments", api.NetworkSegmentViewSet, basename="network-segment")
router.register("projects", api.PlanningProjectViewSet, basename="project")
router.register("pois", api.PointOfInterestViewSet, basename="poi")

urlpatterns = [
    path("session/", api.session_view, name="session"),
    path("search/", api.SearchView.as_view(), name="search"),
    path("viewshed/", include("viewshed.urls")),
    path("", include(router.urls)),
    path("", include("realtime.urls")),
]
