"""manage.py run_feed_simulator --port 8089: serve a simulated GTFS-realtime feed of the active schedule."""

import time

from django.core.management.base import BaseCommand, CommandError

from realtime.feed_simulator import serve
from realtime.gtfs_import import demo_schedule


class Command(BaseCommand):
    help = (
        "Serve /feed, /trip-updates, /vehicle-positions and /alerts (GTFS-realtime) simulated from the imported "
        "GTFS feed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8089)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, host: str, port: int, seed: int, **options):
        schedule = demo_schedule()
        if schedule is None:
            raise CommandError(
                "No GTFS feed is imported: run `manage.py import_gtfs PATH_OR_URL` or `manage.py load_demo` first."
            )
        try:
            server = serve(schedule, host=host, port=port, seed=seed)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc}") from exc
        self.stdout.write(f"GTFS-realtime simulator at http://{host}:{server.server_address[1]}/feed (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
            server.server_close()
