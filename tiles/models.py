"""Tile builds: what was published for each layer (what waits for a rebuild is in twin's change log)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.utils import timezone


class TileBuild(models.Model):
    """One build of one layer; the newest successful build is the published one."""

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded"

    layer = models.CharField(max_length=120, db_index=True)
    version = models.CharField(max_length=40, help_text="Folder name of the build under var/tiles/.builds/.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BUILDING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    features = models.PositiveIntegerField(default=0)
    tiles = models.PositiveIntegerField(default=0)
    tiles_rewritten = models.PositiveIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.layer} {self.version} ({self.status})"
