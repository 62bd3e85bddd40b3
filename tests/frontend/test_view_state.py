"""The shareable link's hash (frontend core/viewState.js), run in Node: what it writes, it reads back."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from tests.frontend.node import evaluate

MODULE = ROOT / "frontend" / "static" / "jumeau" / "core" / "viewState.js"


def run(tmp_path, expression: str):
    """Evaluates `expression` (JSON-serialisable) with encodeView and decodeView imported, as the browser does."""
    return evaluate(MODULE, ["encodeView", "decodeView"], expression, tmp_path)


def test_a_view_written_to_a_hash_reads_back_within_a_decimetre_and_a_tenth_of_a_degree(tmp_path):
    view = {
        "camera": {"lon": 7.1234567, "lat": 43.5801234, "height": 312.345, "heading": 271.26, "pitch": -32.04},
        "layers": ["buildings", "project-12"],
        "pick": {"layer": "buildings", "id": "BATIMENT0000000241~x"},
        "tool": "balcony",
    }
    hash_, back = run(
        tmp_path, f"(() => {{ const h = encodeView({json.dumps(view)}); return [h, decodeView('#' + h)]; }})()"
    )
    assert "view=7.123457,43.580123,312.3,271.3,-32.0" in hash_  # commas left readable
    assert back["camera"] == pytest.approx(
        {"lon": 7.123457, "lat": 43.580123, "height": 312.3, "heading": 271.3, "pitch": -32.0}
    )
    assert back["layers"] == ["buildings", "project-12"]
    assert back["pick"] == view["pick"]  # an id may hold the separator itself
    assert back["tool"] == "balcony"


def test_no_layer_visible_is_not_the_same_as_no_layers_said(tmp_path):
    none, absent = run(tmp_path, "[decodeView('#layers='), decodeView('#tool=impact')]")
    assert none["layers"] == []
    assert absent["layers"] is None and absent["camera"] is None and absent["pick"] is None


@pytest.mark.parametrize(
    "view",
    ["7.1,43.5,300,0", "7.1,43.5,300,0,-200", "abc,43.5,300,0,-30", "7.1,95,300,0,-30", ""],
)
def test_a_damaged_camera_is_ignored_rather_than_flying_somewhere_absurd(tmp_path, view):
    assert run(tmp_path, f"decodeView('#view={view}&tool=balcony')") == {
        "camera": None,
        "layers": None,
        "pick": None,
        "tool": "balcony",
    }
