"""Sanity of a LAS file's header counts before laspy reads it: laspy believes them and loops for hours over
hundreds of millions of VLRs that a corrupt header announces in a 36 kB file."""

from __future__ import annotations

import struct
from pathlib import Path

from gis_sync.errors import FormatError

VLR_HEADER_BYTES = 54
EVLR_HEADER_BYTES = 60


def check_counts(path: Path) -> None:
    """FormatError when the header announces more VLRs or EVLRs than the file's bytes can hold."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(375)
    if len(head) < 227 or head[:4] != b"LASF":
        return  # laspy names what is wrong with such a file
    minor = head[25]
    header_size, offset_to_points, vlrs = struct.unpack_from("<HII", head, 94)
    room = min(offset_to_points, size) - header_size
    if vlrs and vlrs * VLR_HEADER_BYTES > room:
        raise FormatError(
            f"the header announces {vlrs} VLRs, more than the {max(room, 0)} bytes before the points can hold",
            field="number_of_vlrs",
            advice="the file is corrupted: export it again",
        )
    if minor >= 4 and len(head) >= 247:
        first_evlr, evlrs = struct.unpack_from("<QI", head, 235)
        if evlrs and (first_evlr > size or evlrs * EVLR_HEADER_BYTES > size - first_evlr):
            raise FormatError(
                f"the header announces {evlrs} extended VLRs that the file cannot hold",
                field="number_of_evlrs",
                advice="the file is corrupted: export it again",
            )
