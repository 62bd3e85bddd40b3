"""The impact report's CSV: one row per window, and text that a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io

from viewshed.report_exports import windows_csv


def test_a_source_id_shaped_like_a_formula_arrives_as_text() -> None:
    rows = [
        {
            "index": 0,
            "building_id": 3,
            "building_source_id": '=HYPERLINK("http://evil.example")',
            "facade": 1,
            "floor": 0,
            "x": 1.0,
            "y": 2.0,
            "z": 3.0,
            "azimuth_deg": 180.0,
            "residential": True,
            "vsc_before": 39.6,
            "vsc_after": 12.0,
            "vsc_fails": True,
            "apsh_before": None,
            "apsh_after": None,
            "winter_before": None,
            "winter_after": None,
            "apsh_fails": False,
        }
    ]
    [row] = list(csv.DictReader(io.StringIO(windows_csv("p", "v", rows))))
    assert row["building_source_id"].startswith("'=")
    assert row["apsh_before"] == "" and row["vsc_after"] == "12.0" and row["project"] == "p"
