"""Where a feature sits in its file: the line of its gml:id attribute or of its CityObject key."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

# A file larger than this is not read again only to number lines: its messages keep the identifiers alone.
MAX_BYTES = 512 * 1024 * 1024
_XML_ID = re.compile(rb'gml:id\s*=\s*"([^"]+)"')
_JSON_KEY = re.compile(rb'"((?:[^"\\]|\\.)+)"\s*:\s*\{')


def locate(path: Path, ids: Iterable[str | None]) -> dict[str, int]:
    """1-based line of each of `ids` in the file at `path`, for the ids it finds (first occurrence wins).

    XML files are searched for gml:id="…", JSON files (CityJSON) for "…": { keys; other files give nothing."""
    wanted = {i for i in ids if i}
    if not wanted or not path.is_file() or path.stat().st_size > MAX_BYTES:
        return {}
    suffix = path.suffix.lower()
    if suffix in (".gml", ".xml"):
        pattern = _XML_ID
    elif suffix in (".json", ".jsonl"):
        pattern = _JSON_KEY
    else:
        return {}
    found: dict[str, int] = {}
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            for m in pattern.finditer(line):
                key = m.group(1).decode("utf-8", "replace")
                if key in wanted and key not in found:
                    found[key] = number
                    if len(found) == len(wanted):
                        return found
    return found
