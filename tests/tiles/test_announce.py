"""tiles.announce: one watch per server process, started by the first open app and stopped with the last."""

from __future__ import annotations

import asyncio
import json

import pytest

from tiles.announce import LayerWatch
from tiles.publish import LayerBuild

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class App:
    """An open app as the watch sees it: something that receives frames."""

    def __init__(self) -> None:
        self.frames: list[dict] = []

    async def layer_published(self, frame: str) -> None:
        self.frames.append(json.loads(frame))


def publish(root, layer: str) -> str:
    with LayerBuild(root, layer) as build:
        (build.path / "tileset.json").write_text("{}")
    return build.version


async def test_apps_that_connect_together_share_one_watch_and_the_last_to_leave_stops_it(tiles_root, settings):
    settings.JUMEAU_LAYER_WATCH_S = 0.05
    first_version = publish(tiles_root, "buildings")
    watch, one, two = LayerWatch(), App(), App()
    snapshots = await asyncio.gather(watch.join(one, None), watch.join(two, None))
    assert [json.loads(s)["layers"] for s in snapshots] == [
        [{"layer": "buildings", "version": first_version, "url": "/tiles/buildings/tileset.json"}]
    ] * 2
    task = watch.task
    version = await asyncio.to_thread(publish, tiles_root, "buildings")
    for _ in range(100):
        if one.frames and two.frames:
            break
        await asyncio.sleep(0.02)
    assert (
        one.frames
        == two.frames
        == [
            {
                "type": "layer_published",
                "layer": "buildings",
                "version": version,
                "url": "/tiles/buildings/tileset.json",
            }
        ]
    )
    watch.leave(one)
    assert not task.done()
    watch.leave(two)
    await asyncio.sleep(0)
    assert task.cancelled() and watch.task is None


async def test_a_look_with_nothing_new_tells_nobody(tiles_root):
    publish(tiles_root, "buildings")
    watch, app = LayerWatch(), App()
    await watch.join(app, None)
    try:
        assert await watch.look() == {}
        assert app.frames == []
    finally:
        watch.leave(app)
