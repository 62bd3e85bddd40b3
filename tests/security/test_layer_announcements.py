"""/ws/layers/: each persona hears of new builds of the layers it may load, and of no other, even by name.

The builds are published by another process, as `build_tiles` or a Celery worker does: the server hears of them
only through the tiles folder (tiles/announce.py).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from tests.conftest import ROOT
from tests.security import expectations as ex

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PUBLISH = """
import json, sys, time
from pathlib import Path
from tiles.publish import LayerBuild
root, out = Path(sys.argv[1]), {}
for layer in sys.argv[2:]:
    with LayerBuild(root, layer) as build:
        (build.path / "tileset.json").write_text('{"asset": {"version": "1.1"}}')
    out[layer] = [build.version, time.time()]
print(json.dumps(out))
"""


async def publish_elsewhere(root, layers: list[str]) -> dict[str, tuple[str, float]]:
    """Publish a new build of each layer from another Python process; {layer: (version, time of the swap)}."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PUBLISH,
        str(root),
        *layers,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return {layer: (version, at) for layer, (version, at) in json.loads(out).items()}


def expected_layers(persona: str, published_layers) -> set[str]:
    everyone = {
        published_layers[kind][0] for kind in ("buildings", "terrain", "basemap", "pointcloud", "public project")
    }
    if persona in (ex.FIELD_AGENT, ex.PLANNER, ex.ADMIN):
        everyone.add("networks")
    if persona in (ex.PLANNER, ex.ADMIN):
        everyone.add(published_layers["draft project"][0])
    return everyone


async def open_socket(persona: str, clients) -> WebsocketCommunicator:
    from jumeau.asgi import application

    headers = [(b"origin", b"http://testserver")]
    if persona != ex.ANONYMOUS:
        headers.append((b"cookie", f"sessionid={clients[persona].cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/layers/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected, f"{persona} was refused /ws/layers/"
    return communicator


async def frames_until_quiet(communicator: WebsocketCommunicator, want: int, timeout: float = 6.0) -> list[dict]:
    """Frames received until `want` have come (or `timeout`), then until one more watch interval stays silent."""
    frames, deadline = [], time.monotonic() + timeout
    while len(frames) < want and time.monotonic() < deadline:
        try:
            frames.append(
                json.loads(await communicator.receive_from(timeout=deadline - time.monotonic()))
                | {"received": time.time()}
            )
        except TimeoutError:
            break
    while not await communicator.receive_nothing(timeout=1.5):
        frames.append(json.loads(await communicator.receive_from()) | {"received": time.time()})
    return frames


async def close_all(sockets) -> None:
    for communicator in sockets:
        await communicator.disconnect()
    # The consumers' ORM thread keeps its connection; PostGIS then cannot drop the test database.
    await sync_to_async(connections.close_all)()


async def test_each_persona_hears_of_the_builds_it_may_load_and_of_no_other(
    city, clients, published_layers, forbidden, tiles_root
):
    sockets = {persona: await open_socket(persona, clients) for persona in ex.PERSONAS}
    try:
        for persona, communicator in sockets.items():
            snapshot = json.loads(await communicator.receive_from(timeout=5))
            assert snapshot["type"] == "layers"
            assert {e["layer"] for e in snapshot["layers"]} == expected_layers(persona, published_layers), persona
            now = dict(published_layers.values())  # layer -> version
            assert all(entry["version"] == now[entry["layer"]] for entry in snapshot["layers"]), persona
        every_layer = sorted(layer for layer, _ in published_layers.values())
        published = await publish_elsewhere(tiles_root, every_layer)
        # All read at once: a frame is stamped when it arrives, not when an earlier persona's wait is over.
        frames = await asyncio.gather(
            *(
                frames_until_quiet(communicator, len(expected_layers(persona, published_layers)))
                for persona, communicator in sockets.items()
            )
        )
        heard = dict(zip(sockets, frames))
    finally:
        await close_all(sockets.values())
    latencies = []
    for persona, frames in heard.items():
        assert {f["type"] for f in frames} == {"layer_published"}, persona
        got = {f["layer"]: f["version"] for f in frames}
        assert len(frames) == len(got), f"{persona} heard of a build twice"
        assert set(got) == expected_layers(persona, published_layers), persona
        assert all(got[layer] == published[layer][0] for layer in got), persona
        text = json.dumps(frames)
        assert not [m for m in forbidden[persona] if m in text], f"{persona} heard of a secret layer"
        latencies += [f["received"] - published[f["layer"]][1] for f in frames]
    # The markers the check searches for do travel, to whom may know them.
    assert f"/tiles/{published_layers['draft project'][0]}/" in json.dumps(heard[ex.PLANNER])
    assert '"layer": "networks"' in json.dumps(heard[ex.FIELD_AGENT])
    assert '"networks"' not in json.dumps(heard[ex.CITIZEN]) + json.dumps(heard[ex.ANONYMOUS])
    print(
        f"\n/ws/layers/: publish (another process) to message, {len(latencies)} messages: "
        f"max {max(latencies):.3f} s, mean {sum(latencies) / len(latencies):.3f} s"
    )
    # One look a second (JUMEAU_LAYER_WATCH_S), and the permission check of that look.
    assert max(latencies) < 2.0


async def test_a_planner_whose_role_is_withdrawn_no_longer_hears_of_draft_builds(
    city, clients, published_layers, tiles_root
):
    draft = published_layers["draft project"][0]
    communicator = await open_socket(ex.PLANNER, clients)
    try:
        await communicator.receive_from(timeout=5)
        await sync_to_async(lambda: city.users[ex.PLANNER].groups.clear())()
        await publish_elsewhere(tiles_root, [draft, "buildings"])
        frames = await frames_until_quiet(communicator, 1)
    finally:
        await close_all([communicator])
    assert [f["layer"] for f in frames] == ["buildings"]


async def test_an_app_that_reconnects_learns_what_was_published_while_it_was_away(
    city, clients, published_layers, tiles_root
):
    first = await open_socket(ex.CITIZEN, clients)
    await first.receive_from(timeout=5)
    await close_all([first])
    published = await publish_elsewhere(tiles_root, ["buildings"])
    again = await open_socket(ex.CITIZEN, clients)
    try:
        snapshot = json.loads(await again.receive_from(timeout=5))
    finally:
        await close_all([again])
    versions = {e["layer"]: e["version"] for e in snapshot["layers"]}
    assert versions["buildings"] == published["buildings"][0]
