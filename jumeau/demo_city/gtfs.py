"""An Envibus-like GTFS feed for Antibes: stops on the streets, shapes along them, seeded timetables."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import networkx as nx
import numpy as np
from dateutil.easter import easter

from .extent import to_l93, to_wgs84
from .streets import StreetNetwork

# Stops (lon, lat) at real places; each is snapped to the nearest street crossing.
STOPS: dict[str, tuple[str, float, float]] = {
    "POLE": ("Antibes Pôle d'Échanges SNCF", 7.1196, 43.5860),
    "GAULLE": ("Place de Gaulle", 7.1235, 43.5808),
    "PORT": ("Port Vauban", 7.1262, 43.5868),
    "FORT": ("Fort Carré", 7.1270, 43.5900),
    "AGUILLON": ("Boulevard d'Aguillon", 7.1262, 43.5841),
    "MASSENA": ("Marché Provençal", 7.1270, 43.5811),
    "SALIS": ("La Salis", 7.1260, 43.5755),
    "WYLLIE": ("Plage de la Salis", 7.1270, 43.5725),
    "GAROUPE": ("Plage de la Garoupe", 7.1345, 43.5655),
    "PHARE": ("Phare de la Garoupe", 7.1320, 43.5638),
    "THURET": ("Jardin Thuret", 7.1220, 43.5652),
    "CAP": ("Cap d'Antibes – Eden Roc", 7.1235, 43.5485),
    "EILENROC": ("Villa Eilenroc", 7.1268, 43.5468),
    "SABLES": ("Chemin des Sables", 7.1150, 43.5768),
    "JUAN_GARE": ("Juan-les-Pins Gare", 7.1097, 43.5692),
    "PINEDE": ("Juan-les-Pins Pinède", 7.1120, 43.5668),
    "MAUPASSANT": ("Guy de Maupassant", 7.1180, 43.5700),
    "DUGOMMIER": ("Dugommier", 7.1150, 43.5830),
    "JULES_GREC": ("Jules Grec", 7.1095, 43.5830),
    "GRASSE": ("Route de Grasse – Les Terriers", 7.1030, 43.5950),
    "BORD_MER": ("Route du Bord de Mer", 7.1305, 43.5975),
}
# (route_id, short name, long name, colour, stop sequence, headway min weekday/weekend)
ROUTES = [
    (
        "1",
        "1",
        "Antibes Pôle d'Échanges – Juan-les-Pins",
        "E2001A",
        ["POLE", "GAULLE", "SALIS", "SABLES", "JUAN_GARE", "PINEDE"],
        (10, 15),
    ),
    (
        "2",
        "2",
        "Antibes Pôle d'Échanges – Cap d'Antibes",
        "0072BB",
        ["POLE", "GAULLE", "SALIS", "WYLLIE", "GAROUPE", "PHARE", "THURET", "CAP", "EILENROC"],
        (15, 20),
    ),
    (
        "3",
        "3",
        "Route de Grasse – Port Vauban – Fort Carré",
        "2E8B57",
        ["GRASSE", "DUGOMMIER", "POLE", "PORT", "FORT", "BORD_MER"],
        (12, 20),
    ),
    (
        "4",
        "4",
        "Juan-les-Pins – Jules Grec – Pôle d'Échanges",
        "8E44AD",
        ["PINEDE", "JUAN_GARE", "JULES_GREC", "DUGOMMIER", "POLE"],
        (15, 20),
    ),
    (
        "5",
        "5",
        "Juan-les-Pins – Jardin Thuret – La Salis",
        "F39C12",
        ["PINEDE", "MAUPASSANT", "THURET", "SALIS", "GAULLE"],
        (20, 20),
    ),
    (
        "N",
        "Noctambus",
        "Noctambus Pôle d'Échanges – Juan-les-Pins",
        "2C3E50",
        ["POLE", "GAULLE", "SALIS", "SABLES", "JUAN_GARE", "PINEDE"],
        (20, 20),
    ),
    (
        "NAV",
        "Navette",
        "Navette Vieil Antibes",
        "D4145A",
        ["GAULLE", "AGUILLON", "PORT", "AGUILLON", "MASSENA", "GAULLE"],
        (10, 15),
    ),
]
SPEED_MS = 5.0  # ~18 km/h commercial speed in town
DWELL_S = 20
FIRST_S = 6 * 3600
LAST_S = 24 * 3600 + 30 * 60  # the last departures leave after midnight (24:30:00)
# The Noctambus links the station to Juan-les-Pins' night life until the day lines start. Its two directions leave
# half a headway apart and each trip lasts longer than that, so a bus is on the road at every hour of the night:
# whoever opens the demo at 3 a.m. sees one, and so do the browser tests run then.
NIGHT_ROUTE, NIGHT_FIRST_S = "N", 0
# The timetable is valid from the year before it was generated to two years after, as a real network publishes the
# coming year's feed: a fixed end date would leave the demo city without a single bus the day after it.
YEARS_BEFORE, YEARS_AFTER = 1, 2
# Public holidays in France run the weekend timetable: the fixed ones (month, day) and those that follow Easter.
FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))
EASTER_HOLIDAYS = (1, 39, 50)  # Easter Monday, Ascension, Whit Monday


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def service_years(today: date) -> tuple[date, date]:
    """The first and last day the demo timetable runs, for a feed generated on ``today``."""
    return date(today.year - YEARS_BEFORE, 1, 1), date(today.year + YEARS_AFTER, 12, 31)


def public_holidays(first: date, last: date) -> list[date]:
    """France's public holidays from ``first`` to ``last``, in order."""
    days = []
    for year in range(first.year, last.year + 1):
        days += [date(year, m, d) for m, d in FIXED_HOLIDAYS]
        days += [easter(year) + timedelta(days=n) for n in EASTER_HOLIDAYS]
    return sorted(d for d in days if first <= d <= last)


