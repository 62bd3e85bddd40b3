"""Benchmark: the impact report of the demo's 12-storey variant on every window within 300 m, against asking the
balcony service once per window (compute_view before and after the variant, as POST /api/viewshed/ does);
writes bench/results/impact.json.

The demo city (seed 42) is generated and loaded through the real importers (terrain, buildings, landmarks, the
project's two variants) into a throw-away SpatiaLite var dir, and its surface model built there. The peer is
measured on a deterministic sample of windows (evenly spaced through the report's window list) and extrapolated
to all of them: a balcony request per window over the whole set would take hours.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "impact.json"
SAMPLE = 60
GOAL_SECONDS = 60.0
GOAL_RATIO = 10.0
# The sources the impact report reads: the ground, the buildings (windows and obstructions), the landmarks (the
# balcony numbers) and the project's variants. Networks, streets, GTFS and tiles play no part in it.
NEEDED_SOURCES = ("demo-terrain", "demo-buildings", "demo-landmarks", "demo-project-")
# The two balcony requests timed per window: the API's defaults (radius 1000 m, 1 m cells, landmarks, GeoJSON and
# PNG), and the leanest request that still covers the report's reach (radius = the report's horizon, numbers only).
PEERS = {
    "api_defaults": {"radius": 1000.0, "shapes": True, "what": "radius 1000 m, 1 m, landmarks, GeoJSON + PNG"},
    "lean": {"radius": None, "shapes": False, "what": "radius = horizon 600 m, 1 m, landmarks, numbers only"},
}


def setup_django(tmp: Path) -> None:
    # As in production: DEBUG off (no query log), a key of its own, SpatiaLite in a var dir of our own.
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "jumeau.settings",
            "JUMEAU_VAR_DIR": str(tmp),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(32),
        }
    )
    os.environ.pop("DATABASE_URL", None)
    (tmp / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT, or whitenoise warns
    import django

    django.setup()


def load_city(progress) -> dict:
    """Migrate, generate the demo city, sync the sources the report reads, build the surface model: seconds."""
    from django.core.management import call_command

    from gis_sync.models import Source
    from jumeau.demo_loader import demo_dir, demo_sources, ensure_files
    from viewshed.dsm import ensure_surface

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    files = ensure_files(demo_dir(), 42, lambda _msg: None)
    for spec in demo_sources(files):
        if not spec["key"].startswith(NEEDED_SOURCES):
            continue
        source = Source.objects.create(
            key=spec["key"],
            name=spec["name"],
            format=spec["format"],
            location=str(spec["location"]),
            options=spec.get("options", {}),
        )
        run = source.sync()
        progress(f"  {source.key}: {run.summary()}")
    t_sync = time.perf_counter() - t0
    surface = ensure_surface()
    return {"surface": surface, "setup_seconds": round(time.perf_counter() - t0, 1), "sync_seconds": round(t_sync, 1)}


def twelve_storey_variant():
    from twin.models import ProjectVariant

    variant = ProjectVariant.objects.filter(name__contains="12").order_by("pk").first()
    if variant is None:
        names = list(ProjectVariant.objects.values_list("name", flat=True))
        raise SystemExit(
            f"bench/impact.py: no 12-storey variant in the demo project (variants: {names}); "
            "check var/demo/project/project.json"
        )
    return variant


def run_report(variant, surface) -> dict:
    """`manage.py impact_report <variant> --force`, timed from the command's start to the stored report."""
    from django.core.management import call_command

    from viewshed.models import ImpactReport

    with open(os.devnull, "w") as quiet:
        t0 = time.perf_counter()
        call_command("impact_report", str(variant.pk), "--force", stdout=quiet)
        seconds = time.perf_counter() - t0
    report = ImpactReport.objects.get(variant=variant)
    return {
        "seconds": seconds,
        "compute_seconds": report.seconds,
        "report": report,
        "stages_s": report.summary.get("timings_s", {}),
    }


def sample_rows(windows: list[dict], n: int) -> list[dict]:
    """n windows evenly spaced through the report's list (ordered by building, facade, floor): every kind."""
    if len(windows) <= n:
        return list(windows)
    picks = np.linspace(0, len(windows) - 1, n).round().astype(int)
    return [windows[k] for k in picks]


def balcony_per_window(surface, variant, rows: list[dict], radius_m: float, shapes: bool) -> dict:
    """What the balcony API computes for each sampled window with the variant, timed per window (seconds)."""
    from twin.geoid import city_frame
    from viewshed.dsm import variant_patch
    from viewshed.errors import ObserverError
    from viewshed.eye import Eye
    from viewshed.impact import _landmarks
    from viewshed.service import compute_view
    from viewshed.views import _pick_threads

    frame = city_frame()
    times, errors, lost = [], 0, []
    for row in rows:
        t0 = time.perf_counter()
        # _prepare's database work per request: the variant's patch and the landmarks, read each time.
        patch = variant_patch(variant, surface.grid)
        landmarks = _landmarks()
        eye = Eye(row["x"], row["y"], row["z"], row["azimuth_deg"], row["building_id"], row["floor"], row["facade"])
        _pick_threads()
        try:
            view = compute_view(
                surface,
                eye,
                radius_m,
                frame.to_lonlat,
                frame.from_lonlat,
                patch=patch,
                landmarks=landmarks,
                shapes=shapes,
            )
            lost.append(view["change"]["lost_m2"])
        except ObserverError:
            errors += 1
        times.append(time.perf_counter() - t0)
    return {"seconds": times, "errors": errors, "lost_m2_mean": float(np.mean(lost)) if lost else None}


