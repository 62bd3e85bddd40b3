"""manage.py build_tiles: progress, a summary table, and a non-zero exit with advice when it cannot build."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("build_tiles", *args, stdout=out)
    return out.getvalue()


def test_it_builds_the_named_layers_and_prints_a_summary(buildings, tiles_root):
    text = run("buildings", "terrain")
    assert "Building buildings" in text and "Building terrain" in text
    summary = text.split("layer ")[-1]
    assert "features" in summary and "tiles" in summary and "MB" in summary
    line = next(l for l in text.splitlines() if l.startswith("buildings ") and "published" in l)
    assert f" {len(buildings)} " in line
    assert "total" in text


def test_without_arguments_it_builds_what_was_never_published_then_says_nothing_to_do(buildings, tiles_root):
    first = run()
    assert "Building terrain" in first and "Building buildings" in first
    assert "nothing to build" in run().lower()


def test_it_fails_with_advice_when_there_is_no_terrain(db, tiles_root):
    with pytest.raises(CommandError) as info:
        run("terrain")
    message = str(info.value)
    assert "no active terrain" in message and "import" in message
    assert "previous builds" in message


def test_an_unknown_layer_is_named_with_the_known_ones(buildings, tiles_root):
    with pytest.raises(CommandError, match="no layer 'roads'.*buildings"):
        run("roads")


def test_stale_with_nothing_changed_says_so(buildings, tiles_root):
    run("buildings")
    with pytest.raises(CommandError, match="no layer has changed"):
        run("--stale")
