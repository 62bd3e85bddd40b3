"""URL map: the app, the API, the tiles, the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from twin.gates import jobs_monitor
from twin.login_guard import GuardedPasswordChangeView, ThrottledPasswordResetView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before django.contrib.auth.urls, which they override: a wrong old password counts as a failed
    # sign-in, reset e-mails are rate-limited per client address.
    path("accounts/password_change/", GuardedPasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
    # nginx's auth_request for /flower/ (docker/nginx.conf.template): 204 for admins only.
    path("accounts/gate/jobs-monitor/", jobs_monitor, name="jobs-monitor-gate"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("jumeau.api_urls")),
    # Public on purpose: the schema and its docs describe endpoints and shapes, never data, and each endpoint
    # checks its own permission; an open API is documented for the city's partners.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "api/docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[AllowAny]), name="api-docs"
    ),
    path("tiles/", include("tiles.urls")),
    # Each format checks the project: a draft's report answers 404 to anyone who may not see drafts.
    path("reports/impact/", include("viewshed.report_urls")),
    path("", include("frontend.urls")),
]

# An /api/ URL that no route matches answers JSON, as the schema documents.
handler404 = "twin.openapi_errors.not_found"
