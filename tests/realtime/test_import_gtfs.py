"""manage.py import_gtfs / import_feed: real-feed quirks, atomic re-import, clear errors, URLs on loopback."""

from __future__ import annotations

import functools
import http.server
import io
import shutil
import threading
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from realtime import models as m
from realtime.gtfs_feed import GTFSError, read_feed
from realtime.gtfs_import import demo_schedule, feed_due, feed_is_loaded, feed_runs_on, import_feed

pytestmark = pytest.mark.django_db


def zipped(folder: Path, target: Path, edit: dict[str, str] | None = None) -> Path:
    """A zip of a GTFS folder, with some files' text replaced."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.glob("*.txt")):
            text = (edit or {}).get(path.name)
            z.writestr(path.name, text if text is not None else path.read_bytes())
    return target


@pytest.fixture
def sample_zip(sample_dir, tmp_path) -> Path:
    return zipped(sample_dir, tmp_path / "envibus.zip")


def test_it_imports_the_sample_with_its_real_feed_quirks(sample_zip):
    report = import_feed(str(sample_zip))
    feed = m.Feed.objects.get()
    assert feed.active and feed.timezone == "Europe/Paris" and feed.checksum == report.checksum
    assert feed.name == "Envibus"
    # Colour written lower-case in routes.txt comes out canonical.
    assert m.Route.objects.get(route_id="L1").color == "E2001A"
    # A station and its platforms; stops are stored in WGS84 lon/lat.
    platform = m.Stop.objects.get(stop_id="ANT_PEM_A")
    assert platform.parent_station == "ANT_PEM" and platform.geom.srid == 4326
    assert platform.geom.x == pytest.approx(7.1206) and platform.geom.y == pytest.approx(43.5856)
    # The non-timepoint call got an interpolated time and says so.
    call = m.StopTime.objects.get(trip__trip_id="L1_A_0730", stop__stop_id="LYCEE_AUDIBERTI")
    assert call.timepoint is False and 7 * 3600 + 34 * 60 + 30 < call.departure < 7 * 3600 + 42 * 60
    assert m.Frequency.objects.get().headway_secs == 1200
    assert m.CalendarDate.objects.filter(date=date(2025, 7, 14)).count() == 2
    assert m.Shape.objects.get(shape_id="SHP_1_A").dist is not None
    assert feed_is_loaded()


def test_a_feed_runs_until_its_last_calendar_day_or_added_date(sample_dir, tmp_path):
    """The demo loader imports its timetable again once the active one has ended: the last day counts, including
    a service added by calendar_dates after the calendars end."""
    assert not feed_runs_on(date(2025, 6, 1))  # no feed at all
    import_feed(str(zipped(sample_dir, tmp_path / "a.zip")))
    assert feed_runs_on(date(2025, 12, 31)) and not feed_runs_on(date(2026, 1, 1))
    extra = (sample_dir / "calendar_dates.txt").read_text().rstrip("\n") + "\nWE,20260103,1\n"
    import_feed(str(zipped(sample_dir, tmp_path / "b.zip", {"calendar_dates.txt": extra})))
    assert feed_runs_on(date(2026, 1, 3)) and not feed_runs_on(date(2026, 1, 4))


def test_a_loader_imports_its_feed_again_only_over_its_own_or_an_ended_one(sample_dir, tmp_path):
    """make demo brings a newer demo timetable in over the demo's own, but never over a feed the city imported from
    elsewhere while that one still runs."""
    demo = zipped(sample_dir, tmp_path / "demo.zip")
    assert feed_due(demo, date(2025, 6, 1))  # no feed yet
    import_feed(str(demo))
    assert feed_due(demo, date(2025, 6, 1))  # its own: import_feed replaces it if the file changed
    city = zipped(sample_dir, tmp_path / "city.zip", {"agency.txt": (sample_dir / "agency.txt").read_text() + "\n"})
    import_feed(str(city))
    assert not feed_due(demo, date(2025, 6, 1))  # the city's own feed, still running, is left alone
    assert feed_due(demo, date(2026, 1, 1))  # once it has ended, a bus timetable beats none


def test_times_past_midnight_are_kept_as_gtfs_seconds(sample_zip):
    import_feed(str(sample_zip))
    last = m.StopTime.objects.filter(trip__trip_id="LN_A_2350").order_by("-stop_sequence").first()
    assert last.arrival > 86400
    assert last.arrival_text.startswith("24:") or last.arrival_text.startswith("25:")


def test_the_database_gives_back_the_same_feed(sample_dir, sample_zip):
    import_feed(str(sample_zip))
    original, rebuilt = read_feed(sample_dir), demo_schedule()
    assert rebuilt is not None
    assert rebuilt.stops == original.stops and rebuilt.routes == original.routes and rebuilt.trips == original.trips
    assert rebuilt.stop_times == original.stop_times
    assert rebuilt.calendars == original.calendars and rebuilt.calendar_dates == original.calendar_dates
    assert rebuilt.frequencies == original.frequencies
    for shape_id, shape in original.shapes.items():
        assert list(rebuilt.shapes[shape_id].lat) == pytest.approx(list(shape.lat))
    assert str(rebuilt.timezone) == "Europe/Paris"


def test_a_reimport_replaces_the_feed_whole(sample_dir, sample_zip, tmp_path):
    import_feed(str(sample_zip))
    routes = (sample_dir / "routes.txt").read_text(encoding="utf-8").replace("Noctambus", "Noctilien")
    second = zipped(sample_dir, tmp_path / "v2.zip", {"routes.txt": routes})
    import_feed(str(second))
    assert m.Feed.objects.count() == 1 and m.Feed.objects.get().active
    assert m.Route.objects.filter(long_name__startswith="Noctilien").count() == 1
    assert not m.Route.objects.filter(long_name__startswith="Noctambus").exists()
    assert m.Trip.objects.count() == len(read_feed(sample_dir).trips)


def test_the_same_bytes_again_change_nothing(sample_zip):
    first = import_feed(str(sample_zip))
    again = import_feed(str(sample_zip))
    assert again.unchanged and again.feed_id == first.feed_id


def test_a_broken_zip_is_refused_and_the_active_feed_stays(sample_zip, tmp_path):
    import_feed(str(sample_zip))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(sample_zip.read_bytes()[:300])
    with pytest.raises(CommandError, match="not a readable zip") as caught:
        call_command("import_gtfs", str(broken))
    assert "active feed is unchanged" in str(caught.value)
    assert m.Feed.objects.get().checksum != "" and m.Trip.objects.count() > 0


def test_an_error_names_file_row_and_field_and_nothing_is_written(sample_dir, tmp_path):
    stop_times = (sample_dir / "stop_times.txt").read_text(encoding="utf-8").splitlines()
    stop_times[4] = stop_times[4].replace("07:42:00", "7h42", 1)
    bad = zipped(sample_dir, tmp_path / "bad.zip", {"stop_times.txt": "\n".join(stop_times) + "\n"})
    with pytest.raises(GTFSError, match=r"stop_times.txt row 5: arrival_time '7h42' is not HH:MM:SS"):
        import_feed(str(bad))
    assert not m.Feed.objects.exists() and not m.Stop.objects.exists()


def test_a_failure_while_writing_rolls_everything_back(sample_zip, monkeypatch):
    import_feed(str(sample_zip))
    before = m.Feed.objects.get()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(m.Frequency.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        import_feed(str(sample_zip), force=True)
    after = m.Feed.objects.get()
    assert after.pk == before.pk and after.active
    assert m.StopTime.objects.filter(trip__feed=after).count() == after.counts["stop_times"]


@pytest.fixture
def http_folder(tmp_path):
    """A loopback HTTP server over tmp_path (the network edge, on this machine)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_it_imports_from_a_url(sample_zip, http_folder):
    out = io.StringIO()
    call_command("import_gtfs", f"{http_folder}/{sample_zip.name}", stdout=out)
    assert "imported" in out.getvalue() and "stop_times" in out.getvalue()
    assert m.Feed.objects.get().source.startswith("http://127.0.0.1")


def test_a_missing_url_is_a_clear_error(http_folder):
    with pytest.raises(CommandError, match="HTTP 404"):
        call_command("import_gtfs", f"{http_folder}/nope.zip")


def test_a_folder_imports_too(sample_dir, tmp_path):
    folder = tmp_path / "feed"
    shutil.copytree(sample_dir, folder)
    import_feed(str(folder))
    assert m.Stop.objects.filter(feed__active=True).count() == len(read_feed(sample_dir).stops)
