"""manage.py serve_demo: a clear message when the port is taken, not a traceback from uvicorn."""

from __future__ import annotations

import socket

import pytest
from django.core.management import CommandError, call_command


def test_a_port_in_use_says_how_to_pick_another():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=rf"Port {port} on 127.0.0.1 is already in use: .*make demo PORT="):
            call_command("serve_demo", "--port", str(port), "--no-realtime")
