"""Shared frame bytes written straight to uvicorn's sockets, only on the versions that were checked; else ASGI."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import tomllib

import pytest
import uvicorn
from channels.testing import WebsocketCommunicator
from websockets.asyncio.client import connect

from jumeau.asgi import application
from realtime import uvicorn_adapter
from realtime.asgi_server import uvicorn_config
from realtime.consumers import TransitConsumer
from realtime.hub import Change, default_publisher
from realtime.uvicorn_adapter import CHECKED, unchecked_versions
from tests.conftest import ROOT


def test_the_installed_channels_uvicorn_and_websockets_are_the_versions_the_adapter_was_checked_against():
    assert unchecked_versions() == {}, (
        f"realtime/uvicorn_adapter.py reads private attributes of channels and uvicorn, checked against {CHECKED}; "
        f"installed here: {unchecked_versions()}. Re-read AsyncConsumer.base_send, InstanceSessionWrapper.real_send "
        "and WebSocketsSansIOProtocol (send, conn, transport, writable, close_sent) in the new versions, then update "
        "CHECKED. Until then every transit frame goes through the ASGI send: correct, but broadcasts are slower."
    )


def test_pyproject_pins_the_versions_the_adapter_was_checked_against():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {
        m["name"]: m["version"]
        for m in (re.match(r"(?P<name>[\w-]+)(\[[\w,]+\])?==(?P<version>\S+)$", d) for d in dependencies)
        if m
    }
    assert {name: pins.get(name) for name in CHECKED} == CHECKED, (
        "a pin in pyproject.toml moved away from what realtime/uvicorn_adapter.py was checked against: "
        "re-check the adapter on the new version and update its CHECKED"
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_any_other_server_gets_every_change_through_the_asgi_send(loopback_hosts, monkeypatch):
    """channels' test server (as daphne would be) is not uvicorn: nothing is written behind its back."""
    sent_through_asgi = count_changes_sent_through_asgi(monkeypatch)
    communicator = WebsocketCommunicator(application, "/ws/transit/", headers=[(b"origin", b"http://testserver")])
    connected, _ = await communicator.connect()
    assert connected
    try:
        await communicator.send_to(text_data=json.dumps({"type": "subscribe", "stops": ["PL_GAULLE"]}))
        assert json.loads(await communicator.receive_from(timeout=5))["type"] == "snapshot"
        await publish_three_changes()
        received = [json.loads(await communicator.receive_from(timeout=5)) for _ in range(3)]
    finally:
        await communicator.disconnect()
    assert [m["seq"] for m in received] == [1, 2, 3]
    assert len(sent_through_asgi) == 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def count_changes_sent_through_asgi(monkeypatch) -> list[str]:
    """The list each change a TransitConsumer writes through its ASGI send is appended to, from now on."""
    counted: list[str] = []
    real_send = TransitConsumer.send

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False) -> None:
        if text_data is not None and json.loads(text_data).get("type") == "departures":
            counted.append(text_data)
        await real_send(self, text_data=text_data, bytes_data=bytes_data, close=close)

    monkeypatch.setattr(TransitConsumer, "send", send)
    return counted


async def publish_three_changes() -> None:
    publisher = default_publisher()
    for seq in (1, 2, 3):
        body = {"topic": "stop:PL_GAULLE", "seq": seq, "type": "departures", "departures": [{"n": seq, "é": "ü"}]}
        await publisher.publish([Change("stop:PL_GAULLE", seq, json.dumps(body, ensure_ascii=False), "{}")])


async def serve_and_subscribe(deflate: bool, monkeypatch) -> tuple[list[dict], list[str]]:
    """A real uvicorn on loopback: subscribe to one stop, publish three changes.

    Returns what the client read, and the changes the consumer wrote through its ASGI send rather than straight
    to the socket.
    """
    sent_through_asgi = count_changes_sent_through_asgi(monkeypatch)
    port = free_port()
    server = uvicorn.Server(
        uvicorn_config(
            "jumeau.asgi:application", "127.0.0.1", port, log_level="warning", ws_per_message_deflate=deflate
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        async with connect(
            f"ws://127.0.0.1:{port}/ws/transit/", origin="http://127.0.0.1", compression="deflate" if deflate else None
        ) as ws:
            await ws.send(json.dumps({"type": "subscribe", "stops": ["PL_GAULLE"]}))
            received = [json.loads(await asyncio.wait_for(ws.recv(), 5))]
            await publish_three_changes()
            for _ in range(3):
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            return received, sent_through_asgi
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
def loopback_hosts(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]


@pytest.fixture
def versions_read_afresh():
    uvicorn_adapter._enabled.cache_clear()
    yield
    uvicorn_adapter._enabled.cache_clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_uvicorn_sockets_get_the_shared_bytes_without_an_asgi_send(
    loopback_hosts, versions_read_afresh, monkeypatch
):
    received, sent_through_asgi = await serve_and_subscribe(False, monkeypatch)
    assert received[0]["type"] == "snapshot"
    assert [(m["seq"], m["departures"]) for m in received[1:]] == [(s, [{"n": s, "é": "ü"}]) for s in (1, 2, 3)]
    assert sent_through_asgi == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_compressed_connection_gets_the_same_frames_through_asgi(
    loopback_hosts, versions_read_afresh, monkeypatch
):
    received, sent_through_asgi = await serve_and_subscribe(True, monkeypatch)
    assert [m["seq"] for m in received[1:]] == [1, 2, 3]
    assert len(sent_through_asgi) == 3  # permessage-deflate: every socket has its own compressor


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_on_a_version_nobody_checked_every_frame_still_arrives_through_asgi_and_the_log_says_why(
    loopback_hosts, versions_read_afresh, monkeypatch, caplog
):
    monkeypatch.setitem(CHECKED, "uvicorn", "0.0.1")
    with caplog.at_level(logging.WARNING, logger="realtime.uvicorn_adapter"):
        received, sent_through_asgi = await serve_and_subscribe(False, monkeypatch)
    assert [(m["seq"], m["departures"]) for m in received[1:]] == [(s, [{"n": s, "é": "ü"}]) for s in (1, 2, 3)]
    assert len(sent_through_asgi) == 3
    assert "checked against" in caplog.text and "0.0.1" in caplog.text
