"""The legends' network colours (frontend core/networkColours.js) are the colours the networks builder paints."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.frontend.node import evaluate
from tiles.builders.networks import NETWORK_COLOURS

LEGEND = ROOT / "frontend" / "static" / "jumeau" / "core" / "networkColours.js"


def _legend(tmp_path) -> dict:
    """The module's NETWORK_COLOURS as the browser gets it, imported by Node."""
    return evaluate(LEGEND, ["NETWORK_COLOURS"], "NETWORK_COLOURS", tmp_path)


def test_every_network_type_in_the_tiles_has_its_colour_and_a_name_in_the_legend(tmp_path):
    legend = _legend(tmp_path)
    assert set(legend) == set(NETWORK_COLOURS)
    for network_type, rgb in NETWORK_COLOURS.items():
        assert tuple(legend[network_type]["rgb"]) == rgb, network_type
        assert legend[network_type]["label"], network_type


def test_every_network_type_has_an_english_name_too(tmp_path):
    legend = _legend(tmp_path)
    assert all(entry["label_en"] and entry["label_en"] != entry["label"] for entry in legend.values())
