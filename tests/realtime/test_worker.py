"""The feed worker against the real simulator over loopback HTTP: delays, a feed going down, garbage."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from realtime.feed_simulator import serve
from realtime.gtfs_feed import read_feed
from realtime.hub import Change
from realtime.worker import FeedWorker

PARIS = ZoneInfo("Europe/Paris")
MORNING = datetime(2025, 7, 10, 7, 38, tzinfo=PARIS)  # a Thursday: line 1's 07:30 trip is on the road


class Recorder:
    """A publisher that keeps what it was given."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    async def publish(self, changes: list[Change]) -> None:
        self.changes.extend(changes)

    def frames(self, kind: str) -> list[dict]:
        """Frames of one type; vehicles only from the all-vehicles topic (each also goes to its route's topic)."""
        frames = (json.loads(c.frame) for c in self.changes)
        return [f for f in frames if f["type"] == kind and (kind != "vehicles" or f["topic"] == "vehicles")]


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def posix(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def schedule(sample_dir):
    return read_feed(sample_dir)


@pytest.fixture
def clock():
    return Clock(MORNING)


@pytest.fixture
def simulator(schedule, clock):
    server = serve(schedule, port=0, seed=1, clock=clock)
    yield server
    server.shutdown()
    server.server_close()


def worker_for(url: str, schedule, clock: Clock, recorder: Recorder) -> FeedWorker:
    return FeedWorker(url, interval_s=1.0, publisher=recorder, schedule=schedule, clock=clock.posix)


def run(coro):
    return asyncio.run(coro)


def test_departures_carry_the_simulated_delays(simulator, schedule, clock):
    recorder = Recorder()
    worker = worker_for(f"http://127.0.0.1:{simulator.server_address[1]}/feed", schedule, clock, recorder)
    run(worker.step())
    boards = {f["stop"]: f["departures"] for f in recorder.frames("departures")}
    live = [d for rows in boards.values() for d in rows if d["trip"] == "L1_A_0730"]
    assert live and all(d["realtime"] for d in live)
    assert any(d["delay"] != 0 for d in live)
    assert all(d["expected"] - d["scheduled"] == d["delay"] for d in live)
    # Delays propagate downstream: every later call of the trip shows the same observed delay.
    assert len({d["delay"] for d in live}) == 1
    [vehicles] = recorder.frames("vehicles")
    assert [v["trip"] for v in vehicles["vehicles"]] == ["L1_A_0730"]
    [status] = recorder.frames("status")
    assert status["state"] == "ok" and status["feed_timestamp"] == int(MORNING.timestamp())


def test_only_changes_are_published_with_consecutive_seq(simulator, schedule, clock):
    recorder = Recorder()
    worker = worker_for(f"http://127.0.0.1:{simulator.server_address[1]}/feed", schedule, clock, recorder)
    run(worker.step())
    first = len(recorder.changes)
    run(worker.step())  # same instant, same feed: nothing new to say
    assert len(recorder.changes) == first
    clock.now += timedelta(seconds=20)
    run(worker.step())
    moves = recorder.frames("vehicles")
    assert len(moves) == 2 and moves[1]["seq"] == moves[0]["seq"] + 1
    assert moves[1]["feed_timestamp"] - moves[0]["feed_timestamp"] == 20
    # Between two fixes the bus follows its shape: the path starts at the old fix and ends at the new one.
    bus = moves[1]["vehicles"][0]
    assert bus["path"][-1] == [bus["lon"], bus["lat"]]
    assert bus["path"][0] == pytest.approx([moves[0]["vehicles"][0]["lon"], moves[0]["vehicles"][0]["lat"]], abs=1e-5)
    assert not [c for c in recorder.changes[first:] if c.topic == "status"]


def test_a_feed_that_goes_down_leaves_the_schedule_and_says_how_old_it_is(simulator, schedule, clock):
    recorder = Recorder()
    url = f"http://127.0.0.1:{simulator.server_address[1]}/feed"
    worker = worker_for(url, schedule, clock, recorder)
    run(worker.step())
    simulator.shutdown()
    simulator.server_close()
    clock.now += timedelta(seconds=30)
    run(worker.step())
    status = recorder.frames("status")[-1]
    assert status["state"] == "down" and status["message"] == "updated 30 s ago"
    clock.now += timedelta(seconds=100)  # beyond the 90 s staleness: predictions give way to the timetable
    run(worker.step())
    status = recorder.frames("status")[-1]
    assert status["state"] == "down" and status["message"] == "updated 130 s ago"
    latest = {}
    for frame in recorder.frames("departures"):
        latest[frame["stop"]] = frame["departures"]
    rows = [d for board in latest.values() for d in board]
    assert rows and not any(d["realtime"] for d in rows)
    assert recorder.frames("vehicles")[-1]["removed"]


def test_when_the_feed_is_gone_buses_run_where_the_timetable_puts_them(simulator, schedule, clock):
    recorder = Recorder()
    url = f"http://127.0.0.1:{simulator.server_address[1]}/feed"
    worker = worker_for(url, schedule, clock, recorder)
    run(worker.step())
    [live] = recorder.frames("vehicles")[-1]["vehicles"]
    assert live["estimated"] is False and recorder.frames("status")[-1]["positions"] == "live"
    simulator.shutdown()
    simulator.server_close()
    clock.now += timedelta(seconds=100)  # 07:39:40, the last fix is stale
    run(worker.step())
    moved = recorder.frames("vehicles")[-1]
    assert moved["removed"] == [live["id"]]
    [bus] = moved["vehicles"]
    assert bus["estimated"] is True and bus["id"] == "schedule:20250710:L1_A_0730"
    assert bus["trip"] == "L1_A_0730" and bus["route"] == "L1" and bus["status"] == "IN_TRANSIT_TO"
    status = recorder.frames("status")[-1]
    assert status["state"] == "down" and status["positions"] == "estimated"
    clock.now += timedelta(seconds=20)
    run(worker.step())
    [later] = recorder.frames("vehicles")[-1]["vehicles"]
    # The estimate moves on along the shape, with the street between its two places for the client to follow.
    assert later["id"] == bus["id"] and later["path"][0] == pytest.approx([bus["lon"], bus["lat"]], abs=1e-5)
    assert later["path"][-1] == pytest.approx([later["lon"], later["lat"]], abs=1e-5)


@pytest.fixture
def garbage_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    server.shutdown()
    server.server_close()


def test_garbage_crashes_nothing_and_the_timetable_is_served(garbage_server, schedule, clock):
    recorder = Recorder()
    worker = worker_for(garbage_server, schedule, clock, recorder)
    run(worker.step())
    [status] = recorder.frames("status")
    assert status["state"] == "garbage" and status["message"] == "never updated"
    assert "HTML" in status["detail"] or "FeedMessage" in status["detail"]
    rows = [d for f in recorder.frames("departures") for d in f["departures"]]
    assert rows and not any(d["realtime"] for d in rows)
    [bus] = recorder.frames("vehicles")[-1]["vehicles"]
    assert bus["estimated"] is True and bus["trip"] == "L1_A_0730"


def test_a_stale_producer_is_reported_stale(schedule, clock, tmp_path):
    from realtime.gtfs_rt import build_feed

    old = tmp_path / "feed.pb"
    old.write_bytes(build_feed(int(clock.posix()) - 600))
    recorder = Recorder()
    run(worker_for(str(old), schedule, clock, recorder).step())
    [status] = recorder.frames("status")
    assert status["state"] == "stale" and status["message"] == "updated 600 s ago"


def test_run_loops_until_stopped(simulator, schedule, clock):
    recorder = Recorder()
    worker = FeedWorker(
        f"http://127.0.0.1:{simulator.server_address[1]}/feed",
        interval_s=0.05,
        publisher=recorder,
        schedule=schedule,
        clock=clock.posix,
    )

    async def main():
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        while worker.cycles < 3:
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 2)

    run(main())
    assert worker.cycles >= 3


