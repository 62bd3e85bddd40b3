"""The API's default permission: an endpoint is closed until its view says who may use it."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class DenyAll(BasePermission):
    """Refuses every request. It is REST_FRAMEWORK's default so that a view that forgets permission_classes
    leaks nothing; DRF ships no such class (IsAdminUser lets staff in, IsAuthenticated any citizen account)."""

    message = (
        "This endpoint declares no permission, so it is closed: its view must set permission_classes "
        "(twin/permissions.py explains why the default denies)."
    )

    def has_permission(self, request, view) -> bool:
        return False

    def has_object_permission(self, request, view, obj) -> bool:
        return False
