"""Reading static GTFS feeds: the Envibus sample folder, zips of it, and broken variants."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from realtime.gtfs_feed import GTFSError, expand_frequencies, format_gtfs_time, parse_gtfs_time, read_feed

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "gtfs" / "envibus_sample"


def sample_zip(changes: dict[str, str | None] | None = None, folder: str = "") -> bytes:
    """The sample feed zipped, with some files replaced (text) or removed (None)."""
    changes = changes or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(SAMPLE.iterdir()):
            if path.name in changes:
                continue
            archive.writestr(folder + path.name, path.read_bytes())
        for name, text in changes.items():
            if text is not None:
                archive.writestr(folder + name, text.encode("utf-8"))
    return buffer.getvalue()


def with_stop_times_row(row: str) -> dict[str, str | None]:
    text = (SAMPLE / "stop_times.txt").read_text(encoding="utf-8").splitlines()
    return {"stop_times.txt": "\n".join([text[0], row, *text[1:]]) + "\n"}


def test_it_reads_the_envibus_sample_folder() -> None:
    feed = read_feed(SAMPLE)
    assert feed.agencies[0].timezone == "Europe/Paris"
    assert str(feed.timezone) == "Europe/Paris"
    assert len(feed.stops) == 7
    assert set(feed.routes) == {"L1", "LN"}
    assert len(feed.trips) == 5
    assert [st.stop_id for st in feed.stop_times["L1_A_0730"]][:2] == ["ANT_PEM_A", "PL_GAULLE"]


def test_it_strips_the_bom_from_the_first_header() -> None:
    assert read_feed(SAMPLE).agencies[0].agency_id == "ENVIBUS"


def test_it_reads_crlf_stops_with_quoted_commas_and_accents() -> None:
    stops = read_feed(SAMPLE).stops
    assert stops["ANT_PEM_A"].name == "Antibes Pôle d'Échanges, quai A"
    assert stops["ANT_PEM_A"].parent_station == "ANT_PEM"
    assert stops["ANT_PEM"].location_type == 1
    assert stops["JLP_GARE"].lat == pytest.approx(43.5687)
    assert stops["JLP_GARE"].lon == pytest.approx(7.1093)


def test_an_empty_optional_field_takes_its_default() -> None:
    stops = read_feed(SAMPLE).stops
    assert stops["LYCEE_AUDIBERTI"].location_type == 0
    assert read_feed(SAMPLE).trips["L1_R_0810"].shape_id == ""


def test_it_normalises_route_colours() -> None:
    route = read_feed(SAMPLE).routes["L1"]
    assert (route.color, route.text_color, route.route_type) == ("E2001A", "FFFFFF", 3)


def test_it_keeps_times_past_midnight() -> None:
    calls = read_feed(SAMPLE).stop_times["LN_A_2350"]
    assert calls[0].departure == 23 * 3600 + 50 * 60
    assert calls[-1].arrival == 87300  # 24:15:00
    assert parse_gtfs_time("25:10:00") == 90600
    assert format_gtfs_time(90600) == "25:10:00"


def test_it_accepts_single_digit_hours() -> None:
    assert read_feed(SAMPLE).stop_times["L1_A_WE_0900"][0].departure == 9 * 3600


def test_it_interpolates_a_blank_intermediate_time() -> None:
    calls = read_feed(SAMPLE).stop_times["L1_A_0730"]
    lycee = calls[2]
    assert not lycee.timepoint
    assert lycee.arrival == lycee.departure
    assert calls[1].departure < lycee.arrival < calls[3].arrival


def test_it_reads_shapes_and_stop_distances() -> None:
    feed = read_feed(SAMPLE)
    shape = feed.shapes["SHP_1_A"]
    assert len(shape.lat) == 10
    assert shape.dist is not None and shape.dist[-1] == pytest.approx(2369.6)
    assert feed.stop_times["L1_A_0730"][3].shape_dist_traveled == pytest.approx(1852.2)
    assert feed.stop_times["L1_R_0810"][0].shape_dist_traveled is None


def test_it_reads_calendars_and_exceptions() -> None:
    feed = read_feed(SAMPLE)
    sem = next(c for c in feed.calendars if c.service_id == "SEM")
    assert sem.weekdays == (True, True, True, True, True, False, False)
    assert any(d.service_id == "SEM" and d.exception_type == 2 for d in feed.calendar_dates)


def test_it_expands_frequencies_into_named_trips() -> None:
    feed = read_feed(SAMPLE)
    assert feed.frequencies[0].headway_secs == 1200 and feed.frequencies[0].exact_times
    expanded = expand_frequencies(feed)
    instances = sorted(t for t in expanded.trips if t.startswith("L1_A_FREQ@"))
    assert instances == [
        "L1_A_FREQ@10:00:00",
        "L1_A_FREQ@10:20:00",
        "L1_A_FREQ@10:40:00",
        "L1_A_FREQ@11:00:00",
        "L1_A_FREQ@11:20:00",
        "L1_A_FREQ@11:40:00",
    ]
    assert "L1_A_FREQ" not in expanded.trips
    assert expanded.stop_times["L1_A_FREQ@10:20:00"][-1].arrival == parse_gtfs_time("10:36:00")
    assert expanded.frequencies == []


def test_it_reads_zip_bytes_and_a_zip_path(tmp_path: Path) -> None:
    data = sample_zip()
    assert len(read_feed(data).trips) == 5
    path = tmp_path / "envibus.zip"
    path.write_bytes(data)
    assert len(read_feed(path).trips) == 5


def test_it_reads_a_zip_whose_files_sit_in_a_folder() -> None:
    assert len(read_feed(sample_zip(folder="gtfs_envibus/")).stops) == 7


def test_it_tolerates_missing_optional_files() -> None:
    data = sample_zip(
        {
            "shapes.txt": None,
            "frequencies.txt": None,
            "calendar_dates.txt": None,
            "feed_info.txt": None,
            "trips.txt": (SAMPLE / "trips.txt").read_text().replace("SHP_1_A", ""),
        }
    )
    feed = read_feed(data)
    assert feed.shapes == {} and feed.frequencies == [] and feed.calendar_dates == []


def test_it_names_file_row_and_field_for_a_bad_time() -> None:
    bad = "L1_A_0730,25:7x:00,25:7x:00,PONT_DULYS,9,,0,0,,1"
    with pytest.raises(GTFSError, match=r"stop_times.txt row 2: arrival_time '25:7x:00' is not HH:MM:SS"):
        read_feed(sample_zip(with_stop_times_row(bad)))


def test_it_rejects_a_departure_before_its_arrival() -> None:
    bad = "L1_A_0730,07:50:00,07:49:00,PONT_DULYS,9,,0,0,,1"
    with pytest.raises(GTFSError, match=r"stop_times.txt row 2: departure_time"):
        read_feed(sample_zip(with_stop_times_row(bad)))


def test_it_rejects_a_call_at_an_unknown_stop() -> None:
    bad = "L1_A_0730,07:50:00,07:50:00,NOWHERE,9,,0,0,,1"
    with pytest.raises(GTFSError, match=r"stop_times.txt row 2: stop_id 'NOWHERE' is not in stops.txt"):
        read_feed(sample_zip(with_stop_times_row(bad)))


def test_it_rejects_a_truncated_zip() -> None:
    data = sample_zip()
    with pytest.raises(GTFSError, match="not a readable zip"):
        read_feed(data[: len(data) // 2])


def test_it_rejects_a_feed_without_stop_times() -> None:
    with pytest.raises(GTFSError, match="missing required file stop_times.txt"):
        read_feed(sample_zip({"stop_times.txt": None}))


def test_it_rejects_an_unknown_timezone() -> None:
    agency = "agency_id,agency_name,agency_url,agency_timezone\nENVIBUS,Envibus,https://www.envibus.fr,Europe/Antibes\n"
    with pytest.raises(GTFSError, match=r"agency.txt row 2: agency_timezone 'Europe/Antibes'"):
        read_feed(sample_zip({"agency.txt": agency}))


def test_it_rejects_a_non_numeric_latitude() -> None:
    stops = (SAMPLE / "stops.txt").read_text(encoding="utf-8").replace("43.57250", "43,57250x")
    with pytest.raises(GTFSError, match=r"stops.txt row \d+: "):
        read_feed(sample_zip({"stops.txt": stops}))


def test_it_reports_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(GTFSError, match="no such GTFS"):
        read_feed(tmp_path / "absent.zip")