@pytest.mark.django_db(transaction=True)
def test_the_worker_reads_the_imported_schedule(sample_dir, simulator, clock):
    from realtime.gtfs_import import import_feed

    import_feed(str(sample_dir))
    recorder = Recorder()
    worker = FeedWorker(
        f"http://127.0.0.1:{simulator.server_address[1]}/feed", interval_s=1, publisher=recorder, clock=clock.posix
    )
    run(worker.step())
    assert any(f["stop"] == "PL_GAULLE" for f in recorder.frames("departures"))
    # The worker's ORM thread keeps its connection (CONN_MAX_AGE); close it before the test database goes.
    from channels.db import database_sync_to_async
    from django.db import connections

    run(database_sync_to_async(connections.close_all)())


def test_a_feed_of_trip_updates_only_moves_the_timetable_buses_by_their_delays(schedule, clock):
    from realtime.gtfs_rt import FeedSnapshot, StopTimeUpdateRecord, TripUpdateRecord
    from realtime.worker import TransitState

    now = clock.posix()
    late = TripUpdateRecord(
        "L1_A_0730", stop_time_updates=(StopTimeUpdateRecord(stop_sequence=1, departure_delay=240),)
    )
    snapshot = FeedSnapshot(int(now), "2.0", "FULL_DATASET", trip_updates=(late,))
    on_time = TransitState(schedule).estimated_vehicles(now, None)
    changes = TransitState(schedule).step(now, snapshot, "ok")
    frames = {json.loads(c.frame)["topic"]: json.loads(c.frame) for c in changes}
    [bus] = frames["vehicles"]["vehicles"]
    assert bus["estimated"] is True and bus["delay"] == 240
    assert (bus["lon"], bus["lat"]) != (on_time[bus["id"]]["lon"], on_time[bus["id"]]["lat"])
    assert frames["status"]["state"] == "ok" and frames["status"]["positions"] == "estimated"
