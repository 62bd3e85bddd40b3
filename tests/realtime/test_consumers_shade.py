"""/ws/routes/: walks with a shade preference, and circuits' shade for the coming hours pushed as the sun moves."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from channels.db import database_sync_to_async

from tests.realtime.test_consumers import connect, receive

pytestmark = pytest.mark.django_db(transaction=True)


def store_table(shade: float) -> None:
    """A table for the current walk graph covering the next hours, every edge `shade` in shade."""
    from realtime.pedestrian import current_graph
    from realtime.shade import ShadeTable, graph_key
    from realtime.shade_store import shade_path

    g = current_graph().graph
    start = np.datetime64(datetime.now(UTC).replace(tzinfo=None, microsecond=0), "s") - np.timedelta64(60, "s")
    shares = np.full((len(g.edge_u), 6 * 4), shade)
    ShadeTable.from_shares(shares, start, 15, graph_key(g.x, g.y, g.edge_u, g.edge_v), "t").save(shade_path())


@pytest.mark.asyncio
async def test_circuits_come_with_their_shade_and_get_it_again_as_the_sun_moves(
    circuit, settings, tmp_path, monkeypatch
):
    import realtime.consumers

    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(realtime.consumers, "CIRCUIT_SHADE_PUSH_S", 0.2)

    def publish():
        circuit.published = True
        circuit.save()
        store_table(1.0)

    await database_sync_to_async(publish)()
    client = await connect("/ws/routes/")
    hello = await receive(client, timeout=10)
    hours = hello["features"][0]["properties"]["shade_by_hour"]
    assert len(hours) == 4 and all(h["shade_share"] == 1.0 for h in hours)
    await database_sync_to_async(store_table)(0.0)  # the shade job ran again: the sun is on every street
    pushed = await receive(client, timeout=10)
    assert pushed["type"] == "circuits_shade"
    [item] = pushed["circuits"]
    assert item["slug"] == "vieil-antibes" and [h["shade_share"] for h in item["shade_by_hour"]] == [0.0] * 4
    await client.send_json_to(
        {
            "type": "route",
            "id": 1,
            "from": {"poi": "port-vauban"},
            "to": {"poi": "chateau"},
            "shade": "most",
            "max_detour": 0.1,
        }
    )
    answer = await receive(client, timeout=10)
    while answer["type"] == "circuits_shade":
        answer = await receive(client, timeout=10)
    assert answer["feature"]["properties"]["shade"]["share"] == 0.0
    assert answer["feature"]["properties"]["shade"]["max_detour"] == 0.1
    await client.disconnect()


@pytest.mark.asyncio
async def test_a_walk_leaves_when_the_walker_says_and_a_wrong_time_is_named(circuit, settings, tmp_path):
    from datetime import timedelta

    settings.VAR_DIR = tmp_path
    await database_sync_to_async(store_table)(1.0)  # six hours of shade from now
    client = await connect("/ws/routes/")
    await receive(client, timeout=10)
    ask = {"type": "route", "from": {"poi": "port-vauban"}, "to": {"poi": "chateau"}, "shade": "most"}

    async def answer(**extra):
        await client.send_json_to({**ask, **extra})
        reply = await receive(client, timeout=10)
        while reply["type"] == "circuits_shade":
            reply = await receive(client, timeout=10)
        return reply

    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    shade = (await answer(id=1, depart=later))["feature"]["properties"]["shade"]
    assert shade["available"] and shade["share"] == 1.0
    # Past the table's six hours nothing is known of the shade: said, not guessed.
    tonight = (datetime.now(UTC) + timedelta(hours=10)).isoformat()
    assert (await answer(id=2, depart=tonight))["feature"]["properties"]["shade"]["available"] is False
    wrong = await answer(id=3, depart="demain 14h")
    assert wrong["type"] == "error" and wrong["id"] == 3 and "ISO 8601" in wrong["message"]
    await client.disconnect()
