"""Tiles through the production nginx: public ones from disk, protected ones only after Django's role check."""

from __future__ import annotations

import gzip

import pytest

from tests.deploy.conftest import DRAFT_SECRET, NETWORK_SECRET, PUBLIC_MARK, STATIC_FILES

SECRETS = (NETWORK_SECRET, DRAFT_SECRET)


def _from_disk(stack, response) -> bool:
    """Whether nginx answered from disk, asking no upstream."""
    return stack.logged(response)["upstream"] == ""


def test_a_versioned_public_tile_comes_from_disk_and_is_immutable(stack, anonymous):
    target = f"/tiles/buildings/@{stack.versions['buildings']}/t/r.glb"
    response = anonymous.get(target)
    assert response.status == 200
    assert PUBLIC_MARK in response.body
    assert response.header("Content-Type") == "model/gltf-binary"
    assert response.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.header("Access-Control-Allow-Origin") == "*"
    # Django marks every tile it sends with Vary: Cookie; nginx's own answer varies only by encoding (the
    # build's gzip copy) and asked no upstream.
    assert response.header("Vary") == "Accept-Encoding"
    assert _from_disk(stack, response)


def test_a_public_tile_comes_gzipped_from_the_copy_the_build_wrote(stack, anonymous):
    target = f"/tiles/buildings/@{stack.versions['buildings']}/t/r.glb"
    response = anonymous.get(target, **{"Accept-Encoding": "gzip, deflate, br"})
    assert response.status == 200
    assert response.header("Content-Encoding") == "gzip"
    assert response.header("Content-Type") == "model/gltf-binary"
    tile = stack.base / "var" / "tiles" / ".builds" / "buildings" / stack.versions["buildings"] / "t" / "r.glb"
    assert gzip.decompress(response.body) == tile.read_bytes()
    assert response.body == tile.with_name("r.glb.gz").read_bytes()
    assert _from_disk(stack, response)


def test_a_versioned_public_tileset_comes_from_disk_as_json(stack, anonymous):
    target = f"/tiles/buildings/@{stack.versions['buildings']}/tileset.json"
    response = anonymous.get(target)
    assert response.status == 200
    assert response.header("Content-Type") == "application/json"
    assert PUBLIC_MARK in response.body
    assert _from_disk(stack, response)


def test_a_terrain_tile_comes_from_disk_stored_gzipped(stack, anonymous):
    version = stack.versions["terrain"]
    response = anonymous.get(f"/tiles/terrain/@{version}/0/0/0.terrain?v=1.2.0")
    assert response.status == 200
    assert response.header("Content-Type") == "application/vnd.quantized-mesh"
    assert response.header("Content-Encoding") == "gzip"
    assert gzip.decompress(response.body) == b"quantized-mesh of Antibes"
    assert response.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert _from_disk(stack, response)
    layer = anonymous.get(f"/tiles/terrain/@{version}/layer.json")
    assert layer.status == 200 and layer.header("Content-Type") == "application/json"
    assert _from_disk(stack, layer)


def test_static_files_come_from_disk_and_are_revalidated(stack, anonymous):
    response = anonymous.get("/static/jumeau.css")
    assert response.status == 200
    assert response.body == b"body { margin: 0 }\n"
    assert response.all("Cache-Control") == ["no-cache"]
    assert response.header("ETag")
    assert _from_disk(stack, response)
    again = anonymous.get("/static/jumeau.css", **{"If-None-Match": response.header("ETag")})
    assert again.status == 304 and again.body == b""


