"""Each server process notices new layer builds on its own and tells its open apps that may load them.

Why each server watches the published pointers itself, rather than the builder sending a message:
- builds run in other processes (`build_tiles`, Celery workers, possibly on other machines sharing the tiles
  volume). With the embedded in-memory channel layer a builder's group_send reaches nobody; with Redis, N server
  processes each relaying one shared event would need a leader to avoid N duplicates.
- the pointers under the tiles folder are what the tile view and nginx serve: when a server sees a new pointer,
  it can serve that version, so a message never names a build the app cannot fetch yet. A TileBuild row can be
  written before the swap, or say "published" for a swap that failed; reading it would also cost a query a second
  per process.
- polling, not inotify: inotify does not see what another machine writes to an NFS volume. One scandir and a
  readlink per layer is a few microseconds (tiles.pointers), done in a thread so a slow volume never stalls the
  event loop.
The watch starts with the first socket of a process and stops with the last, so it runs under any ASGI server
(serve_demo, uvicorn with or without lifespan, daphne, test communicators) and costs nothing when no app is open.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Protocol

from channels.db import database_sync_to_async
from django.conf import settings

from tiles.layers import layer_url, loadable_by
from tiles.pointers import newly_published, published_versions

log = logging.getLogger(__name__)


class Listener(Protocol):
    async def layer_published(self, frame: str) -> None: ...


def _user_key(user) -> int | None:
    """The primary key of a signed-in user, None for a visitor; resolves channels' lazy user (a query)."""
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def _entry(layer: str, version: str) -> dict:
    return {"layer": layer, "version": version, "url": layer_url(layer)}


class LayerWatch:
    """The published versions as this process last saw them, and the open apps (listeners) to tell."""

    def __init__(self) -> None:
        self.listeners: dict[Listener, int | None] = {}
        self.versions: dict[str, str] = {}
        self.task: asyncio.Task | None = None
        self.started = asyncio.Event()

    async def join(self, listener: Listener, user) -> str:
        """Start telling `listener` of new builds; returns the frame of what `user` may load now.

        {"type": "layers", "layers": [{"layer", "version", "url"}...]}: an app that reconnects compares it with
        what it shows and reloads what changed while it was away.
        """
        self.listeners[listener] = None  # at once: a socket that closes while we read the user then leaves cleanly
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            # Set before any await: sockets that connect together share one watch.
            self.started = asyncio.Event()
            self.task = loop.create_task(self._watch(self.started))
        await self.started.wait()
        key = await database_sync_to_async(_user_key)(user)
        if listener not in self.listeners:
            return json.dumps({"type": "layers", "layers": []})
        self.listeners[listener] = key
        versions = dict(self.versions)
        allowed = (await database_sync_to_async(loadable_by)(sorted(versions), {key}))[key]
        return json.dumps({"type": "layers", "layers": [_entry(layer, versions[layer]) for layer in sorted(allowed)]})

    def leave(self, listener: Listener) -> None:
        self.listeners.pop(listener, None)
        if not self.listeners and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _watch(self, started: asyncio.Event) -> None:
        try:
            self.versions = await asyncio.to_thread(published_versions, settings.JUMEAU_TILES_DIR)
        except OSError:
            log.exception("reading the published layers under %s failed", settings.JUMEAU_TILES_DIR)
            self.versions = {}  # every layer found later is then announced as new: a reload too many, none missed
        finally:
            started.set()
        while True:
            await asyncio.sleep(settings.JUMEAU_LAYER_WATCH_S)
            try:
                await self.look()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("looking for new layer builds under %s failed; trying again", settings.JUMEAU_TILES_DIR)

    async def look(self) -> dict[str, str]:
        """Read the pointers once and tell each listener of the new builds its user may load; returns them."""
        now = await asyncio.to_thread(published_versions, settings.JUMEAU_TILES_DIR)
        fresh = newly_published(self.versions, now)
        self.versions = now
        if fresh and self.listeners:
            await self.announce(fresh)
        return fresh

    async def announce(self, fresh: dict[str, str]) -> None:
        # One permission check per distinct user and layer, not per socket: a citizen crowd is one key (None).
        allowed = await database_sync_to_async(loadable_by)(sorted(fresh), set(self.listeners.values()))
        frames = {
            layer: json.dumps({"type": "layer_published", **_entry(layer, version)})
            for layer, version in sorted(fresh.items())
        }
        sends = [
            listener.layer_published(frame)
            for listener, key in list(self.listeners.items())
            for layer, frame in frames.items()
            if layer in allowed.get(key, ())
        ]
        # A socket that closed meanwhile raises here; the others are told all the same.
        await asyncio.gather(*sends, return_exceptions=True)


layer_watch = LayerWatch()
