"""The coded values of the tiles (network type, precision class, material, state...) in words in both languages, as an
information panel shows them (frontend core/fieldValues.js), run in Node."""

from __future__ import annotations

import json
import shutil

import pytest

from gis_sync.formats import raepa, stardt, stareau
from tests.conftest import ROOT
from tests.frontend.node import evaluate
from tiles.builders.networks import NETWORK_COLOURS
from twin.models import AxisMethod, ProjectStatus

CORE = ROOT / "frontend" / "static" / "jumeau" / "core"


@pytest.fixture
def run(tmp_path):
    # fieldValues.js imports networkColours.js beside it: Node reads that one as a module through the package.json.
    shutil.copyfile(CORE / "networkColours.js", tmp_path / "networkColours.js")
    (tmp_path / "package.json").write_text('{"type": "module"}')
    return lambda expression: evaluate(CORE / "fieldValues.js", ["valueWords", "CODED"], expression, tmp_path)


def words(run, key: str, values, lang: str) -> list:
    return run(f"{json.dumps(list(values))}.map((v) => valueWords({json.dumps(key)}, v, {json.dumps(lang)}))")


def test_a_pipe_reads_in_words_in_french_and_in_english(run):
    pipe = {"network_type": "water", "precision_xy": "A", "precision_z": "C", "material": "castIron",
            "status": "functional", "axis_method": "cover"}  # fmt: skip
    got = run(f"Object.entries({json.dumps(pipe)}).map(([k, v]) => [valueWords(k, v, 'fr'), valueWords(k, v, 'en')])")
    assert got == [
        ["Eau potable", "Drinking water"],
        ["A : à 40 cm près (50 cm pour un réseau souple)", "A: within 40 cm (50 cm for a flexible network)"],
        ["C : à plus de 1,50 m près, ou inconnue", "C: beyond 1.50 m, or unknown"],
        ["Fonte", "Cast iron"],
        ["En service", "In service"],
        ["Profondeur sous le terrain", "Cover depth below the terrain"],
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_code_the_importers_and_builders_write_has_words(run, lang):
    # The codes as they reach the tiles: the INSPIRE lists StaR-DT checks against (RAEPA and StaR-Eau map onto
    # them), the node types of each importer, the models' choices and the builders' own values.
    coded = {
        "network_type": set(NETWORK_COLOURS),
        "precision_xy": {"A", "B", "C"},
        "material": stardt.CODE_LISTS["PipeMaterialTypeValue"]
        | {v for v in raepa.MATERIAU.values() if v}
        | {v for v in stareau.MATERIAU.values() if v},
        "status": stardt.CODE_LISTS["ConditionOfFacilityValue"]
        | set(stareau.ETAT_SERVICE.values())
        | set(ProjectStatus.values),
        "axis_method": set(AxisMethod.values),
        "depth_source": {"invert", "attributes", "pipes", "standard", "pipe_axis", "ground"},
        "node_type": set(stardt.NODE_TYPES.values()) - {"survey_point"}
        | set(raepa.APP_NODE_TYPES.values())
        | set(raepa.OUVAEP_NODE_TYPES.values())
        | set(raepa.OUVASS_NODE_TYPES.values())
        | {node_type for _, node_type, _ in stareau.NODE_LAYERS.values()}
        | {v for _, table in stareau.TYPE_FIELDS.values() for v in table.values()},
        "lod": {1, 2},
        "element_type": {"Building", "gltf_primitive", "IfcWall", "IfcSlab"},
    }
    for key, codes in coded.items():
        got = dict(zip(sorted(codes, key=str), words(run, key, sorted(codes, key=str), lang), strict=True))
        missing = [code for code, text in got.items() if not text]
        assert not missing, (key, missing)
        # Words, not the code again (PVC is the material's name in both languages, Building an English word).
        assert all(text != code or code in {"PVC", "Building"} for code, text in got.items()), (key, got)
    assert set(coded) - {"precision_xy"} <= set(run("[...CODED]"))


def test_an_unknown_code_is_left_as_it_is_and_the_builders_placeholders_read_as_nothing_known(run):
    assert run("[valueWords('material', 'unobtainium', 'fr'), valueWords('network_type', 'steam', 'en')]") == [
        None,
        None,
    ]
    assert run("[valueWords('source_id', 'AEPC000109', 'fr'), valueWords('height', 12.5, 'fr')]") == [None, None]
    # tiles/builders/networks.py COLUMNS: a column has no null, so 0 or -1 says "not known".
    got = run(
        "[valueWords('install_year', 0), valueWords('install_year', 1987), valueWords('cover_depth_min', -1),"
        " valueWords('cover_depth_min', 0.9), valueWords('axis_uncertainty_m', -1), valueWords('diameter_mm', 0)]"
    )
    assert got == ["", None, "", None, "", ""]
