"""/ws/transit/ and /ws/routes/ through jumeau.asgi.application, on whichever channel layer the settings give."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from jumeau.asgi import application
from realtime.feed_simulator import FeedSimulator
from realtime.gtfs_feed import read_feed
from realtime.gtfs_rt import parse_feed
from realtime.hub import default_publisher, hub
from realtime.worker import TransitState

# AuthMiddlewareStack reads the session through the ORM (in a worker thread): every test needs the real database.
pytestmark = pytest.mark.django_db(transaction=True)

MORNING = datetime(2025, 7, 10, 7, 38, tzinfo=ZoneInfo("Europe/Paris"))
HOME = [(b"origin", b"http://testserver")]


async def connect(path: str, headers=HOME) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(communicator: WebsocketCommunicator, timeout: float = 3) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


class Network:
    """The worker's arithmetic over the simulator's feed, published like the worker does."""

    def __init__(self, sample_dir) -> None:
        schedule = read_feed(sample_dir)
        self.simulator = FeedSimulator(schedule, seed=1, cancel_probability=0.0)
        self.state = TransitState(schedule)

    async def publish_at(self, at: datetime, state: str = "ok") -> list:
        snapshot = parse_feed(self.simulator.feed_message(at))
        changes = self.state.step(at.timestamp(), snapshot, state)
        await default_publisher().publish(changes)
        return changes


@pytest.fixture
def network(sample_dir) -> Network:
    return Network(sample_dir)


@pytest.mark.asyncio
async def test_a_subscriber_gets_a_snapshot_then_only_changes_in_sequence(network):
    await network.publish_at(MORNING)
    client = await connect("/ws/transit/")
    await client.send_json_to({"type": "subscribe", "stops": ["PONT_DULYS"], "routes": ["*"]})
    snapshot = await receive(client)
    assert snapshot["type"] == "snapshot"
    assert set(snapshot["topics"]) == {"status", "stop:PONT_DULYS", "vehicles"}
    assert snapshot["departures"]["PONT_DULYS"][0]["trip"] == "L1_A_0730"
    assert snapshot["departures"]["PONT_DULYS"][0]["realtime"] is True
    assert [v["trip"] for v in snapshot["vehicles"]] == ["L1_A_0730"]
    assert snapshot["status"]["state"] == "ok" and snapshot["feed_timestamp"] == int(MORNING.timestamp())

    await network.publish_at(MORNING + timedelta(seconds=30))
    move = await receive(client)
    assert move["type"] == "vehicles" and move["topic"] == "vehicles"
    assert move["seq"] == snapshot["topics"]["vehicles"] + 1
    assert move["feed_timestamp"] == int(MORNING.timestamp()) + 30
    await network.publish_at(MORNING + timedelta(seconds=60))
    again = await receive(client)
    assert again["topic"] == "vehicles" and again["seq"] == move["seq"] + 1
    assert await client.receive_nothing(timeout=0.3)  # the board did not change: nothing about it
    await client.disconnect()


@pytest.mark.asyncio
async def test_a_route_subscriber_sees_its_route_only(network):
    await network.publish_at(MORNING)
    client = await connect("/ws/transit/")
    await client.send_json_to({"type": "subscribe", "routes": ["LN"]})
    snapshot = await receive(client)
    assert snapshot["vehicles"] == [] and "route:LN" in snapshot["topics"]
    await network.publish_at(MORNING + timedelta(seconds=30))
    assert await client.receive_nothing(timeout=0.3)
    await client.send_json_to({"type": "subscribe", "routes": ["L1"]})
    snapshot = await receive(client)
    assert [v["route"] for v in snapshot["vehicles"]] == ["L1"]
    await network.publish_at(MORNING + timedelta(seconds=60))
    move = await receive(client)
    assert move["topic"] == "route:L1" and move["seq"] == snapshot["topics"]["route:L1"] + 1
    await client.disconnect()


@pytest.mark.asyncio
async def test_resync_gives_a_fresh_snapshot(network):
    await network.publish_at(MORNING)
    client = await connect("/ws/transit/")
    await client.send_json_to({"type": "subscribe", "routes": ["*"]})
    first = await receive(client)
    await network.publish_at(MORNING + timedelta(seconds=30))
    await receive(client)
    await client.send_json_to({"type": "resync"})
    second = await receive(client)
    assert second["type"] == "snapshot" and second["topics"]["vehicles"] == first["topics"]["vehicles"] + 1
    await client.disconnect()


@pytest.mark.asyncio
async def test_a_feed_outage_reaches_subscribers_as_a_status(network):
    await network.publish_at(MORNING)
    client = await connect("/ws/transit/")
    await client.send_json_to({"type": "subscribe", "stops": ["PL_GAULLE"]})
    await receive(client)
    changes = network.state.status_change(
        "down", int(MORNING.timestamp()), MORNING.timestamp() + 42, "connection refused"
    )
    await default_publisher().publish(changes)
    status = await receive(client)
    assert status["type"] == "status" and status["state"] == "down" and status["message"] == "updated 42 s ago"
    await client.disconnect()


@pytest.mark.asyncio
async def test_an_oversized_message_closes_the_socket():
    client = await connect("/ws/transit/")
    await client.send_to(text_data=json.dumps({"type": "subscribe", "stops": ["x" * 100] * 200}))
    closed = await client.receive_output(timeout=2)
    assert closed["type"] == "websocket.close" and closed["code"] == 1009
    await client.wait()


@pytest.mark.asyncio
async def test_a_flood_closes_the_socket():
    client = await connect("/ws/transit/")
    for _ in range(40):
        await client.send_json_to({"type": "ping"})
    outputs = []
    while True:
        output = await client.receive_output(timeout=2)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break
    assert outputs[-1]["code"] == 4029 and "per second" in outputs[-1]["reason"]
    assert sum(o["type"] == "websocket.send" for o in outputs) == 20  # the burst was served


@pytest.mark.asyncio
async def test_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/transit/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.asyncio
async def test_bad_subscriptions_get_an_error_not_a_crash():
    client = await connect("/ws/transit/")
    await client.send_json_to({"type": "subscribe", "stops": "PL_GAULLE"})
    assert (await receive(client))["type"] == "error"
    await client.send_to(text_data="not json")
    assert (await receive(client))["type"] == "error"
    await client.send_json_to({"type": "subscribe", "bbox": [7.2, 43.5, 7.1, 43.6]})
    assert "bbox" in (await receive(client))["message"]
    await client.disconnect()


@pytest.mark.asyncio
async def test_leaving_removes_the_subscriber(network):
    client = await connect("/ws/transit/")
    await client.send_json_to({"type": "subscribe", "routes": ["*"]})
    await receive(client)
    assert hub.subscriber_count("vehicles") == 1
    await client.disconnect()
    assert hub.subscriber_count() == 0


@pytest.mark.asyncio
async def test_a_map_area_subscribes_its_stops_and_their_routes(network, sample_dir):
    from realtime.gtfs_import import import_feed

    await database_sync_to_async(import_feed)(str(sample_dir))
    await network.publish_at(MORNING)
    client = await connect("/ws/transit/")
    # A box around Place de Gaulle only.
    await client.send_json_to({"type": "subscribe", "bbox": [7.1230, 43.5805, 7.1240, 43.5812]})
    snapshot = await receive(client)
    assert "stop:PL_GAULLE" in snapshot["topics"] and "route:L1" in snapshot["topics"]
    assert all(not t.startswith("stop:") or t == "stop:PL_GAULLE" for t in snapshot["topics"])
    await client.disconnect()


# --- /ws/routes/ ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_walk_is_pushed_when_computed(street_grid):
    client = await connect("/ws/routes/")
    hello = await receive(client)
    assert hello["type"] == "circuits" and hello["features"] == []
    await client.send_json_to({"type": "route", "id": 7, "from": {"poi": "port-vauban"}, "to": {"poi": "chateau"}})
    answer = await receive(client, timeout=10)
    assert answer["type"] == "route" and answer["id"] == 7
    assert answer["feature"]["properties"]["length_m"] > 500
    await client.send_json_to({"type": "route", "id": 8, "from": {"poi": "port-vauban"}, "to": {"poi": "nowhere"}})
    error = await receive(client)
    assert error == {"type": "error", "id": 8, "message": "no point of interest 'nowhere'"}
    await client.disconnect()


@pytest.mark.asyncio
async def test_publishing_a_circuit_pushes_it_to_every_routes_client(circuit):
    first, second = await connect("/ws/routes/"), await connect("/ws/routes/")
    for client in (first, second):
        assert (await receive(client))["features"] == []

    def publish():
        circuit.published = True
        circuit.save()

    await database_sync_to_async(publish)()
    for client in (first, second):
        pushed = await receive(client, timeout=10)
        assert pushed["type"] == "circuit" and pushed["feature"]["properties"]["slug"] == "vieil-antibes"
        assert pushed["feature"]["properties"]["stops"][1]["text"] == "Texte marche"

    def withdraw():
        circuit.published = False
        circuit.save()

    await database_sync_to_async(withdraw)()
    assert await receive(first, timeout=10) == {"type": "circuit_removed", "slug": "vieil-antibes"}
    late = await connect("/ws/routes/")
    assert (await receive(late))["features"] == []
    for client in (first, second, late):
        await client.disconnect()


@pytest.mark.asyncio
async def test_routes_clients_are_rate_limited_too():
    client = await connect("/ws/routes/")
    await receive(client)
    await client.send_to(text_data="x" * 20000)
    closed = await client.receive_output(timeout=2)
    assert closed["type"] == "websocket.close" and closed["code"] == 1009


@pytest.mark.asyncio
async def test_a_crowd_subscribing_at_once_all_get_their_snapshot(network):
    # After a restart every browser subscribes within a second; on Redis that is a snapshot read each, at once.
    await network.publish_at(MORNING)
    clients = [await connect("/ws/transit/") for _ in range(150)]
    await asyncio.gather(
        *(c.send_json_to({"type": "subscribe", "stops": ["PONT_DULYS"], "routes": ["*"]}) for c in clients)
    )
    snapshots = await asyncio.gather(*(receive(c, timeout=20) for c in clients))
    assert {s["type"] for s in snapshots} == {"snapshot"}
    assert all(s["departures"]["PONT_DULYS"] for s in snapshots)
    await asyncio.gather(*(c.disconnect() for c in clients))


@pytest.mark.asyncio
async def test_without_the_transit_state_a_subscriber_is_told_to_come_back_later(network, settings, monkeypatch):
    import socket

    with socket.socket() as s:  # a port where no Redis answers
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    working, settings.REDIS_URL = settings.REDIS_URL, f"redis://127.0.0.1:{dead}/0"
    monkeypatch.setattr("realtime.hub.READY_WAIT_S", 0.5)
    try:
        client = await connect("/ws/transit/")
        await client.send_json_to({"type": "subscribe", "stops": ["PONT_DULYS"]})
        closed = await client.receive_output(timeout=5)
        assert closed["type"] == "websocket.close" and closed["code"] == 1013
        await client.disconnect()
    finally:
        settings.REDIS_URL = working  # the namespace fixture cleans up on the real Redis


@pytest.mark.asyncio
async def test_changes_that_arrive_while_the_snapshot_is_read_follow_it(network, monkeypatch):
    # On Redis the snapshot is a round trip, and the process's subscription keeps relaying changes meanwhile.
    await network.publish_at(MORNING)
    read = hub.snapshot_state

    async def slow_read(topics):
        states = await read(topics)
        seq = states["vehicles"][0]
        hub.deliver("vehicles", seq, json.dumps({"topic": "vehicles", "seq": seq, "type": "vehicles", "old": True}))
        hub.deliver(
            "vehicles", seq + 1, json.dumps({"topic": "vehicles", "seq": seq + 1, "type": "vehicles", "vehicles": []})
        )
        return states

    monkeypatch.setattr(hub, "snapshot_state", slow_read)
    client = await connect("/ws/transit/")
    await client.send_json_to({"type": "subscribe", "routes": ["*"]})
    snapshot = await receive(client)
    assert snapshot["type"] == "snapshot"
    change = await receive(client)
    assert change["seq"] == snapshot["topics"]["vehicles"] + 1 and "old" not in change
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()
