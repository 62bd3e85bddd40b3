"""Child process entry: py3dtiles convert of an ECEF LAS (python -m tiles.builders.pointcloud_convert SRC OUT).

Kept out of the Django process: py3dtiles starts worker processes, and forking a process that holds
SpatiaLite, PROJ and a database connection is asking for trouble; "spawn" workers start clean.
"""

from __future__ import annotations

import multiprocessing
import sys

from py3dtiles.convert import convert
from pyproj import CRS


def main(source: str, target: str) -> None:
    multiprocessing.set_start_method("spawn", force=True)
    ecef = CRS.from_epsg(4978)
    # pnts content: py3dtiles' 1.1 glb with RGB fails glTF validation (COLOR_0 not normalized).
    convert(
        source,
        outfolder=target,
        overwrite=True,
        jobs=2,
        crs_in=ecef,
        force_crs_in=True,
        crs_out=ecef,
        rgb=True,
        verbose=0,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