def warm_balcony(surface, variant, row: dict) -> None:
    # As the server's warm_up: kernels compiled (or loaded from numba's cache) before the first timed request.
    balcony_per_window(surface, variant, [row], 200.0, True)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="jumeau-bench-impact-"))
    try:
        setup_django(tmp)
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp: Path) -> None:
    from viewshed.impact import Parameters

    load_start = os.getloadavg()
    print(f"loading the demo city (seed 42) into {tmp}")
    city = load_city(print)
    surface = city["surface"]
    variant = twelve_storey_variant()
    params = Parameters()
    print(f"ready in {city['setup_seconds']} s; variant {variant.pk} «{variant}»")

    cold = run_report(variant, surface)  # the first in this process: kernels loaded from numba's cache
    warm = run_report(variant, surface)
    report = warm["report"]
    windows = report.windows
    n_windows = len(windows)
    timings = report.summary.get("timings_s", {})

    rows = sample_rows(windows, SAMPLE)
    warm_balcony(surface, variant, rows[0])
    peers = {}
    for name, spec in PEERS.items():
        radius = spec["radius"] or params.horizon_m
        got = balcony_per_window(surface, variant, rows, radius, spec["shapes"])
        mean = statistics.fmean(got["seconds"])
        peers[name] = {
            "what": spec["what"],
            "radius_m": radius,
            "shapes": spec["shapes"],
            "sampled_windows": len(rows),
            "errors": got["errors"],
            "per_window_mean_s": round(mean, 4),
            "per_window_p50_s": round(statistics.median(got["seconds"]), 4),
            "per_window_max_s": round(max(got["seconds"]), 4),
            "extrapolated_all_windows_s": round(mean * n_windows, 1),
            "ratio_vs_cold": round(mean * n_windows / cold["seconds"], 1),
            "ratio_vs_warm": round(mean * n_windows / warm["seconds"], 1),
            "lost_m2_mean": None if got["lost_m2_mean"] is None else round(got["lost_m2_mean"], 1),
        }
    # The headline peer is the request the balcony tool sends (the API's defaults), against the report's first run
    # in the process; the lean request, in the peer's favour, is printed and stored beside it.
    headline = peers["api_defaults"]
    ratio = headline["ratio_vs_cold"]
    load_end = os.getloadavg()

    print(
        f"\ndemo city, variant «{variant}», windows within {params.radius_m:g} m (spacing {params.spacing_m:g} m, "
        f"{params.azimuths} azimuths, horizon {params.horizon_m:g} m), {os.cpu_count()} cores, "
        f"load average {load_start[0]:.2f} -> {load_end[0]:.2f}"
    )
    print(f"{'method':<74} {'windows':>8} {'seconds':>9} {'ratio':>7}")
    print(f"{'impact_report, first run in the process (headline)':<74} {n_windows:>8,} {cold['seconds']:>9.1f}")
    print(f"{'impact_report, second run':<74} {n_windows:>8,} {warm['seconds']:>9.1f}")
    for p in peers.values():
        label = f"balcony per window, {p['what']}"
        print(f"{label[:74]:<74} {n_windows:>8,} {p['extrapolated_all_windows_s']:>9.1f} {p['ratio_vs_cold']:>6.1f}x")
        print(
            f"  measured on {p['sampled_windows']} windows, extrapolated: mean {p['per_window_mean_s'] * 1e3:.0f} ms,"
            f" p50 {p['per_window_p50_s'] * 1e3:.0f} ms, max {p['per_window_max_s'] * 1e3:.0f} ms per window, "
            f"{p['errors']} refused"
        )
    print(f"report stages, first run, s: {cold['stages_s']}")
    print(f"report stages, second run, s: {timings}")
    print(
        f"goal: under {GOAL_SECONDS:g} s -> {cold['seconds']:.1f} s "
        f"({'met' if cold['seconds'] < GOAL_SECONDS else 'NOT met'}); >= {GOAL_RATIO:g}x -> {ratio:.1f}x "
        f"({'met' if ratio >= GOAL_RATIO else 'NOT met'})"
    )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "windows": n_windows,
                "seconds": round(cold["seconds"], 2),
                "ratio": ratio,
                "seconds_second_run": round(warm["seconds"], 2),
                "compute_seconds_first_run": cold["compute_seconds"],
                "compute_seconds_second_run": warm["compute_seconds"],
                "stages_s_first_run": cold["stages_s"],
                "stages_s_second_run": timings,
                "goal_seconds": GOAL_SECONDS,
                "goal_ratio": GOAL_RATIO,
                "variant": str(variant),
                "buildings": report.summary["buildings"],
                "vsc_fails": report.summary["vsc_fails"],
                "parameters": report.parameters,
                "peer": "the balcony service once per window: per sampled window, the variant's patch and the "
                "landmarks "
                "read as the API's _prepare does, then compute_view before and after the variant; measured on a "
                "sample spread evenly through the windows, extrapolated to all (mean x windows)",
                "peer_headline": "api_defaults",
                "peers": peers,
                "method": "manage.py impact_report <variant> --force in process (call_command), wall time from the "
                "command's start to the stored report; the first run of the process is the headline",
                "city": "demo city seed 42 through the importers (terrain, buildings, landmarks, project variants), "
                "SpatiaLite in a temporary var dir, surface model built there",
                "setup_seconds": city["setup_seconds"],
                "load_average_start": [round(v, 2) for v in load_start],
                "load_average_end": [round(v, 2) for v in load_end],
                "cores": os.cpu_count(),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
