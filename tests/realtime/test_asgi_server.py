"""Production serves websockets as serve_demo and the load bench do: same uvicorn options, paced collections."""

from __future__ import annotations

import asyncio
import gc
import json
import re

import yaml

from realtime import gc_pacing, pedestrian
from realtime.asgi_server import BACKLOG, WS_MAX_SIZE
from tests.conftest import ROOT


def _cli_options(argv: list[str]) -> dict[str, str]:
    return {flag: value for flag, value in zip(argv, argv[1:]) if flag.startswith("--")}


def test_docker_runs_uvicorn_with_the_benchmarked_websocket_settings():
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "docker" / "Dockerfile").read_text(), re.M).group(1)
    for argv in (compose["services"]["app"]["command"], json.loads(cmd)):
        options = _cli_options(argv)
        assert options["--ws"] == "websockets-sansio", argv
        assert options["--ws-per-message-deflate"] == "false", argv
        assert int(options["--ws-max-size"]) == WS_MAX_SIZE and int(options["--backlog"]) == BACKLOG, argv
        assert options["--lifespan"] == "on", argv


def test_the_asgi_app_paces_collections_when_asked_and_builds_its_walk_graph_at_startup(monkeypatch, settings):
    from jumeau.asgi import application

    settings.JUMEAU_GC_PACING = "1"
    pedestrian._cache.pop("warm_up", None)
    sent: list[dict] = []

    async def lifespan() -> tuple:
        messages = asyncio.Queue()
        for m in ({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}):
            messages.put_nowait(m)

        async def send(message):
            sent.append(message)

        await application({"type": "lifespan"}, messages.get, send)
        return gc.get_threshold()

    try:
        threshold = asyncio.run(lifespan())
    finally:
        gc_pacing.uninstall()
    assert threshold[2] == gc_pacing.NEVER
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    warm_up = pedestrian._cache.pop("warm_up", None)
    assert warm_up is not None, "the walk graph is built when the server starts (pedestrian.warm_up_in_background)"
    warm_up.join(timeout=60)  # with no database here it only logs that the first walk will build the graph


def test_collections_are_paced_only_where_the_publisher_shares_the_process(monkeypatch, settings):
    settings.JUMEAU_GC_PACING = "auto"
    settings.REDIS_URL = ""
    assert gc_pacing.suited()  # embedded hub: the feed worker publishes in this process
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert not gc_pacing.suited()  # frames arrive from another process and would wait out a paced collection
    settings.JUMEAU_GC_PACING = "1"
    assert gc_pacing.suited()
    settings.JUMEAU_GC_PACING = "0"
    settings.REDIS_URL = ""
    assert not gc_pacing.suited()
