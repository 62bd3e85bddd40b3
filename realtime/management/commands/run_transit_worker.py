"""manage.py run_transit_worker --feed URL_OR_FILE: poll GTFS-realtime and publish changes (production, Redis)."""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from realtime.worker import FeedWorker


class Command(BaseCommand):
    help = "Read a GTFS-realtime feed every --interval seconds and publish departures, vehicles and status changes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--feed", required=True, help="http(s) URL, file:// URL or path of a GTFS-realtime FeedMessage."
        )
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between reads (default 5).")
        parser.add_argument(
            "--stale-after",
            type=float,
            default=90.0,
            help="Seconds after which the feed's predictions are dropped for the timetable (default 90).",
        )

    def handle(self, *args, feed: str, interval: float, stale_after: float, **options):
        if interval <= 0:
            raise CommandError("--interval must be positive")
        if not settings.REDIS_URL:
            # The in-memory layer lives inside one process: a separate worker would talk to nobody.
            raise CommandError(
                "run_transit_worker publishes through Redis: set REDIS_URL, "
                "or let `manage.py serve_demo --feed-url URL` run the worker inside the web process."
            )

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await FeedWorker(feed, interval_s=interval, stale_after_s=stale_after).run(stop)

        self.stdout.write(f"Reading {feed} every {interval:g} s (Ctrl-C to stop)")
        asyncio.run(main())
