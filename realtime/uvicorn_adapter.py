"""The one place realtime reaches past public interfaces: shared frame bytes written to uvicorn's websocket sockets.

Why it exists: a transit change goes to thousands of sockets at once. Through
ASGI, each ``websocket.send`` re-encodes the text, builds, serialises and
joins a frame, per socket, under two coroutines (channels' session wrapper,
uvicorn's protocol); at 5,000 sockets that work, not the syscall, is most of a
broadcast. A server's frames are not masked (RFC 6455 §5.1), so without a
compression extension a text frame is the same bytes for every client
(``realtime.wire.text_frame``): written as they are, a broadcast costs a
transport write per socket. Neither ASGI nor uvicorn offers a public way to do
that, so this module does it, with these private parts:

- channels: a consumer keeps the send it was called with in ``base_send``;
  behind ``AuthMiddlewareStack`` that is ``InstanceSessionWrapper.send``, and
  the server's own send is the wrapper's ``real_send``;
- uvicorn: the server's send is a bound method of ``WebSocketsSansIOProtocol``,
  whose ``conn`` (websockets' public sans-I/O ``ServerProtocol``), ``transport``,
  ``writable`` (cleared while the transport is paused) and ``close_sent`` say
  whether a frame may be written now.

They were read in the versions of ``CHECKED``. On any other version the
adapter stands aside: ``frame_writer`` returns None, every frame goes through
the ASGI send (the public path: same frames, in order, slower), a warning says
so once per process, and tests/realtime/test_uvicorn_adapter.py fails until
someone re-reads these attributes in the new versions and updates ``CHECKED``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from importlib.metadata import version

from channels.consumer import AsyncConsumer
from channels.sessions import InstanceSessionWrapper
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

log = logging.getLogger(__name__)

# The distributions whose private attributes this module reads, at the versions it was checked against.
CHECKED = {"channels": "4.3.2", "uvicorn": "0.54.0", "websockets": "17.4"}

__all__ = ["CHECKED", "frame_writer", "unchecked_versions"]


def unchecked_versions() -> dict[str, str]:
    """The installed version of each distribution in ``CHECKED`` that differs from the one checked."""
    return {name: version(name) for name, checked in CHECKED.items() if version(name) != checked}


@functools.cache
def _enabled() -> bool:
    others = unchecked_versions()
    if others:
        log.warning(
            "realtime.uvicorn_adapter was checked against %s, not %s: transit frames go through the ASGI "
            "send (slower broadcasts) until it is checked again",
            CHECKED,
            others,
        )
    return not others


def _server_send(send: Callable) -> Callable:
    """The send the server gave the app, from under channels' session wrapper (which only acts on HTTP)."""
    owner = getattr(send, "__self__", None)
    if isinstance(owner, InstanceSessionWrapper):
        return owner.real_send
    return send


def frame_writer(consumer: AsyncConsumer) -> Callable[[bytes], bool] | None:
    """A function writing pre-encoded frames to the socket of an accepted websocket consumer, or None.

    None when the server is not uvicorn's websockets sans-I/O protocol, or
    the installed versions are not the checked ones: then frames go through
    the consumer's ASGI send. The function itself returns False, having
    written nothing, whenever one frame must go through that send instead:
    a compression extension was negotiated, the connection is not open, or
    the transport asked to pause (its buffer is over the high-water mark;
    the send then waits for it to drain, which keeps flow control and order).
    """
    if not _enabled():
        return None
    protocol = getattr(_server_send(consumer.base_send), "__self__", None)
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    conn = protocol.conn
    transport: asyncio.Transport = protocol.transport
    writable: asyncio.Event = protocol.writable
    is_open = State.OPEN

    def write(data: bytes) -> bool:
        if (
            conn.extensions
            or conn.state is not is_open
            or protocol.close_sent
            or not writable.is_set()
            or transport.is_closing()
        ):
            return False
        transport.write(data)
        return True

    return write
