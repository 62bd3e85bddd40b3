"""No URL spelling and no symlink gets a layer's bytes to anyone its permissions leave out; the entitled get theirs."""

from __future__ import annotations

import itertools
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.tiles.traversal import ATTACKS, Attack, attack_url
from tiles.publish import BUILDS, LayerBuild
from twin.models import PlanningProject, ProjectStatus, ProjectVariant

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "citizen account", "planner", "field agent", "admin"]
# The persona (tests/conftest.py) and Django group of each role; no password, so no hashing per case.
PERSONAS = {
    "citizen account": ("charlie", None),
    "planner": ("alice", "planner"),
    "field agent": ("bob", "field_agent"),
    "admin": ("dana", "admin"),
}
LAYERS = ["buildings", "terrain", "basemap", "networks", "draft project", "public project", "pointcloud"]
VICTIMS = ["networks", "draft project"]
# Who may load each layer; every other layer is for everyone.
ENTITLED = {"networks": {"planner", "field agent", "admin"}, "draft project": {"planner", "admin"}}
FILES = ["tileset.json", "t/0.glb"]


@dataclass
class World:
    """Every kind of layer published in a private tiles folder, each file's bytes unique to it."""

    root: Path
    names: dict[str, str]  # layer kind -> layer name
    versions: dict[str, str]  # layer kind -> published version
    files: dict[str, dict[str, bytes]]  # layer kind -> path in the build -> bytes
    markers: dict[str, bytes]  # layer kind -> a string found in every file of the layer and nowhere else


def publish(root: Path, layer: str, marker: bytes) -> tuple[str, dict[str, bytes]]:
    files = {
        "tileset.json": json.dumps({"asset": {"version": "1.1"}, "marker": marker.decode()}).encode(),
        "t/0.glb": b"glTF" + marker + os.urandom(64),
    }
    with LayerBuild(root, layer) as build:
        for rel, data in files.items():
            (build.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (build.path / rel).write_bytes(data)
    return build.version, files


def variant_of(project: PlanningProject) -> ProjectVariant:
    return ProjectVariant.objects.create(
        project=project, name="Variante A", slug="a", model_file="a.ifc", model_format="ifc"
    )


@pytest.fixture
def world(tiles_root) -> World:
    draft = PlanningProject.objects.create(name="Îlot Pasteur", slug="ilot-pasteur")
    public = PlanningProject.objects.create(name="Port Vauban", slug="port-vauban", status=ProjectStatus.CONSULTATION)
    assert not draft.is_public() and public.is_public()
    names = {
        "buildings": "buildings",
        "terrain": "terrain",
        "basemap": "basemap",
        "networks": "networks",
        "draft project": variant_of(draft).tile_layer,
        "public project": variant_of(public).tile_layer,
        "pointcloud": "pointcloud-cap-d-antibes",
    }
    versions, files, markers = {}, {}, {}
    for kind, name in names.items():
        markers[kind] = f"{kind.replace(' ', '-')}-{secrets.token_hex(12)}".encode()
        versions[kind], files[kind] = publish(tiles_root, name, markers[kind])
    return World(tiles_root, names, versions, files, markers)


@pytest.fixture(scope="module")
def one_client() -> Client:
    # A new Client loads the middleware again, WhiteNoise's scan of the static files included (~0.4 s):
    # one client per module, its cookies cleared for each persona, keeps 2,000 cases quick.
    return Client()


@pytest.fixture
def client_as(db, one_client):
    def make(role: str) -> Client:
        client = one_client
        client.cookies.clear()
        if role != "anonymous":
            username, group = PERSONAS[role]
            user = User.objects.create_user(username, f"{username}@antibes.example")
            if group:
                user.groups.add(Group.objects.get_or_create(name=group)[0])
            client.force_login(user)
        return client

    return make


def entitled(role: str, kind: str) -> bool:
    return kind not in ENTITLED or role in ENTITLED[kind]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def etc_passwd() -> bytes:
    return Path("/etc/passwd").read_bytes()


def assert_leaks_nothing(world: World, response, role: str) -> None:
    """No byte string of a file the role may not load (nor of /etc/passwd) is in the body, whole or marker."""
    data = body(response)
    for kind, files in world.files.items():
        if entitled(role, kind):
            continue
        assert world.markers[kind] not in data, f"{kind} reached {role}"
        for rel, content in files.items():
            assert content not in data, f"{kind}/{rel} reached {role}"
    assert b"root:" not in data and etc_passwd() not in data


def attack_cases():
    for attack, victim, layer, role in itertools.product(ATTACKS, VICTIMS, LAYERS, ROLES):
        if "{layer}" not in attack.template and layer != victim:
            continue  # the URL does not name the requested layer: once per victim is enough
        if attack.name == "victim-version-in-own-layer" and layer == victim:
            continue  # that is the victim's own, lawful URL (test_entitled_users_get_their_tiles)
        yield pytest.param(attack, victim, layer, role, id=f"{attack.name}|{victim}|via {layer}|{role}")


@pytest.mark.parametrize(("attack", "victim", "layer", "role"), list(attack_cases()))
def test_no_spelling_reaches_another_layer(world, client_as, attack: Attack, victim, layer, role):
    url = attack_url(
        attack,
        layer=world.names[layer],
        own=world.versions[layer],
        victim=world.names[victim],
        version=world.versions[victim],
        root=str(world.root),
    )
    response = client_as(role).get(url)
    # Not a traversal succeeds, for anyone: the entitled read their layers by their own URLs.
    assert response.status_code in (403, 404), url
    assert_leaks_nothing(world, response, role)
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]


