"""Websocket frames encoded once, through websockets' public frame API, for every socket of this process.

A server's frames are not masked (RFC 6455 §5.1), so without a compression
extension a text frame is the same bytes for every client; where the server
lets them be written as they are is ``realtime.uvicorn_adapter``'s business.
"""

from __future__ import annotations

from websockets.frames import Frame, Opcode

__all__ = ["text_frame"]


def text_frame(text: str) -> bytes:
    """One unmasked, final text frame carrying ``text`` (UTF-8), header included."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
