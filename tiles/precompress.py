"""Gzip copies written beside the tiles at build time, so a phone downloads a third of the bytes.

A building tile's glb is float vertex positions and normals: gzip takes it from 6.8 MB to 2.4 MB for the
demo city's first view (bench/first_view.py). Compressing once at build time, in the worker that writes
the tile, costs the server nothing per request: nginx's `gzip_static` and the embedded server
(tiles.views) send the `.gz` sibling to any client that accepts gzip. The copy is written with a zero
timestamp and no file name so that two builds of the same content stay byte-identical (tests/jobs).
"""

from __future__ import annotations

import gzip
from pathlib import Path

# Only types gzip shrinks: JSON is compressed per request (small, and the tileset pointer moves), quantized
# mesh is stored gzipped already, images are compressed formats.
PRECOMPRESSED = frozenset({".glb", ".pnts", ".b3dm", ".subtree"})
SUFFIX = ".gz"
# A copy that saves less than this share is not worth a second file and a second disk read.
MIN_SAVING = 0.10


def sibling(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def write_tile(path: Path, data: bytes) -> int:
    """Write a tile, and its gzip copy when that is worth it; the tile's size in bytes."""
    path.write_bytes(data)
    if path.suffix.lower() in PRECOMPRESSED:
        packed = gzip.compress(data, compresslevel=6, mtime=0)
        target = sibling(path)
        if len(packed) <= (1.0 - MIN_SAVING) * len(data):
            target.write_bytes(packed)
        else:
            # A rebuild in place must not leave the copy of an older content behind.
            target.unlink(missing_ok=True)
    return len(data)
