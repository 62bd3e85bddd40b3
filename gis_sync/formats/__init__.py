"""Registry of format readers: name → class, and detection of a file's format by extension and content."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from gis_sync.errors import FormatError, MissingFileError
from gis_sync.formats.base import Format, ReadOptions, check_not_empty

FORMATS: dict[str, type[Format]] = {}
MODULES = ("stardt", "raepa", "stareau", "ogr_layers", "cityjson", "terrain", "ifc", "gltf", "pointcloud", "circuits")


def register(cls: type[Format]) -> type[Format]:
    """Class decorator adding a reader to the registry under its `name`."""
    FORMATS[cls.name] = cls
    return cls


def get(name: str) -> type[Format]:
    """The reader class registered under `name`; FormatError listing the known ones otherwise."""
    _load()
    try:
        return FORMATS[name]
    except KeyError:
        raise FormatError(f"unknown format {name!r}", advice=f"use one of: {', '.join(sorted(FORMATS))}") from None


def detect(path: str | os.PathLike[str]) -> type[Format]:
    """The reader class for a file, chosen by extension and by sniffing its first 64 KiB."""
    _load()
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"{p} does not exist", file=str(p), advice="check the path")
    check_not_empty(p)
    head = b""
    if p.is_file():
        with p.open("rb") as fh:
            head = fh.read(65536)
    scored = sorted(((cls.sniff(p, head), name) for name, cls in FORMATS.items()), reverse=True)
    if not scored or scored[0][0] <= 0:
        raise FormatError(
            f"no reader recognises {p.name}",
            file=str(p),
            advice="pass the format explicitly, or convert the file to GeoPackage, CityJSON, GML StaR-DT, "
            "GeoTIFF, IFC, glTF or LAS",
        )
    return FORMATS[scored[0][1]]


def _load() -> None:
    # Importing the modules registers their classes; done lazily so that `import gis_sync.formats` is cheap.
    for module in MODULES:
        importlib.import_module(f"gis_sync.formats.{module}")


__all__ = ["FORMATS", "Format", "ReadOptions", "detect", "get", "register"]