def test_an_app_module_comes_gzipped_from_the_copy_collectstatic_made(stack, anonymous):
    source = STATIC_FILES["jumeau/main.js"].read_bytes()
    response = anonymous.get("/static/jumeau/main.js", **{"Accept-Encoding": "gzip, deflate, br"})
    assert response.status == 200
    assert response.header("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in response.header("Vary")
    assert response.header("Content-Type") == "application/javascript"
    assert gzip.decompress(response.body) == source
    # The very bytes of the .gz on disk: nginx compressed nothing itself (gzip_static).
    assert response.body == (stack.base / "var" / "static" / "jumeau" / "main.js.gz").read_bytes()
    assert response.all("Cache-Control") == ["no-cache"]
    assert _from_disk(stack, response)
    plain = anonymous.get("/static/jumeau/main.js")
    assert plain.header("Content-Encoding") is None and plain.body == source


def test_a_cesium_file_in_its_versioned_folder_comes_gzipped_and_immutable(stack, anonymous):
    name = next(n for n in STATIC_FILES if n.startswith("vendor/"))
    response = anonymous.get(f"/static/{name}", **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.header("Content-Encoding") == "gzip"
    assert gzip.decompress(response.body) == STATIC_FILES[name].read_bytes()
    assert response.all("Cache-Control") == ["public, max-age=31536000, immutable"]
    assert _from_disk(stack, response)


def test_the_current_public_tileset_goes_through_django_and_revalidates(stack, anonymous):
    response = anonymous.get("/tiles/buildings/tileset.json")
    assert response.status == 200
    assert PUBLIC_MARK in response.body
    assert response.header("Cache-Control") == "public, max-age=60, must-revalidate"
    assert not _from_disk(stack, response)


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_nobody_without_a_role_gets_a_byte_of_the_networks(stack, who, request):
    client = request.getfixturevalue(who)
    for target in (
        "/tiles/networks/tileset.json",
        f"/tiles/networks/@{stack.versions['networks']}/t/r.glb",
        f"/tiles/networks/@{stack.versions['networks']}/tileset.json",
    ):
        response = client.get(target)
        assert response.status == 403, (target, response.status)
        assert NETWORK_SECRET not in response.body
        assert response.header("Cache-Control") == "private, no-store"


@pytest.mark.parametrize("who", ["planner", "field_agent"])
def test_a_role_gets_network_tiles_sent_by_nginx_after_django_said_yes(stack, who, request):
    client = request.getfixturevalue(who)
    version = stack.versions["networks"]
    tileset = client.get("/tiles/networks/tileset.json")
    assert tileset.status == 200
    assert NETWORK_SECRET in tileset.body
    assert tileset.header("Cache-Control") == "private, max-age=60, must-revalidate"
    tile = client.get(f"/tiles/networks/@{version}/t/r.glb")
    assert tile.status == 200
    assert tile.body.endswith(NETWORK_SECRET)
    assert tile.header("Content-Type") == "model/gltf-binary"
    # Never in a shared cache, though the versioned URL never changes.
    assert tile.header("Cache-Control") == "private, max-age=31536000, immutable"
    zipped = client.get(f"/tiles/networks/@{version}/t/r.glb", **{"Accept-Encoding": "gzip"})
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == tile.body
    assert zipped.header("Cache-Control") == "private, max-age=31536000, immutable"
    # Django decided (an upstream was asked) and sent no bytes itself: X-Accel-Redirect is consumed by nginx.
    assert not _from_disk(stack, tile)
    assert tile.header("X-Accel-Redirect") is None


@pytest.mark.parametrize("who", ["anonymous", "citizen", "field_agent"])
def test_a_draft_project_is_for_planners_only(stack, who, request):
    layer, version = stack.draft_layer, stack.versions[stack.draft_layer]
    for target in (f"/tiles/{layer}/tileset.json", f"/tiles/{layer}/@{version}/t/r.glb"):
        response = request.getfixturevalue(who).get(target)
        assert response.status == 403, (target, response.status)
        assert DRAFT_SECRET not in response.body
    planner = request.getfixturevalue("planner")
    tile = planner.get(f"/tiles/{layer}/@{version}/t/r.glb")
    assert tile.status == 200 and tile.body.endswith(DRAFT_SECRET)
    assert tile.header("Cache-Control") == "private, max-age=31536000, immutable"
    assert not _from_disk(stack, tile)


def test_the_internal_location_cannot_be_asked_for_directly(stack, planner):
    response = planner.get(f"/_protected_tiles/.builds/networks/{stack.versions['networks']}/tileset.json")
    assert response.status == 404
    assert NETWORK_SECRET not in response.body


def _spellings(stack) -> list[str]:
    """Ways to name a networks or draft file under a public layer's URL, as an attacker would send them."""
    net, pub, tiles = stack.versions["networks"], stack.versions["buildings"], stack.tiles
    draft, draft_version = stack.draft_layer, stack.versions[stack.draft_layer]
    return [
        f"/tiles/buildings/@../{draft}/{draft_version}/tileset.json",
        f"/tiles/buildings/@..%2F..%2F{draft}%2Ftileset.json",
        f"/tiles/terrain/@%2e%2e/{draft}/{draft_version}/t/r.glb",
        f"/tiles/buildings/@{pub}/../../{draft}/@{draft_version}/tileset.json",
        "/tiles/buildings/@../networks/tileset.json",
        f"/tiles/buildings/@../networks/{net}/tileset.json",
        f"/tiles/buildings/@../networks/{net}/t/r.glb",
        "/tiles/buildings/@..%2F..%2Fnetworks%2Ftileset.json",
        f"/tiles/buildings/@..%2Fnetworks%2F{net}%2Ft%2Fr.glb",
        "/tiles/buildings/@%2e%2e/%2e%2e/networks/tileset.json",
        "/tiles/buildings/@%2e%2e%2f%2e%2e%2fnetworks%2ftileset.json",
        "/tiles/buildings/@%2E%2E%2F%2E%2E%2Fnetworks%2Ftileset.json",
        "/tiles/buildings/@%252e%252e%252f%252e%252e%252fnetworks%252ftileset.json",
        "/tiles/buildings/@..%252F..%252Fnetworks%252Ftileset.json",
        "/tiles/buildings/@..\\..\\networks\\tileset.json",
        "/tiles/buildings/@..%5C..%5Cnetworks%5Ctileset.json",
        f"/tiles/buildings/@{pub}/../../networks/@{net}/tileset.json",
        f"/tiles/buildings/@{pub}/..%2F..%2F..%2Fnetworks%2Ftileset.json",
        f"/tiles/buildings/@{pub}/%2e%2e/%2e%2e/%2e%2e/networks/tileset.json",
        f"/tiles/buildings/@{pub}//{tiles}/networks/tileset.json",
        f"/tiles/buildings/@{pub}/%2F{str(tiles).lstrip('/').replace('/', '%2F')}%2Fnetworks%2Ftileset.json",
        f"/tiles/buildings/@/{tiles}/.builds/networks/{net}/tileset.json",
        "/tiles/buildings/@.%2F..%2F..%2Fnetworks%2Ftileset.json",
        "/tiles/terrain/@..%2F..%2Fnetworks%2Ftileset.json",
        f"/tiles/buildings/@{pub}/../../../_protected_tiles/.builds/networks/{net}/tileset.json",
        "/tiles/Networks/tileset.json",
        "/tiles/networks%2Ftileset.json",
    ]


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_no_path_spelling_reaches_the_networks(stack, who, request):
    client = request.getfixturevalue(who)
    leaks = []
    for target in _spellings(stack):
        response = client.get(target)
        if response.status not in (400, 403, 404) or any(secret in response.body for secret in SECRETS):
            leaks.append(f"{target} -> {response.status}, {len(response.body)} bytes")
    assert not leaks, "network or draft tiles reachable without a role:\n" + "\n".join(leaks)


def test_nginx_sends_no_file_from_disk_for_any_odd_spelling(stack, anonymous):
    """Only the publisher's exact version and clean paths are aliased; the rest is Django's to judge."""
    for target in _spellings(stack):
        response = anonymous.get(target)
        if _from_disk(stack, response):
            assert response.status == 404 and not any(secret in response.body for secret in SECRETS), target
