"""The legends' network colours (frontend core/networkColours.js) are the colours the networks builder paints."""

from __future__ import annotations

import json

from tests.conftest import ROOT
from tiles.builders.networks import NETWORK_COLOURS

LEGEND = ROOT / "frontend" / "static" / "jumeau" / "core" / "networkColours.js"


def _legend() -> dict:
    text = LEGEND.read_text()
    return json.loads(text.split("/* network-colours */", 1)[1].split("/* end network-colours */", 1)[0])


def test_every_network_type_in_the_tiles_has_its_colour_and_a_name_in_the_legend():
    legend = _legend()
    assert set(legend) == set(NETWORK_COLOURS)
    for network_type, rgb in NETWORK_COLOURS.items():
        assert tuple(legend[network_type]["rgb"]) == rgb, network_type
        assert legend[network_type]["label"], network_type
