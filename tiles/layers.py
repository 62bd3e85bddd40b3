"""The tile layers the twin publishes, and who may load each."""
from __future__ import annotations

from django.conf import settings

from tiles.publish import current_version
from twin import roles

NETWORKS = "networks"
BUILDINGS = "buildings"
TERRAIN = "terrain"
BASEMAP = "basemap"
PROJECT_PREFIX = "project-"
POINTCLOUD_PREFIX = "pointcloud-"


def _project_variant(layer: str):
    from twin.models import ProjectVariant

    for variant in ProjectVariant.objects.select_related("project"):
        if variant.tile_layer == layer:
            return variant
    return None


def may_load(layer: str, user) -> bool:
    """Whether `user` may load any file of `layer` (tileset.json included)."""
    if layer == NETWORKS:
        return roles.can_see_networks(user)
    if layer.startswith(PROJECT_PREFIX):
        variant = _project_variant(layer)
        if variant is None:
            return False
        return variant.project.is_public() or roles.can_see_drafts(user)
    return layer in (BUILDINGS, TERRAIN, BASEMAP) or layer.startswith(POINTCLOUD_PREFIX)


def layers_for(user) -> list[dict]:
    """The published layers this user may load, with their URLs, for the frontend."""
    from twin.models import PlanningProject

    root = settings.JUMEAU_TILES_DIR
    out: list[dict] = []

    def add(name: str, kind: str, title: str, **extra) -> None:
        if current_version(root, name) is None:
            return
        url = f"/tiles/{name}/layer.json" if kind == "terrain" else f"/tiles/{name}/tileset.json"
        entry = {"name": name, "kind": kind, "title": title, "url": url.replace("/layer.json", "/") if kind == "terrain" else url}
        entry.update(extra)
        out.append(entry)

    add(TERRAIN, "terrain", "Terrain")
    add(BASEMAP, "imagery", "Fond de plan", url=f"/tiles/{BASEMAP}/basemap.json")
    add(BUILDINGS, "3dtiles", "Bâtiments")
    if roles.can_see_networks(user):
        add(NETWORKS, "3dtiles", "Réseaux enterrés")
    for project in PlanningProject.objects.visible_to(user).prefetch_related("variants"):
        for variant in project.variants.all():
            add(variant.tile_layer, "3dtiles", f"{project.name} — {variant.name}",
                project=project.slug, variant=variant.slug, status=project.status)
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            if entry.name.startswith(POINTCLOUD_PREFIX):
                add(entry.name, "3dtiles", f"Nuage de points {entry.name[len(POINTCLOUD_PREFIX):]}")
    return out
