"""manage.py serve_demo: one ASGI process serving the app, tiles and websockets, with the feed simulator, and a
Celery worker process beside it for syncs and builds (stopped with the server)."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jumeau.asgi import on_server_start
from realtime.asgi_server import uvicorn_config
from realtime.feed_simulator import serve
from realtime.gtfs_import import demo_schedule
from realtime.worker import FeedWorker


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (Linux prctl PR_SET_PDEATHSIG; elsewhere a no-op)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Command(BaseCommand):
    help = "Serve the twin on one ASGI process (HTTP + websockets), with the GTFS-realtime simulator and feed worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.getenv("PORT", "8000")))
        parser.add_argument(
            "--feed-url", default="", help="Read this GTFS-realtime URL instead of running the simulator."
        )
        parser.add_argument("--no-realtime", action="store_true", help="Neither simulator nor feed worker.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between feed reads.")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Start no Celery worker (run `celery -A jumeau.celery worker -B` yourself).",
        )

    def handle(
        self, *args, host: str, port: int, feed_url: str, no_realtime: bool, interval: float, no_worker: bool, **options
    ):
        if not _port_is_free(host, port):
            raise CommandError(
                f"Port {port} on {host} is already in use: stop the other server or run `make demo PORT=8001`."
            )
        if not settings.WHITENOISE_USE_FINDERS and not (Path(settings.STATIC_ROOT) / "jumeau" / "main.js").is_file():
            # The server sends static files from STATIC_ROOT, with their brotli and gzip copies (`make demo` runs
            # collectstatic first); without them the page would load blank.
            self.stderr.write(
                self.style.WARNING(
                    f"{settings.STATIC_ROOT} holds no collected static files: run `manage.py collectstatic` "
                    "(`make demo` does), or set JUMEAU_STATIC_FROM_SOURCE=1 to serve the source folders uncompressed."
                )
            )
        simulator = None
        if not no_realtime and not feed_url:
            simulator, feed_url = self._start_simulator(host)
        worker = None if no_worker else self._start_worker()
        self.stdout.write(self.style.SUCCESS(f"Jumeau is serving http://{host}:{port}/  (Ctrl-C to stop)"))
        try:
            asyncio.run(self._serve(host, port, None if no_realtime else feed_url, interval))
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                self._stop_worker(worker)
            if simulator is not None:
                simulator.shutdown()
                simulator.server_close()

    def _start_worker(self) -> subprocess.Popen:
        """The same Celery worker production runs, on the broker settings chose (kombu's filesystem transport
        under var/celery/ without Redis), with beat inside it for the schedules edited in the admin."""
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "jumeau.celery",
            "worker",
            "--beat",
            "--concurrency",
            "1",
            "--loglevel",
            os.getenv("LOG_LEVEL", "INFO"),
            "--hostname",
            f"demo-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        # Its own process group: Ctrl-C reaches the server, which then stops the worker warmly; and if the server
        # is killed outright, the kernel tells the worker to stop too (no orphan holding the broker).
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True, preexec_fn=_stop_with_parent)
        self.stdout.write(f"Celery worker (pid {process.pid}) runs syncs, tile builds and the surface model")
        return process

    def _stop_worker(self, process: subprocess.Popen) -> None:
        if process.poll() is not None:
            self.stderr.write(f"The Celery worker had stopped (exit status {process.returncode}): see its log above.")
            return
        process.send_signal(signal.SIGTERM)  # warm shutdown: the running job ends, queued ones stay queued
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _start_simulator(self, host: str):
        schedule = demo_schedule()
        if schedule is None:
            raise CommandError(
                "No GTFS feed is loaded: run `manage.py load_demo` (or `manage.py import_gtfs FILE`) first."
            )
        server = serve(schedule, host="127.0.0.1", port=0, seed=7)
        url = f"http://127.0.0.1:{server.server_address[1]}/feed"
        self.stdout.write(f"GTFS-realtime simulator at {url}")
        return server, url

    async def _serve(self, host: str, port: int, feed_url: str | None, interval: float) -> None:
        config = uvicorn_config(
            "jumeau.asgi:application", host, port, log_level=os.getenv("LOG_LEVEL", "warning").lower()
        )
        server = uvicorn.Server(config)
        config.load()  # import the app now, so that pacing freezes it with the rest of what lives forever
        on_server_start()  # the lifespan is off here: pacing, and the walk graph built before the first walk
        stop = asyncio.Event()
        worker_task = None
        if feed_url:
            # With the in-memory channel layer the worker must live in the process that holds the sockets.
            worker_task = asyncio.create_task(FeedWorker(feed_url, interval_s=interval).run(stop))
        try:
            await server.serve()
        finally:
            stop.set()
            if worker_task is not None:
                await asyncio.wait([worker_task], timeout=5)
