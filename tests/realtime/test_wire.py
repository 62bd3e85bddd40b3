"""Frames encoded once and written straight to uvicorn's sockets, or through ASGI when that is not possible."""
from __future__ import annotations

import asyncio
import json
import socket

import pytest
import uvicorn
from websockets.asyncio.client import connect

from realtime.asgi_server import uvicorn_config
from realtime.consumers import TransitConsumer
from realtime.hub import Change, default_publisher
from realtime.wire import direct_writer, text_frame

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_text_frame_is_final_unmasked_and_sized_for_its_length():
    assert text_frame("hé") == b"\x81\x03h\xc3\xa9"
    medium = text_frame("x" * 300)
    assert medium[:4] == b"\x81\x7e\x01\x2c" and len(medium) == 4 + 300
    large = text_frame("x" * 70_000)
    assert large[:2] == b"\x81\x7f" and int.from_bytes(large[2:10], "big") == 70_000


def test_any_other_server_keeps_the_asgi_send():
    async def send(message: dict) -> None:
        pass

    assert direct_writer(send) is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve_and_subscribe(deflate: bool, counted: list, monkeypatch) -> list[dict]:
    """A real uvicorn on loopback: subscribe to one stop, publish three changes, return what the client read."""
    real_send_now = TransitConsumer._send_now

    def send_now(self, frame: str) -> None:
        counted.append(frame)
        real_send_now(self, frame)

    monkeypatch.setattr(TransitConsumer, "_send_now", send_now)
    port = free_port()
    server = uvicorn.Server(uvicorn_config("jumeau.asgi:application", "127.0.0.1", port, log_level="warning",
                                           ws_per_message_deflate=deflate))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        async with connect(f"ws://127.0.0.1:{port}/ws/transit/", origin="http://127.0.0.1",
                           compression="deflate" if deflate else None) as ws:
            await ws.send(json.dumps({"type": "subscribe", "stops": ["PL_GAULLE"]}))
            received = [json.loads(await asyncio.wait_for(ws.recv(), 5))]
            publisher = default_publisher()
            for seq in (1, 2, 3):
                body = {"topic": "stop:PL_GAULLE", "seq": seq, "type": "departures", "departures": [{"n": seq, "é": "ü"}]}
                await publisher.publish([Change("stop:PL_GAULLE", seq, json.dumps(body, ensure_ascii=False), "{}")])
            for _ in range(3):
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            return received
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
def loopback_hosts(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]


@pytest.mark.asyncio
async def test_uvicorn_sockets_get_the_shared_bytes_without_an_asgi_send(loopback_hosts, monkeypatch):
    sent_through_asgi: list = []
    received = await serve_and_subscribe(False, sent_through_asgi, monkeypatch)
    assert received[0]["type"] == "snapshot"
    assert [(m["seq"], m["departures"]) for m in received[1:]] == [(s, [{"n": s, "é": "ü"}]) for s in (1, 2, 3)]
    assert sent_through_asgi == []


@pytest.mark.asyncio
async def test_a_compressed_connection_gets_the_same_frames_through_asgi(loopback_hosts, monkeypatch):
    sent_through_asgi: list = []
    received = await serve_and_subscribe(True, sent_through_asgi, monkeypatch)
    assert [m["seq"] for m in received[1:]] == [1, 2, 3]
    assert len(sent_through_asgi) == 3  # permessage-deflate: every socket has its own compressor
