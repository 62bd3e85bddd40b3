"""Atomic publishing of tile builds: immutable version folders and one pointer swapped by rename."""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from tiles.errors import PublishError
from tiles.precompress import sibling

BUILDS = ".builds"
KEEP_VERSIONS = 3  # a client that loaded an older tileset.json keeps finding its tiles for a while
# What new_version writes, and so the only version names a URL may carry: UTC date, time to the microsecond, pid.
VERSION_RE = re.compile(r"[0-9]{8}T[0-9]{12}Z-[0-9]{1,10}")
# A layer is one folder name (tiles.layers.LAYER_RE says which names are layers); never a path.
_FOLDER_RE = re.compile(r"[A-Za-z0-9_-]+")


def new_version() -> str:
    """A folder name that sorts in build order (UTC, microseconds) and is unique per process."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"


def is_version(name: str) -> bool:
    return VERSION_RE.fullmatch(name) is not None


def is_plain_relative(rel: str) -> bool:
    """Whether `rel` is a relative path of plain names, as a tileset's content URIs are.

    Rejected: backslashes, NUL, an absolute start, and empty, "." or ".." parts. `rel` is taken as it is:
    it was URL-decoded once by the server and must not be decoded again.
    """
    if not rel or "\\" in rel or "\x00" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def version_dir(root: Path, layer: str, version: str) -> Path:
    return root / BUILDS / layer / version


def build_file(root: Path, layer: str, version: str, rel: str) -> Path | None:
    """The real path of the file `rel` in build `version` of `layer`, or None when that is not a file of the build.

    Every argument is checked here, whoever calls: a symlink inside the build that leads out of the build
    folder, or a build folder that is itself a symlink, gives None.
    """
    if not (_FOLDER_RE.fullmatch(layer) and is_version(version) and is_plain_relative(rel)):
        return None
    base = version_dir(root, layer, version)
    try:
        if base.is_symlink():
            return None
        real_base = base.resolve(strict=True)
        path = (real_base / rel).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # missing, a symlink loop, or a name the OS refuses
        return None
    if real_base not in path.parents or not path.is_file():
        return None
    return path


def current_version(root: Path, layer: str) -> str | None:
    """The published version of a layer, or None when it was never published."""
    pointer = root / layer
    if not pointer.is_symlink():
        return None
    return Path(os.readlink(pointer)).name


def current_dir(root: Path, layer: str) -> Path | None:
    version = current_version(root, layer)
    return version_dir(root, layer, version) if version else None


class LayerBuild:
    """A build folder that becomes the published layer on success and vanishes on failure.

    Readers resolve /tiles/<layer>/ through a symlink replaced with os.replace, an atomic
    rename: they see the old build or the new one, never a half-written folder.
    """

    def __init__(self, root: Path, layer: str, version: str | None = None):
        if version is not None and not is_version(version):
            raise ValueError(
                f"Build version {version!r} of layer {layer!r} is not a name new_version() makes; "
                "the tile server would never serve it. Leave the version out to get a new one."
            )
        self.root = Path(root)
        self.layer = layer
        self.version = version or new_version()
        self.final = version_dir(self.root, layer, self.version)
        self.path = self.final.with_name(self.version + ".partial")
        self.previous = current_dir(self.root, layer)

    def __enter__(self) -> LayerBuild:
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()
            return
        self.publish()

    def open(self) -> LayerBuild:
        """Make the build folder (a build split over workers opens it in one job and publishes it in another)."""
        self.path.mkdir(parents=True, exist_ok=False)
        return self

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def publish(self) -> None:
        """Swap the build in: rename the folder to its version, then point the layer at it by rename."""
        try:
            os.replace(self.path, self.final)
            tmp = self.root / f".{self.layer}.{self.version}.link"
            tmp.symlink_to(Path(BUILDS) / self.layer / self.version)
            os.replace(tmp, self.root / self.layer)
        except OSError as exc:
            self.discard()
            raise PublishError(
                f"Could not publish layer {self.layer!r} under {self.root}: {exc}. "
                "The previous build still serves; check the folder's permissions and free space."
            ) from exc
        prune(self.root, self.layer, keep=KEEP_VERSIONS)

    def reuse(self, relative: str) -> bool:
        """Hard-link an unchanged file from the published build into this one; False if absent."""
        if self.previous is None:
            return False
        src = self.previous / relative
        if not src.is_file():
            return False
        dst = self.path / relative
        dst.parent.mkdir(parents=True, exist_ok=True)
        # The tile's gzip copy (tiles.precompress) comes with it, or a client would get the tile uncompressed.
        pairs = [(src, dst)]
        if sibling(src).is_file():
            pairs.append((sibling(src), sibling(dst)))
        for a, b in pairs:
            try:
                os.link(a, b)
            except OSError:
                shutil.copy2(a, b)
        return True


def prune(root: Path, layer: str, keep: int) -> None:
    """Remove all but the newest `keep` builds of a layer, never the published one."""
    folder = root / BUILDS / layer
    if not folder.is_dir():
        return
    published = current_version(root, layer)
    versions = sorted((p for p in folder.iterdir() if p.is_dir() and is_version(p.name)), key=lambda p: p.name)
    for old in versions[:-keep]:
        if old.name != published:
            shutil.rmtree(old, ignore_errors=True)
    for stale in [*folder.glob("*.partial"), *folder.glob("*.work")]:
        # A partial (or work) folder older than an hour is the leftover of a crashed or abandoned build.
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