def write_gtfs(streets: StreetNetwork, path: Path, seed: int, today: date | None = None) -> Path:
    """gtfs.zip (GTFS Schedule): agency, stops, routes, trips, stop_times, shapes, calendar(_dates), frequencies.

    The calendar runs around ``today`` (the local date by default): see ``service_years``."""
    first, last = service_years(today or date.today())
    holidays = public_holidays(first, last)
    rng = np.random.default_rng(seed + 40)
    g = streets.vehicle_graph()
    main = max(nx.connected_components(g), key=lambda c: (len(c), min(c)))
    g = g.subgraph(main)
    for _u, _v, d in g.edges(data=True):
        d["cost"] = d["length"] * (1.0 if d["importance"] <= 3 else 1.8)
    geoms = {s.id: s.geom for s in streets.streets}
    node_of = {sid: streets.nearest_node(*to_l93(lon, lat), graph=g) for sid, (_, lon, lat) in STOPS.items()}

    stops = []
    for sid, (name, _, _) in STOPS.items():
        lon, lat = to_wgs84(*node_of[sid])
        stops.append(
            {
                "stop_id": sid,
                "stop_code": sid[:4],
                "stop_name": name,
                "stop_lat": f"{lat:.6f}",
                "stop_lon": f"{lon:.6f}",
                "location_type": "0",
                "wheelchair_boarding": "1",
            }
        )
    routes, trips, stop_times, shapes, freqs = [], [], [], [], []
    for route_id, short, long_name, colour, seq, (hw_week, hw_end) in ROUTES:
        routes.append(
            {
                "route_id": route_id,
                "agency_id": "ENVIBUS",
                "route_short_name": short,
                "route_long_name": long_name,
                "route_type": "3",
                "route_color": colour,
                "route_text_color": "FFFFFF",
            }
        )
        directions = [seq] if route_id == "NAV" else [seq, seq[::-1]]
        for direction, stop_seq in enumerate(directions):
            shape_id = f"{route_id}_{direction}"
            pts: list[tuple[float, float]] = []
            stop_dist = [0.0]
            for a, b in zip(stop_seq, stop_seq[1:]):
                path_nodes = nx.shortest_path(g, node_of[a], node_of[b], weight="cost")
                for u, v in zip(path_nodes, path_nodes[1:]):
                    xy = np.asarray(geoms[g.edges[u, v]["id"]].coords)[:, :2]
                    if tuple(xy[0]) != u:
                        xy = xy[::-1]
                    seg = [tuple(p) for p in xy]
                    pts.extend(seg if not pts else seg[1:])
                if not pts:
                    pts.append(node_of[a])
                arr = np.asarray(pts)
                stop_dist.append(float(np.hypot(*np.diff(arr, axis=0).T).sum()) if len(arr) > 1 else 0.0)
            arr = np.asarray(pts)
            cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(arr, axis=0).T))])
            for k, ((x, y), dist) in enumerate(zip(pts, cum)):
                lon, lat = to_wgs84(x, y)
                shapes.append(
                    {
                        "shape_id": shape_id,
                        "shape_pt_lat": f"{lat:.6f}",
                        "shape_pt_lon": f"{lon:.6f}",
                        "shape_pt_sequence": str(k),
                        "shape_dist_traveled": f"{dist:.1f}",
                    }
                )
            offsets = [int(round(d / SPEED_MS)) + DWELL_S * i for i, d in enumerate(stop_dist)]
            for service, headway in (("SEMAINE", hw_week), ("WEEKEND", hw_end)):
                start0 = FIRST_S + direction * 300 + int(rng.integers(0, 5)) * 60
                if route_id == NIGHT_ROUTE:
                    start0, until = NIGHT_FIRST_S + direction * headway * 30, FIRST_S - 1
                else:
                    until = LAST_S
                if route_id == "NAV":
                    # the shuttle runs on a headway (frequencies.txt): one template trip per service
                    trip_id = f"{route_id}_{service}_{direction}"
                    start0 = 7 * 3600 + 30 * 60  # the template trip starts with the frequency window
                    trips.append(
                        {
                            "route_id": route_id,
                            "service_id": service,
                            "trip_id": trip_id,
                            "trip_headsign": "Vieil Antibes (boucle)",
                            "direction_id": str(direction),
                            "shape_id": shape_id,
                            "wheelchair_accessible": "1",
                        }
                    )
                    for i, (sid, off) in enumerate(zip(stop_seq, offsets)):
                        stop_times.append(
                            {
                                "trip_id": trip_id,
                                "arrival_time": _hms(start0 + off),
                                "departure_time": _hms(start0 + off + (DWELL_S if i else 0)),
                                "stop_id": sid,
                                "stop_sequence": str(i + 1),
                                "shape_dist_traveled": f"{stop_dist[i]:.1f}",
                                "timepoint": "0",
                            }
                        )
                    freqs.append(
                        {
                            "trip_id": trip_id,
                            "start_time": _hms(7 * 3600 + 30 * 60),
                            "end_time": _hms(20 * 3600),
                            "headway_secs": str(headway * 60),
                            "exact_times": "0",
                        }
                    )
                    continue
                t, n = start0, 0
                while t <= until:
                    n += 1
                    trip_id = f"{route_id}_{service}_{direction}_{n:03d}"
                    trips.append(
                        {
                            "route_id": route_id,
                            "service_id": service,
                            "trip_id": trip_id,
                            "trip_headsign": STOPS[stop_seq[-1]][0],
                            "direction_id": str(direction),
                            "shape_id": shape_id,
                            "wheelchair_accessible": "1",
                        }
                    )
                    for i, (sid, off) in enumerate(zip(stop_seq, offsets)):
                        stop_times.append(
                            {
                                "trip_id": trip_id,
                                "arrival_time": _hms(t + off),
                                "departure_time": _hms(t + off + (DWELL_S if 0 < i < len(stop_seq) - 1 else 0)),
                                "stop_id": sid,
                                "stop_sequence": str(i + 1),
                                "shape_dist_traveled": f"{stop_dist[i]:.1f}",
                                "timepoint": "1",
                            }
                        )
                    # evenings thin out after 21:00, as on the real network
                    t += headway * 60 if t < 21 * 3600 else max(headway, 30) * 60
    files = {
        "agency.txt": [
            {
                "agency_id": "ENVIBUS",
                "agency_name": "Envibus (démo)",
                "agency_url": "https://www.envibus.fr",
                "agency_timezone": "Europe/Paris",
                "agency_lang": "fr",
                "agency_phone": "04 89 87 72 00",
            }
        ],
        "stops.txt": stops,
        "routes.txt": routes,
        "trips.txt": trips,
        "stop_times.txt": stop_times,
        "shapes.txt": shapes,
        "frequencies.txt": freqs,
        "calendar.txt": [
            {
                "service_id": "SEMAINE",
                "monday": "1",
                "tuesday": "1",
                "wednesday": "1",
                "thursday": "1",
                "friday": "1",
                "saturday": "0",
                "sunday": "0",
                "start_date": f"{first:%Y%m%d}",
                "end_date": f"{last:%Y%m%d}",
            },
            {
                "service_id": "WEEKEND",
                "monday": "0",
                "tuesday": "0",
                "wednesday": "0",
                "thursday": "0",
                "friday": "0",
                "saturday": "1",
                "sunday": "1",
                "start_date": f"{first:%Y%m%d}",
                "end_date": f"{last:%Y%m%d}",
            },
        ],
        # a public holiday on a weekday runs the weekend timetable
        "calendar_dates.txt": [
            {"service_id": sid, "date": f"{day:%Y%m%d}", "exception_type": et}
            for day in holidays
            if day.weekday() < 5
            for sid, et in (("SEMAINE", "2"), ("WEEKEND", "1"))
        ],
        "feed_info.txt": [
            {
                "feed_publisher_name": "Jumeau",
                "feed_publisher_url": "https://example.org/jumeau",
                "feed_lang": "fr",
                "feed_start_date": f"{first:%Y%m%d}",
                "feed_end_date": f"{last:%Y%m%d}",
                "feed_version": f"demo-{seed}",
            }
        ],
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, rows in files.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 15, 0, 0, 0))  # fixed: reproducible archive
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, _csv(rows))
    return path
