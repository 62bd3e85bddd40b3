"""The version each layer publishes now, read from the pointers under the tiles folder, and what changed."""

from __future__ import annotations

import os
from pathlib import Path

from tiles.layers import is_layer_name
from tiles.publish import is_version


def published_versions(root: Path) -> dict[str, str]:
    """{layer: version} for every layer whose pointer under `root` names a build; {} when `root` is missing.

    Only the pointers are read (one readlink each), never the builds: this runs every second in every server.
    """
    out: dict[str, str] = {}
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return out
    for entry in entries:
        if not (entry.is_symlink() and is_layer_name(entry.name)):
            continue
        try:
            version = Path(os.readlink(entry.path)).name
        except OSError:  # swapped away between scandir and readlink: the next look sees the new pointer
            continue
        if is_version(version):
            out[entry.name] = version
    return out


def newly_published(before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    """The layers of `after` whose version `before` did not have: first publications and rebuilds alike."""
    return {layer: version for layer, version in after.items() if before.get(layer) != version}
