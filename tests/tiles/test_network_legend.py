"""The legends' network colours (frontend core/networkColours.js) are the colours the networks builder paints."""

from __future__ import annotations

import json
import shutil
import subprocess

from tests.conftest import ROOT
from tiles.builders.networks import NETWORK_COLOURS

LEGEND = ROOT / "frontend" / "static" / "jumeau" / "core" / "networkColours.js"


def _legend(tmp_path) -> dict:
    """The module's NETWORK_COLOURS as the browser gets it: imported by Node (as .mjs, the folder has no
    package.json saying its .js files are ES modules)."""
    module = tmp_path / "networkColours.mjs"
    shutil.copyfile(LEGEND, module)
    script = (
        f"import {{ NETWORK_COLOURS }} from {json.dumps(module.as_uri())}; "
        "console.log(JSON.stringify(NETWORK_COLOURS));"
    )
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_network_type_in_the_tiles_has_its_colour_and_a_name_in_the_legend(tmp_path):
    legend = _legend(tmp_path)
    assert set(legend) == set(NETWORK_COLOURS)
    for network_type, rgb in NETWORK_COLOURS.items():
        assert tuple(legend[network_type]["rgb"]) == rgb, network_type
        assert legend[network_type]["label"], network_type
