"""The tile layers the twin publishes, and who may load each."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from tiles.publish import current_version
from twin import roles
from twin.models import PlanningProject, ProjectVariant

NETWORKS = "networks"
BUILDINGS = "buildings"
TERRAIN = "terrain"
BASEMAP = "basemap"
PROJECT_PREFIX = "project-"
POINTCLOUD_PREFIX = "pointcloud-"
# Every name a layer can have. A project variant's layer is named by its primary key (ProjectVariant.tile_layer):
# slugs joined by "-" are ambiguous ("a-b" + "c" and "a" + "b-c"). 18 digits stay inside a 64-bit key.
# A point cloud's name is slugified (tiles.build.pointcloud_layer).
LAYER_RE = re.compile(
    r"buildings|terrain|basemap|networks|project-(?P<variant>[1-9][0-9]{0,17})"
    r"|pointcloud-[a-z0-9][a-z0-9_-]*"
)


def is_layer_name(name: str) -> bool:
    return LAYER_RE.fullmatch(name) is not None


def variant_pk(layer: str) -> int | None:
    """The primary key of the project variant a layer shows, or None when it is not a project layer."""
    match = LAYER_RE.fullmatch(layer)
    return int(match["variant"]) if match and match["variant"] else None


def project_variant(layer: str):
    """The ProjectVariant (with its project) that `layer` shows, or None."""
    pk = variant_pk(layer)
    if pk is None:
        return None
    return ProjectVariant.objects.select_related("project").filter(pk=pk).first()


def may_load(layer: str, user) -> bool:
    """Whether `user` may load any file of `layer` (tileset.json included). Unknown names: nobody."""
    if not is_layer_name(layer):
        return False
    if layer == NETWORKS:
        return roles.can_see_networks(user)
    if layer.startswith(PROJECT_PREFIX):
        variant = project_variant(layer)
        if variant is None:
            return False
        return variant.project.is_public() or roles.can_see_drafts(user)
    return True


def layer_url(name: str) -> str:
    """The URL the frontend opens a layer at: the terrain's folder, the basemap's description, else its tileset."""
    if name == TERRAIN:
        return f"/tiles/{name}/"
    if name == BASEMAP:
        return f"/tiles/{name}/basemap.json"
    return f"/tiles/{name}/tileset.json"


def loadable_by(layers: list[str], user_pks: set[int | None]) -> dict[int | None, set[str]]:
    """For each user primary key (None: an anonymous visitor), which of `layers` that user may load now.

    Each user is read afresh, so a role withdrawn or an account closed since the user signed in counts at once;
    a user who no longer exists is a citizen.
    """
    users = get_user_model().objects.filter(pk__in=[pk for pk in user_pks if pk is not None])
    found = {user.pk: user for user in users}
    return {pk: {layer for layer in layers if may_load(layer, found.get(pk) or AnonymousUser())} for pk in user_pks}


def layers_for(user) -> list[dict]:
    """The published layers this user may load, with their URLs, for the frontend."""
    root = settings.JUMEAU_TILES_DIR
    out: list[dict] = []

    def add(name: str, kind: str, title: str, **extra) -> None:
        version = current_version(root, name)
        if version is None:
            return
        # Read before the app fetches the tileset, so never newer than what it loads: /ws/layers/ messages that
        # name a later version make it reload (frontend/static/jumeau/core/LayerUpdates.js).
        entry = {"name": name, "kind": kind, "title": title, "url": layer_url(name), "version": version}
        entry.update(extra)
        out.append(entry)

    add(TERRAIN, "terrain", "Terrain")
    add(BASEMAP, "imagery", "Fond de plan")
    add(BUILDINGS, "3dtiles", "Bâtiments")
    if roles.can_see_networks(user):
        add(NETWORKS, "3dtiles", "Réseaux enterrés")
    for project in PlanningProject.objects.visible_to(user).prefetch_related("variants"):
        for variant in project.variants.all():
            add(
                variant.tile_layer,
                "3dtiles",
                f"{project.name} — {variant.name}",
                project=project.slug,
                variant=variant.slug,
                status=project.status,
            )
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            if entry.name.startswith(POINTCLOUD_PREFIX) and is_layer_name(entry.name):
                add(entry.name, "3dtiles", f"Nuage de points {entry.name[len(POINTCLOUD_PREFIX) :]}")
    return out
