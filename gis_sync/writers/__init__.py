"""Writers: one module per record kind, each turning reader records into twin rows in bulk."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from gis_sync.writers.base import WriteContext, WriteResult

Writer = Callable[[list[Any], WriteContext], WriteResult]

# record_type -> writer module; segments and nodes go together (they share operators and networks).
BY_RECORD_TYPE = {
    "building": "buildings",
    "segment": "networks",
    "node": "networks",
    "poi": "pois",
    "street": "streets",
    "project_model": "projects",
    "terrain": "terrain",
    "pointcloud": "pointclouds",
    "circuit": "circuits",
    "tree": "trees",
}
# Terrain first: the others may stand on it; circuits last: they name points of interest.
ORDER = ("terrain", "buildings", "trees", "streets", "pois", "networks", "projects", "pointclouds", "circuits")


def plan(records: list[Any], *, as_project: bool = False) -> list[tuple[str, list[Any]]]:
    """(writer name, its records) in write order. `as_project` sends buildings (CityJSON) to the projects writer."""
    groups: dict[str, list[Any]] = {}
    for rec in records:
        name = BY_RECORD_TYPE[rec.record_type]
        if as_project and name == "buildings":
            name = "projects"
        groups.setdefault(name, []).append(rec)
    return [(name, groups[name]) for name in ORDER if name in groups]


def get(name: str) -> Writer:
    return importlib.import_module(f"gis_sync.writers.{name}").write


__all__ = ["WriteContext", "WriteResult", "get", "plan"]
