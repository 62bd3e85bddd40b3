"""Websocket frames encoded once and written as the same bytes to every socket of this process.

A server's frames are not masked (RFC 6455 §5.1), so without a compression
extension a text frame is the same bytes for every client. Through ASGI each
``websocket.send`` re-encodes the text, builds and serialises a frame and
joins its parts, per socket: at 5,000 sockets that work, not the syscall,
is most of a broadcast. When the server is uvicorn's websockets (sans-I/O)
protocol, ``direct_writer`` writes the shared bytes to the connection's
transport itself, under the same checks the protocol would make; any other
server, a negotiated extension, a closing socket or a paused transport falls
back to the ordinary ASGI send, which keeps flow control and ordering.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol, State

__all__ = ["direct_writer", "text_frame"]


def text_frame(text: str) -> bytes:
    """One unmasked, final text frame carrying ``text`` (UTF-8), header included."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def direct_writer(send: Callable) -> Callable[[bytes], bool] | None:
    """A function writing pre-encoded frames to the socket behind an ASGI ``send``, or None if it cannot.

    The function returns False, having written nothing, whenever the frame
    must go through ``send`` instead: a compression extension was negotiated,
    the connection is not open, or the transport asked to pause (its buffer
    is over the high-water mark; ``send`` then waits for it to drain).
    """
    protocol = getattr(send, "__self__", None)
    conn = getattr(protocol, "conn", None)
    transport = getattr(protocol, "transport", None)
    writable = getattr(protocol, "writable", None)
    if not (isinstance(conn, Protocol) and isinstance(writable, asyncio.Event) and hasattr(transport, "write")
            and hasattr(protocol, "close_sent")):
        return None
    is_open = State.OPEN

    def write(data: bytes) -> bool:
        if (conn.extensions or conn.state is not is_open or protocol.close_sent or not writable.is_set()
                or transport.is_closing()):
            return False
        transport.write(data)
        return True

    return write
