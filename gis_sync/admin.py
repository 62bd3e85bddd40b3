"""Admin for sources and their runs."""
from django.contrib import admin

from gis_sync.models import Source, SyncRun


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "format", "location", "srid", "enabled"]
    list_filter = ["format", "enabled"]
    search_fields = ["key", "name", "location"]


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "source", "path", "format", "status", "created", "updated", "deleted", "unchanged", "rejected"]
    list_filter = ["status", "format", "source"]
    search_fields = ["path", "source__key"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]
