"""The tile service: permissions on every file, validators, caching, gzip, CORS, atomic publish."""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path

import pytest

from tiles.publish import LayerBuild, current_version
from twin.models import PlanningProject, ProjectStatus, ProjectVariant

pytestmark = pytest.mark.django_db


def publish(root: Path, layer: str, marker: str) -> str:
    with LayerBuild(root, layer) as build:
        (build.path / "tileset.json").write_text(json.dumps({"asset": {"version": "1.1"}, "marker": marker}))
        (build.path / "t").mkdir()
        (build.path / "t" / "0.glb").write_bytes(b"glTF" + marker.encode())
    return build.version


def test_a_citizen_gets_buildings_with_validators_and_cors(citizen, tiles_root):
    publish(tiles_root, "buildings", "v1")
    response = citizen.get("/tiles/buildings/tileset.json", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["marker"] == "v1"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response["Cache-Control"] and response["Last-Modified"]
    again = citizen.get("/tiles/buildings/tileset.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_versioned_tile_urls_are_immutable(citizen, tiles_root):
    version = publish(tiles_root, "buildings", "v1")
    response = citizen.get(f"/tiles/buildings/@{version}/t/0.glb")
    assert response.status_code == 200
    assert response["Content-Type"] == "model/gltf-binary"
    assert "immutable" in response["Cache-Control"]


def test_network_tiles_are_403_for_citizens_tileset_json_included(citizen, field_agent, planner, tiles_root):
    version = publish(tiles_root, "networks", "pipes")
    assert citizen.get("/tiles/networks/tileset.json").status_code == 403
    assert citizen.get(f"/tiles/networks/@{version}/t/0.glb").status_code == 403
    assert field_agent.get("/tiles/networks/tileset.json").status_code == 200
    response = planner.get(f"/tiles/networks/@{version}/t/0.glb")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")


def test_draft_project_tiles_are_for_planners_only(citizen, field_agent, planner, tiles_root):
    project = PlanningProject.objects.create(name="Îlot Pasteur", slug="ilot-pasteur")
    variant = ProjectVariant.objects.create(
        project=project, name="A", slug="a", model_file="a.glb", model_format="gltf"
    )
    publish(tiles_root, variant.tile_layer, "draft")
    url = f"/tiles/{variant.tile_layer}/tileset.json"
    assert citizen.get(url).status_code == 403
    assert field_agent.get(url).status_code == 403
    assert planner.get(url).status_code == 200
    project.status = ProjectStatus.CONSULTATION
    project.save()
    assert citizen.get(url).status_code == 200


def test_a_path_outside_the_layer_is_not_served(citizen, tiles_root):
    publish(tiles_root, "buildings", "v1")
    (tiles_root / "secret.txt").write_text("nope")
    assert citizen.get("/tiles/buildings/../secret.txt").status_code == 404
    assert citizen.get("/tiles/buildings/%2e%2e/%2e%2e/secret.txt").status_code == 404


def test_an_unpublished_layer_says_how_to_build_it(citizen, tiles_root):
    response = citizen.get("/tiles/buildings/tileset.json")
    assert response.status_code == 404


def test_a_failed_build_leaves_the_published_one_serving(citizen, tiles_root):
    first = publish(tiles_root, "buildings", "v1")
    with pytest.raises(RuntimeError):
        with LayerBuild(tiles_root, "buildings") as build:
            (build.path / "tileset.json").write_text("{half")
            raise RuntimeError("disk full")
    assert current_version(tiles_root, "buildings") == first
    assert json.loads(b"".join(citizen.get("/tiles/buildings/tileset.json").streaming_content))["marker"] == "v1"
    assert not list((tiles_root / ".builds" / "buildings").glob("*.partial"))


def test_readers_never_see_a_half_written_tileset(tiles_root):
    publish(tiles_root, "buildings", "v0")
    stop = threading.Event()
    seen: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            text = (tiles_root / "buildings" / "tileset.json").read_text()
            seen.append(json.loads(text)["marker"])

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(1, 30):
        publish(tiles_root, "buildings", f"v{i}")
    stop.set()
    thread.join()
    assert seen and all(m.startswith("v") for m in seen)
    assert len(list((tiles_root / ".builds" / "buildings").iterdir())) <= 3


def test_behind_nginx_a_field_agent_gets_an_internal_redirect(field_agent, citizen, tiles_root, settings):
    version = publish(tiles_root, "networks", "pipes")
    settings.JUMEAU_TILES_ACCEL_PREFIX = "/_protected_tiles/"
    response = field_agent.get(f"/tiles/networks/@{version}/t/0.glb")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected_tiles/.builds/networks/{version}/t/0.glb"
    assert citizen.get(f"/tiles/networks/@{version}/t/0.glb").status_code == 403


def test_two_variants_whose_slugs_join_alike_have_their_own_layers(citizen, planner, tiles_root):
    # project "a-b" variant "c" and project "a" variant "b-c" both read "a-b-c": only the draft is kept from citizens.
    public = PlanningProject.objects.create(name="A B", slug="a-b", status=ProjectStatus.CONSULTATION)
    draft = PlanningProject.objects.create(name="A", slug="a")
    shown = ProjectVariant.objects.create(project=public, name="C", slug="c", model_file="c.glb", model_format="gltf")
    hidden = ProjectVariant.objects.create(
        project=draft, name="B C", slug="b-c", model_file="bc.glb", model_format="gltf"
    )
    assert shown.tile_layer == f"project-{shown.pk}" and hidden.tile_layer == f"project-{hidden.pk}"
    publish(tiles_root, shown.tile_layer, "public")
    publish(tiles_root, hidden.tile_layer, "draft")
    assert (
        json.loads(b"".join(citizen.get(f"/tiles/{shown.tile_layer}/tileset.json").streaming_content))["marker"]
        == "public"
    )
    assert citizen.get(f"/tiles/{hidden.tile_layer}/tileset.json").status_code == 403
    assert planner.get(f"/tiles/{hidden.tile_layer}/tileset.json").status_code == 200
    names = [layer["name"] for layer in citizen.get("/api/session/").json()["layers"]]
    assert shown.tile_layer in names and hidden.tile_layer not in names


def test_the_session_names_the_build_each_layer_publishes_so_the_app_knows_a_newer_one(citizen, tiles_root):
    first = publish(tiles_root, "buildings", "v1")
    basemap = publish(tiles_root, "basemap", "b1")
    layers = {layer["name"]: layer for layer in citizen.get("/api/session/").json()["layers"]}
    assert layers["buildings"]["version"] == first and layers["basemap"]["version"] == basemap
    assert layers["basemap"]["url"] == "/tiles/basemap/basemap.json"
    second = publish(tiles_root, "buildings", "v2")
    assert second > first
    assert {layer["name"]: layer["version"] for layer in citizen.get("/api/session/").json()["layers"]}[
        "buildings"
    ] == second
