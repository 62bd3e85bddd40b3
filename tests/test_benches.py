"""Every benchmark under bench/ loads as `make bench` runs it: a script in a fresh interpreter, no Django set up.

A bench runs for minutes against real peers, so the suite does not run them; it does load each one, whose
top-level imports are where a change elsewhere breaks them (bench/tiles_view.py imported the buildings builder,
a Django app's module, before Django was set up, and failed at once without any test noticing).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHES = sorted(p.name for p in (ROOT / "bench").glob("*.py") if p.name != "__init__.py")


def test_there_are_benches_to_load():
    assert {"tiles.py", "tiles_view.py", "viewshed.py", "routes.py", "jobs.py"} <= set(BENCHES)


@pytest.mark.parametrize("name", BENCHES)
def test_a_bench_loads_as_a_script_in_a_fresh_interpreter(name):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # run_path executes the script's top level (its imports) under another name: its main() does not run.
    code = f"import runpy; runpy.run_path({str(ROOT / 'bench' / name)!r}, run_name='bench_load_check')"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"bench/{name} does not load:\n{done.stderr[-3000:]}"


def test_the_jobs_bench_refuses_zero_repeats_before_loading_a_city():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "jobs.py"), "--repeats", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--repeats must be at least 1" in done.stderr and "Traceback" not in done.stderr
