"""Admin for the city's core model: search and filters on every table; geometries as WKT."""

import json

from django import forms
from django.contrib import admin
from django.contrib.gis.db import models as gis_models
from django.utils import timezone
from django_celery_results.admin import TaskResultAdmin
from django_celery_results.models import TaskResult

from twin import models, roles

# GeoDjango's map widgets load OpenLayers from a CDN; the twin runs on-premise without one.
WKT_WIDGET = {gis_models.GeometryField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}


class WktAdmin(admin.ModelAdmin):
    formfield_overrides = WKT_WIDGET
    list_per_page = 50


@admin.register(models.Terrain)
class TerrainAdmin(WktAdmin):
    list_display = [
        "name",
        "active",
        "pixel_size",
        "width",
        "height",
        "min_z",
        "max_z",
        "vertical_datum",
        "imported_at",
    ]
    list_filter = ["active", "vertical_datum"]
    search_fields = ["name", "file"]


@admin.register(models.Building)
class BuildingAdmin(WktAdmin):
    list_display = ["source_id", "name", "use", "storeys", "ground_z", "roof_z", "year", "source_key"]
    list_filter = ["use", "source_key", "height_source"]
    search_fields = ["source_id", "name", "use"]


@admin.register(models.NetworkOperator)
class NetworkOperatorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "contact"]
    search_fields = ["name", "code"]


@admin.register(models.Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "network_type", "operator", "standard_depth_m"]
    list_filter = ["network_type", "operator"]
    search_fields = ["name", "operator__name"]


class DepthObservationInline(admin.TabularInline):
    model = models.DepthObservation
    formfield_overrides = WKT_WIDGET
    extra = 0


@admin.register(models.NetworkSegment)
class NetworkSegmentAdmin(WktAdmin):
    list_display = [
        "source_id",
        "feature_type",
        "network",
        "material",
        "diameter_nominal_mm",
        "precision_xy",
        "precision_z",
        "axis_method",
        "install_year",
    ]
    list_filter = [
        "network__network_type",
        "feature_type",
        "precision_xy",
        "precision_z",
        "axis_method",
        "axis_is_estimate",
        "status",
    ]
    search_fields = ["source_id", "feature_type", "material"]
    inlines = [DepthObservationInline]


@admin.register(models.NetworkNode)
class NetworkNodeAdmin(WktAdmin):
    list_display = ["source_id", "node_type", "network", "cover_z", "invert_z", "precision_xy"]
    list_filter = ["network__network_type", "node_type", "precision_xy"]
    search_fields = ["source_id", "node_type"]


class ProjectVariantInline(admin.StackedInline):
    model = models.ProjectVariant
    formfield_overrides = WKT_WIDGET
    extra = 0


@admin.register(models.PlanningProject)
class PlanningProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProjectVariantInline]
    actions = ["advance_status"]

    @admin.action(description="Advance to the next status")
    def advance_status(self, request, queryset):
        for project in queryset:
            try:
                project.advance()
            except ValueError as exc:
                self.message_user(request, str(exc), level="warning")


@admin.register(models.ProjectVariant)
class ProjectVariantAdmin(WktAdmin):
    list_display = ["name", "project", "model_format", "triangle_count", "max_z"]
    list_filter = ["model_format", "project__status"]
    search_fields = ["name", "project__name"]


