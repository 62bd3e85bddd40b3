"""Admin for tile builds."""

from django.contrib import admin

from tiles.models import TileBuild


@admin.register(TileBuild)
class TileBuildAdmin(admin.ModelAdmin):
    list_display = [
        "layer",
        "version",
        "status",
        "features",
        "tiles",
        "tiles_rewritten",
        "bytes",
        "seconds",
        "started_at",
    ]
    list_filter = ["status", "layer"]
    search_fields = ["layer", "version"]
