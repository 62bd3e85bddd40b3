"""The uvicorn settings the twin's websockets are served with: one place for `serve_demo` and the load bench."""

from __future__ import annotations

from typing import Any

import uvicorn

WS_MAX_SIZE = 64 * 1024  # client messages are small; the consumers refuse anything over 16 KiB anyway
BACKLOG = 4096  # a crowd reconnecting after a restart must not overflow the accept queue


def uvicorn_config(app: Any, host: str, port: int, **extra: Any):
    """A ``uvicorn.Config`` for the twin's ASGI app, tuned for broadcasting transit frames.

    - the websockets sans-I/O protocol, the one whose transport
      ``realtime.uvicorn_adapter`` can write shared frame bytes to;
    - no permessage-deflate: a compressed frame is different bytes on every
      socket (each has its own compression context), so each client would cost
      a zlib pass per frame; transit frames are a few KiB every few seconds.
    """
    options: dict[str, Any] = {
        "lifespan": "off",
        "ws": "websockets-sansio",
        "ws_max_size": WS_MAX_SIZE,
        "ws_per_message_deflate": False,
        "backlog": BACKLOG,
    }
    options.update(extra)
    return uvicorn.Config(app, host=host, port=port, **options)