@pytest.mark.parametrize("form", ["published", "versioned"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("layer", LAYERS)
def test_entitled_users_get_their_tiles(world, client_as, layer, role, form):
    client = client_as(role)
    for rel, content in world.files[layer].items():
        url = f"/tiles/{world.names[layer]}/" + (rel if form == "published" else f"@{world.versions[layer]}/{rel}")
        response = client.get(url)
        if entitled(role, layer):
            assert response.status_code == 200, url
            assert body(response) == content
            # Only what an anonymous visitor may load may sit in a shared cache.
            scope = "public" if entitled("anonymous", layer) else "private"
            assert response["Cache-Control"].startswith(scope + ",")
            assert ("immutable" in response["Cache-Control"]) == (form == "versioned")
        else:
            assert response.status_code == 403, url
            assert "no-store" in response["Cache-Control"]
        assert_leaks_nothing(world, response, role)


# Symlinks a build could carry, by accident or by a compromised builder: (name in the build, target).
# {root} is the tiles folder, {networks}/{draft}/{old} the folders of the networks, draft and previous buildings builds.
LINKS = {
    "absolute-to-networks-tile": ("t/evil.glb", "{networks}/t/0.glb"),
    "relative-to-networks-tileset": ("evil.json", "../../networks/{networks_version}/tileset.json"),
    "to-networks-build-folder": ("net", "{networks}"),
    "to-networks-pointer": ("ptr", "{root}/networks"),
    "to-draft-tile": ("t/draft.glb", "{draft}/t/0.glb"),
    "to-etc-passwd": ("passwd", "/etc/passwd"),
    "to-older-buildings-build": ("t/old.glb", "../../{old_version}/t/0.glb"),
}
LINK_URLS = {
    "t/evil.glb": "t/evil.glb",
    "evil.json": "evil.json",
    "net": "net/tileset.json",
    "ptr": "ptr/tileset.json",
    "t/draft.glb": "t/draft.glb",
    "passwd": "passwd",
    "t/old.glb": "t/old.glb",
}


@pytest.fixture
def linked_world(world) -> World:
    """The world, with a buildings build published again carrying LINKS and one link inside itself."""
    root = world.root
    old_version = world.versions["buildings"]
    fields = {
        "root": str(root),
        "networks": str(root / BUILDS / "networks" / world.versions["networks"]),
        "networks_version": world.versions["networks"],
        "old_version": old_version,
        "draft": str(root / BUILDS / world.names["draft project"] / world.versions["draft project"]),
    }
    with LayerBuild(root, "buildings") as build:
        for rel, content in world.files["buildings"].items():
            (build.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (build.path / rel).write_bytes(content)
        for name, target in LINKS.values():
            (build.path / name).symlink_to(target.format(**fields))
        (build.path / "t" / "same.glb").symlink_to("0.glb")
    world.versions["buildings"] = build.version
    assert (root / BUILDS / "buildings" / old_version).is_dir()  # the older build is still there to point at
    return world


@pytest.mark.parametrize("form", ["published", "versioned"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("link", list(LINKS))
def test_a_symlink_out_of_a_build_is_not_followed(linked_world, client_as, link, role, form):
    world = linked_world
    rel = LINK_URLS[LINKS[link][0]]
    assert os.path.exists(world.root / "buildings" / rel), "the link must lead to a real file for the test to mean much"
    url = "/tiles/buildings/" + (rel if form == "published" else f"@{world.versions['buildings']}/{rel}")
    response = client_as(role).get(url)
    assert response.status_code == 404, url
    assert "no-store" in response["Cache-Control"]
    assert_leaks_nothing(world, response, role)
    for files in world.files.values():  # not even a file the role could load some other way
        assert not any(content in body(response) for content in files.values())


@pytest.mark.parametrize("role", ROLES)
def test_a_symlink_inside_its_build_is_served(linked_world, client_as, role):
    response = client_as(role).get("/tiles/buildings/t/same.glb")
    assert response.status_code == 200
    assert body(response) == linked_world.files["buildings"]["t/0.glb"]


@pytest.mark.parametrize("target", ["networks build", "tiles folder", "etc"])
def test_a_layer_pointer_aimed_out_of_its_layer_serves_nothing(world, client_as, target):
    aim = {
        "networks build": Path(BUILDS) / "networks" / world.versions["networks"],
        "tiles folder": Path("."),
        "etc": Path("/etc"),
    }[target]
    pointer = world.root / "buildings"
    pointer.unlink()
    pointer.symlink_to(aim)
    for rel in ["tileset.json", "t/0.glb", "passwd"]:
        response = client_as("anonymous").get(f"/tiles/buildings/{rel}")
        assert response.status_code == 404
        assert_leaks_nothing(world, response, "anonymous")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "name",
    [
        "project-0",
        "project-01",
        "project-abc",
        "project-1-2",
        "project-",
        "pointcloud-",
        "pointcloud-Big",
        "buildings2",
        "NETWORKS",
        ".builds",
        "networks.",
        "-",
    ],
)
def test_a_name_that_is_no_layer_is_a_404_for_everyone(world, client_as, name, role):
    response = client_as(role).get(f"/tiles/{name}/tileset.json")
    assert response.status_code == 404
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("role", ROLES)
def test_a_variant_key_that_does_not_exist_is_refused(world, client_as, role):
    missing = max(ProjectVariant.objects.values_list("pk", flat=True)) + 1000
    response = client_as(role).get(f"/tiles/project-{missing}/tileset.json")
    assert response.status_code == 403
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("role", ROLES)
def test_a_build_folder_that_is_a_link_to_another_layers_build_serves_nothing(world, client_as, role):
    build = world.root / BUILDS / "buildings" / world.versions["buildings"]
    for path in sorted(build.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    build.rmdir()
    build.symlink_to(world.root / BUILDS / "networks" / world.versions["networks"], target_is_directory=True)
    client = client_as(role)
    for url in ["/tiles/buildings/tileset.json", f"/tiles/buildings/@{world.versions['buildings']}/t/0.glb"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert not any(content in body(response) for content in world.files["networks"].values())
