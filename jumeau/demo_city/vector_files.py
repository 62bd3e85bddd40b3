"""Writing vector layers the way real deliveries are made: GeoJSON staged, then ogr2ogr into a GeoPackage."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from .extent import DEMO_SRID

# Pinned so that gpkg_contents.last_change is the same from one run to the next.
FIXED_DATE = "2025-01-15T00:00:00Z"


def _rounded(obj: Any, ndigits: int) -> Any:
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, (list, tuple)):
        return [_rounded(o, ndigits) for o in obj]
    return obj


def feature(geom: BaseGeometry | None, props: dict[str, Any], ndigits: int = 3) -> dict[str, Any]:
    """A GeoJSON feature dict; coordinates rounded to the millimetre (EPSG:2154 metres)."""
    g = None
    if geom is not None:
        m = mapping(geom)
        g = {"type": m["type"], "coordinates": _rounded(m["coordinates"], ndigits)}
    return {"type": "Feature", "properties": props, "geometry": g}


def write_gpkg_layer(
    path: Path, layer: str, features: Sequence[dict[str, Any]], geometry_type: str | None, z_optional: bool = False
) -> None:
    """Add one layer of EPSG:2154 features to a GeoPackage through ogr2ogr.

    Property types follow GeoJSON: quoted codes ('01') stay strings, ISO dates become Date.
    geometry_type is an ogr2ogr -nlt value (MULTIPOLYGON, POINT...); None keeps each feature's
    own dimension, and z_optional then declares the column's Z as optional (GeoPackage z=2), as
    for a delivery mixing surveyed 3D pipes and 2D ones.
    """
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"{layer}.geojson"
        src.write_text(
            json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False), encoding="utf-8"
        )
        cmd = [
            "ogr2ogr",
            "-f",
            "GPKG",
            str(path),
            str(src),
            "-nln",
            layer,
            "-a_srs",
            f"EPSG:{DEMO_SRID}",
            "-lco",
            "SPATIAL_INDEX=YES",
            "-lco",
            "FID=fid",
            "-oo",
            "DATE_AS_STRING=NO",
        ]
        if geometry_type:
            cmd += ["-nlt", geometry_type]
        if path.exists():
            cmd.insert(1, "-update")
        env = dict(os.environ, OGR_CURRENT_DATE=FIXED_DATE)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"ogr2ogr failed writing {path.name}:{layer}: {done.stderr.strip()}")
    if z_optional:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE gpkg_geometry_columns SET z = 2 WHERE table_name = ?", (layer,))
