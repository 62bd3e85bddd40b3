"""URL map: the app, the API, the tiles, the admin."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("twin.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("tiles/", include("tiles.urls")),
    path("", include("frontend.urls")),
]

# An /api/ URL that no route matches answers JSON, as the schema documents.
handler404 = "twin.openapi_errors.not_found"
