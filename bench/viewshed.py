"""Benchmark: our viewshed kernel against GDAL's on the same 4001 x 4001 1 m DSM, same run, and the whole balcony service; writes bench/results/viewshed.json."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from viewshed.gdal_reference import gdal_version, gdal_viewshed, gdal_viewshed_cli  # noqa: E402
from viewshed.kernel import set_threads, viewshed  # noqa: E402
from viewshed.metrics import exact_viewshed  # noqa: E402

SIZE = 4001  # a 2 km radius at 1 m around a centred observer
REPEATS = 7
OBSERVER_HEIGHT = 1.7
RESULTS = Path(__file__).resolve().parent / "results" / "viewshed.json"


def synthetic_city(size: int, seed: int = 2024) -> np.ndarray:
    """Deterministic DSM in metres: smooth hills (0-120 m) plus about 40,000 box buildings of 4-60 m."""
    from scipy.ndimage import zoom

    rng = np.random.default_rng(seed)
    coarse = rng.random((size // 200 + 2, size // 200 + 2))
    terrain = zoom(coarse, size / coarse.shape[0], order=3)[:size, :size] * 120.0
    dsm = terrain.astype(np.float32)
    n = size * size // 400
    rows = rng.integers(0, size, n)
    cols = rng.integers(0, size, n)
    heights = rng.uniform(4.0, 60.0, n).astype(np.float32)
    spans = rng.integers(6, 25, (n, 2))
    for r, c, h, (dr, dc) in zip(rows, cols, heights, spans):
        block = dsm[r:r + dr, c:c + dc]
        block[...] = block.max() + h
    return dsm


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def timed(fn, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def cpu_timed(fn, repeats: int) -> list[float]:
    """CPU seconds of the calling thread: what a call costs, whatever else keeps the cores busy."""
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return times


def service_case(dsm: np.ndarray):
    """The balcony service on the bench DSM: a south-facing balcony 20 m up, the sea on the southern quarter,
    an 80 m tower project 250 m in front, a few landmarks; a 2 km radius, before and after, GeoJSON and PNG."""
    from viewshed.dsm import Grid, SurfaceModel, footprint_patch
    from viewshed.observer import Eye
    from viewshed.service import Landmark

    size = dsm.shape[0]
    city = dsm.copy()
    sea = np.zeros(city.shape, dtype=bool)
    sea[3 * size // 4:] = True
    city[sea] = 0.0
    grid = Grid(1031000.0, 6285000.0, 1.0, size, size)
    surface = SurfaceModel(grid, city, sea, "bench")
    c = size // 2
    x, y = (float(v) for v in grid.centre(c, c))
    eye = Eye(x, y, float(city[c, c]) + 20.0, 180.0)
    tower = footprint_patch(((((x - 30, y - 250), (x + 30, y - 250), (x + 30, y - 290), (x - 30, y - 290)),),),
                            float(city[c, c]) + 80.0, grid)
    landmarks = [Landmark(k, f"poi {k}", f"poi-{k}", "", x + dx, y + dy, 40.0)
                 for k, (dx, dy) in enumerate([(300, -900), (-700, -400), (1200, 300), (-100, -1500)])]
    return surface, eye, tower, landmarks


def bench_service(dsm: np.ndarray, repeats: int) -> dict:
    from twin.geoid import HeightFrame
    from viewshed.service import compute_view

    frame = HeightFrame(2154, "egm96_15.gtx")
    surface, eye, tower, landmarks = service_case(dsm)

    def run():
        return compute_view(surface, eye, 2000.0, frame.to_lonlat, frame.from_lonlat, patch=tower, landmarks=landmarks)

    run()
    times, result = timed(run, repeats)
    set_threads(1)
    cpu = cpu_timed(run, 3)
    set_threads(os.cpu_count() or 1)
    return {"seconds": times, "cpu_seconds_one_thread": cpu, "cells": result["cells"], "timings_ms": result["timings_ms"],
            "lost_m2": result["change"]["lost_m2"]}


def r3_accuracy() -> dict[str, float]:
    """Share of cells where each method equals the exact line of sight, on small city DSMs."""
    small = synthetic_city(801, seed=7)
    ours_hits = gdal_hits = total = 0
    for r0, c0 in [(100, 100), (300, 500), (600, 250)]:
        window = small[r0:r0 + 201, c0:c0 + 201]
        exact = exact_viewshed(window, 100, 100, OBSERVER_HEIGHT)
        ours_hits += int((viewshed(window, 100, 100, OBSERVER_HEIGHT) == exact).sum())
        gdal_hits += int((gdal_viewshed(window, 100, 100, OBSERVER_HEIGHT) == exact).sum())
        total += exact.size
    return {"r3_cells": total, "r3_ours_accuracy": ours_hits / total, "r3_gdal_accuracy": gdal_hits / total}


def main() -> None:
    t0 = time.perf_counter()
    dsm = synthetic_city(SIZE)
    centre = SIZE // 2
    cells = dsm.size
    print(f"DSM {SIZE} x {SIZE} = {cells:,} cells built in {time.perf_counter() - t0:.1f} s")

    viewshed(dsm[:64, :64], 32, 32, OBSERVER_HEIGHT)  # JIT compile (or cache load) out of the timing
    viewshed(dsm, centre, centre, OBSERVER_HEIGHT)

    ours_times, ours = timed(lambda: viewshed(dsm, centre, centre, OBSERVER_HEIGHT), REPEATS)

    gdal_times, gdal = [], None
    for _ in range(REPEATS):
        timing: dict[str, float] = {}
        gdal = gdal_viewshed(dsm, centre, centre, OBSERVER_HEIGHT, timing=timing)
        gdal_times.append(timing["seconds"])

    # Other jobs share this machine's two cores: one thread, timed apart,
    # shows the kernel's own cost when the second core is taken.
    set_threads(1)
    one_times, _ = timed(lambda: viewshed(dsm, centre, centre, OBSERVER_HEIGHT), 3)
    one_cpu = cpu_timed(lambda: viewshed(dsm, centre, centre, OBSERVER_HEIGHT), 5)
    set_threads(os.cpu_count() or 1)
    one_ns = statistics.median(one_times) * 1e9 / cells
    gdal_cpu = cpu_timed(lambda: gdal_viewshed(dsm, centre, centre, OBSERVER_HEIGHT), 3)
    one_cpu_ns = min(one_cpu) * 1e9 / cells
    gdal_cpu_ns = min(gdal_cpu) * 1e9 / cells
    service = bench_service(dsm, REPEATS)

    cli, cli_seconds = gdal_viewshed_cli(dsm, centre, centre, OBSERVER_HEIGHT)

    agreement = float((ours == gdal).mean())
    # The headline is the better of two and one thread, both measured here: when other jobs hold
    # the second core, numba's static split of the wedges waits for the descheduled thread.
    threads_best = 1 if statistics.median(one_times) < statistics.median(ours_times) else (os.cpu_count() or 1)
    best_s = min(statistics.median(one_times), statistics.median(ours_times))
    cli_agreement = float((ours == cli).mean())
    ours_s, gdal_s = statistics.median(ours_times), statistics.median(gdal_times)
    ours_ns, gdal_ns = ours_s * 1e9 / cells, gdal_s * 1e9 / cells
    r3 = r3_accuracy()

    rows = [
        ("ours (numba, kernel.viewshed)", ours_s, ours_ns, agreement),
        (f"GDAL {gdal_version()} GDALViewshedGenerate, MEM", gdal_s, gdal_ns, 1.0),
        ("gdal_viewshed CLI (GTiff in/out, 1 run)", cli_seconds, cli_seconds * 1e9 / cells, cli_agreement),
    ]
    print(f"\nobserver ({centre}, {centre}), {OBSERVER_HEIGHT} m, Edge mode, no curvature, "
          f"median of {REPEATS}, {os.cpu_count()} cores, {cpu_name()}")
    print(f"{'method':<44} {'seconds':>9} {'ns/cell':>9} {'agree':>8}")
    for name, s, ns, agree in rows:
        print(f"{name:<44} {s:>9.4f} {ns:>9.2f} {agree:>8.4%}")
    print(f"{'ours, one thread':<44} {statistics.median(one_times):>9.4f} {one_ns:>9.2f}")
    print(f"{'ours, one thread, CPU time (best)':<44} {min(one_cpu):>9.4f} {one_cpu_ns:>9.2f}")
    print(f"{'GDAL, CPU time (best; GDAL is one thread)':<44} {min(gdal_cpu):>9.4f} {gdal_cpu_ns:>9.2f}")
    svc = statistics.median(service["seconds"])
    print(f"{'service: balcony 2 km before+after, all out':<44} {svc:>9.4f} {svc * 1e9 / service['cells']:>9.2f}"
          f"   (best {min(service['seconds']) * 1e3:.0f} ms; one thread CPU {min(service['cpu_seconds_one_thread']) * 1e3:.0f} ms)")
    print(f"  service stages, ms: {service['timings_ms']}")
    print(f"ratio GDAL/ours: {gdal_ns / one_ns:.2f}x on one thread; {gdal_cpu_ns / one_cpu_ns:.2f}x in CPU time, one thread; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"ratio GDAL/ours: {gdal_ns / ours_ns:.2f}x   visible cells: {int(ours.sum()):,}")
    print(f"exact line of sight (R3) on {r3['r3_cells']:,} cells: ours {r3['r3_ours_accuracy']:.4%}, "
          f"GDAL {r3['r3_gdal_accuracy']:.4%}")

    best_ns = best_s * 1e9 / cells
    print(f"headline: ours {best_ns:.2f} ns/cell ({threads_best} thread{'s' if threads_best > 1 else ''}), "
          f"GDAL {gdal_ns:.2f} ns/cell, ratio {gdal_ns / best_ns:.2f}x, agreement {agreement:.4%}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "cells": cells,
        "ours_ns_per_cell": round(best_ns, 3),
        "gdal_ns_per_cell": round(gdal_ns, 3),
        "ratio": round(gdal_ns / best_ns, 3),
        "agreement": agreement,
        "ours_threads": threads_best,
        "ours_ns_per_cell_all_threads": round(ours_ns, 3),
        "ratio_all_threads": round(gdal_ns / ours_ns, 3),
        "ours_seconds_median": ours_s,
        "gdal_seconds_median": gdal_s,
        "ours_seconds_all": ours_times,
        "gdal_seconds_all": gdal_times,
        "ours_ns_per_cell_one_thread": round(one_ns, 3),
        "ours_cpu_ns_per_cell_one_thread": round(one_cpu_ns, 3),
        "gdal_cpu_ns_per_cell": round(gdal_cpu_ns, 3),
        "ratio_cpu_time": round(gdal_cpu_ns / one_cpu_ns, 3),
        "service_seconds_median": svc,
        "service_seconds_all": service["seconds"],
        "service_cpu_seconds_one_thread": service["cpu_seconds_one_thread"],
        "service_stages_ms": service["timings_ms"],
        "service_case": "south-facing balcony 20 m up, 2 km radius at 1 m, before + after an 80 m tower, "
                        "numbers + landmarks + GeoJSON + PNG overlays",
        "load_average_1min": os.getloadavg()[0],
        "gdal_method": "GDALViewshedGenerate via ctypes, MEM source and MEM output, call time only",
        "gdal_cli_seconds": cli_seconds,
        "gdal_cli_agreement": cli_agreement,
        "gdal_version": gdal_version(),
        "repetitions": REPEATS,
        "dsm": f"synthetic city {SIZE}x{SIZE}, 1 m, seed 2024",
        "observer": [centre, centre, OBSERVER_HEIGHT],
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        **r3,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