@admin.register(models.ProjectComment)
class ProjectCommentAdmin(WktAdmin):
    """Planners moderate citizens' comments here. Access follows the role (planner, admin), not Django's model
    permissions: a planner's account is staff only to reach this page (twin.roles.grant)."""

    list_display = ["created_at", "project", "variant", "short_text", "author_name", "status", "moderated_by"]
    list_filter = ["status", "project"]
    search_fields = ["text", "author_name", "project__name"]
    readonly_fields = ["project", "variant", "point", "text", "author_name", "author", "created_at"]
    fields = [*readonly_fields, "status", "moderated_by", "moderated_at"]
    actions = ["approve", "reject"]
    list_select_related = ["project", "variant", "moderated_by"]

    @admin.display(description="comment")
    def short_text(self, obj: models.ProjectComment) -> str:
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"

    def _moderator(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and roles.can_see_drafts(request.user)

    def has_module_permission(self, request) -> bool:
        return self._moderator(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._moderator(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._moderator(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._moderator(request)

    def has_add_permission(self, request) -> bool:
        return False  # comments come from citizens, through the app

    def get_readonly_fields(self, request, obj=None):
        # Moderation goes through the model's methods (the actions), so who and when are always recorded.
        return [*self.readonly_fields, "status", "moderated_by", "moderated_at"]

    @admin.action(description="Approve: show to everyone")
    def approve(self, request, queryset):
        for comment in queryset:
            comment.approve(request.user)
        self.message_user(request, f"{queryset.count()} comment(s) approved and shown in the app.")

    @admin.action(description="Reject: never shown")
    def reject(self, request, queryset):
        for comment in queryset:
            comment.reject(request.user)
        self.message_user(request, f"{queryset.count()} comment(s) rejected.")


@admin.register(models.PointOfInterest)
class PointOfInterestAdmin(WktAdmin):
    list_display = ["name", "category", "source_key", "source_id"]
    list_filter = ["category", "source_key"]
    search_fields = ["name", "description", "source_id"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(models.Tree)
class TreeAdmin(WktAdmin):
    """The city's trees, read-only: a tree inventory's sync writes them, and the shade on the streets follows it."""

    list_display = ["source_id", "species", "height_m", "crown_base_m", "crown_radius_m", "ground_z", "source_key"]
    list_filter = ["source_key"]
    search_fields = ["=source_id", "species"]
    readonly_fields = [
        "source_key",
        "source_id",
        "species",
        "location",
        "ground_z",
        "height_m",
        "crown_base_m",
        "crown_radius_m",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.StreetSegment)
class StreetSegmentAdmin(WktAdmin):
    list_display = ["source_id", "name", "kind"]
    list_filter = ["kind", "source_key"]
    search_fields = ["name", "source_id"]


class CircuitStopInline(admin.TabularInline):
    model = models.CircuitStop
    extra = 0
    autocomplete_fields = ["poi"]


@admin.register(models.WalkingCircuit)
class WalkingCircuitAdmin(admin.ModelAdmin):
    list_display = ["name", "published", "source_key", "updated_at"]
    list_filter = ["published", "source_key"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CircuitStopInline]


@admin.register(models.PointCloud)
class PointCloudAdmin(WktAdmin):
    list_display = ["name", "point_count", "srid", "imported_at"]
    search_fields = ["name", "file"]


# --- Background jobs: django-celery-results keeps every job; this list says what a person asks first.

JOB_STATES = {
    "PENDING": "queued",
    "STARTED": "running",
    "RETRY": "waiting to retry",
    "SUCCESS": "done",
    "FAILURE": "failed",
    "REVOKED": "cancelled",
}


class JobAdmin(TaskResultAdmin):
    list_display = ["date_created", "task_name", "task_args", "state", "duration", "outcome", "worker"]
    list_filter = ["status", "task_name", "date_created"]

    @admin.display(description="state", ordering="status")
    def state(self, obj: TaskResult) -> str:
        return JOB_STATES.get(obj.status, obj.status.lower())

    @admin.display(description="duration")
    def duration(self, obj: TaskResult) -> str:
        start = obj.date_started or obj.date_created
        if obj.status in ("PENDING", "RETRY") or start is None:
            return "—"
        if obj.status == "STARTED" or obj.date_done is None:
            return f"{(timezone.now() - start).total_seconds():.0f} s so far"
        return f"{(obj.date_done - start).total_seconds():.1f} s"

    @admin.display(description="progress, counts or error")
    def outcome(self, obj: TaskResult) -> str:
        text = obj.result or ""
        if obj.status == "STARTED":
            try:
                text = json.loads(text).get("progress") or ""
            except (ValueError, AttributeError):
                text = ""
        return text if len(text) <= 300 else text[:300] + "…"


admin.site.unregister(TaskResult)
admin.site.register(TaskResult, JobAdmin)


@admin.register(models.JobLock)
class JobLockAdmin(admin.ModelAdmin):
    """Who holds which job name now; deleting a row frees a lock a dead machine left (it also expires)."""

    list_display = ["key", "owner", "acquired_at", "expires_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(models.Change)
class ChangeAdmin(WktAdmin):
    """The change log, read-only: entries are appended by syncs and read by tiles and the surface model."""

    list_display = ["id", "layer", "created_at"]
    list_filter = ["layer"]
    readonly_fields = ["layer", "area", "source_ids", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.ChangeCursor)
class ChangeCursorAdmin(admin.ModelAdmin):
    list_display = ["consumer", "layer", "position", "updated_at"]
    list_filter = ["consumer"]
