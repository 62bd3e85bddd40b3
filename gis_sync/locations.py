"""A source's location as a local path: files and folders as they are, http(s) URLs downloaded for the run,
zip archives (shapefiles are mostly delivered so) unpacked for the run."""

from __future__ import annotations

import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings

from gis_sync.errors import DownloadError, EmptySourceError, FormatError, MissingFileError

CHUNK = 1024 * 1024
# Files that travel with a dataset and are not one: shapefile companions are found next to their .shp.
NOT_DATASETS = {
    ".cpg",
    ".prj",
    ".dbf",
    ".shx",
    ".sbn",
    ".sbx",
    ".qix",
    ".qml",
    ".sld",
    ".lyr",
    ".xml",
    ".txt",
    ".md",
    ".pdf",
    ".html",
    ".htm",
    ".csv",
    ".jpg",
    ".png",
}


@contextmanager
def local_path(location: str | Path) -> Iterator[Path]:
    """The location as a path that exists for the duration of the block; a download or an unpacked archive is
    deleted after it. A .zip gives the one dataset it holds: a file, or the folder of its shapefiles."""
    with _fetched(location) as path:
        if path.is_file() and path.suffix.lower() == ".zip":
            folder = Path(tempfile.mkdtemp(prefix="jumeau-unzip-"))
            try:
                yield _unpacked(path, folder)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        else:
            yield path


def _unpacked(archive: Path, folder: Path) -> Path:
    """Unpack a zip archive into `folder` and return its dataset (one file, or one folder of shapefiles)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            _check_members(members, archive)
            zf.extractall(folder)
    except FormatError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ) as exc:
        # zlib/EOF: a truncated member; NotImplementedError: an unknown compression; RuntimeError: encrypted.
        raise FormatError(
            f"not a readable zip archive ({exc})",
            file=archive.name,
            advice="the file looks truncated or is not a zip archive",
        ) from None
    files = [p for p in folder.rglob("*") if p.is_file() and "__MACOSX" not in p.parts and not p.name.startswith(".")]
    shapefiles = [p for p in files if p.suffix.lower() == ".shp"]
    if shapefiles:
        folders = sorted({p.parent for p in shapefiles})
        if len(folders) > 1:
            raise FormatError(
                f"the archive holds shapefiles in {len(folders)} folders",
                file=archive.name,
                advice="deliver one folder of shapefiles per archive",
            )
        return shapefiles[0] if len(shapefiles) == 1 else folders[0]
    datasets = [p for p in files if p.suffix.lower() not in NOT_DATASETS]
    if not datasets:
        raise EmptySourceError(
            "the archive holds no dataset",
            file=archive.name,
            advice="deliver a GeoPackage, shapefile, GML, CityJSON, IFC... in the archive",
        )
    if len(datasets) > 1:
        names = ", ".join(sorted(p.relative_to(folder).as_posix() for p in datasets)[:5])
        raise FormatError(
            f"the archive holds several datasets ({names})",
            file=archive.name,
            advice="deliver one dataset per archive (a folder of shapefiles counts as one)",
        )
    return datasets[0]


@contextmanager
def _fetched(location: str | Path) -> Iterator[Path]:
    text = str(location)
    if not text.startswith(("http://", "https://")):
        path = Path(text).expanduser()
        if not path.exists():
            raise MissingFileError(
                f"{path} does not exist",
                file=str(path),
                advice="check the path (a source's location is read on the server)",
            )
        yield path
        return
    name = Path(unquote(urlparse(text).path)).name or "download"
    folder = Path(tempfile.mkdtemp(prefix="jumeau-sync-"))
    try:
        target = folder / name
        try:
            _download(text, target)
        except MissingFileError:
            raise
        except (urllib.error.URLError, OSError) as exc:
            raise DownloadError(f"cannot download {text} ({exc})", file=name) from None
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_members(members: list[zipfile.ZipInfo], archive: Path) -> None:
    """Refuse members that would land outside the unpack folder, and archives too big or too many to unpack
    (sizes as declared: zipfile never writes more than a member declares)."""
    limit_bytes = settings.JUMEAU_SYNC_MAX_UNPACKED_BYTES
    limit_count = settings.JUMEAU_SYNC_MAX_ARCHIVE_MEMBERS
    if len(members) > limit_count:
        raise FormatError(
            f"the archive holds {len(members)} members, over the {limit_count} allowed",
            file=archive.name,
            advice="deliver one dataset per archive, or raise JUMEAU_SYNC_MAX_ARCHIVE_MEMBERS",
        )
    for info in members:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or (len(name) > 1 and name[1] == ":"):
            raise FormatError(
                f"the archive member {info.filename!r} points outside the archive",
                file=archive.name,
                advice="deliver an archive of plain relative paths",
            )
    total = sum(i.file_size for i in members)
    if total > limit_bytes:
        raise FormatError(
            f"the archive declares {total / 1e9:.3g} GB unpacked, over the {limit_bytes / 1e9:.3g} GB allowed",
            file=archive.name,
            advice="deliver the dataset unpacked, or split it, or raise JUMEAU_SYNC_MAX_UNPACKED_BYTES",
        )


def _download(url: str, target: Path) -> None:
    """Copy `url` to `target`, refusing more than JUMEAU_SYNC_MAX_DOWNLOAD_BYTES or a download that lasts over
    JUMEAU_SYNC_DOWNLOAD_TIMEOUT_S in all (a slow drip of bytes never trips the per-read timeout)."""
    limit = settings.JUMEAU_SYNC_MAX_DOWNLOAD_BYTES
    deadline = time.monotonic() + settings.JUMEAU_SYNC_DOWNLOAD_TIMEOUT_S
    name = target.name
    with urllib.request.urlopen(url, timeout=settings.JUMEAU_SYNC_READ_TIMEOUT_S) as response, target.open("wb") as out:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise _too_big(url, name, limit, f"announces {int(declared) / 1e9:.3g} GB")
        size = 0
        while chunk := response.read1(CHUNK):  # what has arrived, so the deadline is checked as bytes drip
            size += len(chunk)
            if size > limit:
                raise _too_big(url, name, limit, "sends more")
            if time.monotonic() > deadline:
                raise MissingFileError(
                    f"downloading {url} took over {settings.JUMEAU_SYNC_DOWNLOAD_TIMEOUT_S:g} s ({size / 1e6:.3g} MB "
                    "so far)",
                    file=name,
                    advice="check the server, or raise JUMEAU_SYNC_DOWNLOAD_TIMEOUT_S for a large delivery",
                )
            out.write(chunk)


def _too_big(url: str, name: str, limit: int, what: str) -> MissingFileError:
    return MissingFileError(
        f"{url} {what} than the {limit / 1e9:.3g} GB allowed",
        file=name,
        advice="check the URL, or raise JUMEAU_SYNC_MAX_DOWNLOAD_BYTES for a large delivery",
    )
