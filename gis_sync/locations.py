"""A source's location as a local path: files and folders as they are, http(s) URLs downloaded for the run,
zip archives (shapefiles are mostly delivered so) unpacked for the run."""
from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from gis_sync.errors import DownloadError, EmptySourceError, FormatError, MissingFileError

TIMEOUT_S = 120
# Files that travel with a dataset and are not one: shapefile companions are found next to their .shp.
NOT_DATASETS = {".cpg", ".prj", ".dbf", ".shx", ".sbn", ".sbx", ".qix", ".qml", ".sld", ".lyr", ".xml", ".txt",
                ".md", ".pdf", ".html", ".htm", ".csv", ".jpg", ".png"}
# An archive that unpacks to more than this is refused (a zip bomb would fill the disk).
MAX_UNPACKED_BYTES = 20 * 1024**3


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
            for info in members:
                parts = Path(info.filename).parts
                if info.filename.startswith(("/", "\\")) or ".." in parts:
                    raise FormatError(f"the archive member {info.filename!r} points outside the archive",
                                      file=archive.name, advice="deliver an archive of plain relative paths")
            if sum(i.file_size for i in members) > MAX_UNPACKED_BYTES:
                raise FormatError(f"the archive unpacks to more than {MAX_UNPACKED_BYTES // 1024**3} GB",
                                  file=archive.name, advice="deliver the dataset unpacked, or split it")
            zf.extractall(folder)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise FormatError(f"not a readable zip archive ({exc})", file=archive.name,
                          advice="the file looks truncated or is not a zip archive") from None
    files = [p for p in folder.rglob("*") if p.is_file() and "__MACOSX" not in p.parts
             and not p.name.startswith(".")]
    shapefiles = [p for p in files if p.suffix.lower() == ".shp"]
    if shapefiles:
        folders = sorted({p.parent for p in shapefiles})
        if len(folders) > 1:
            raise FormatError(f"the archive holds shapefiles in {len(folders)} folders", file=archive.name,
                              advice="deliver one folder of shapefiles per archive")
        return shapefiles[0] if len(shapefiles) == 1 else folders[0]
    datasets = [p for p in files if p.suffix.lower() not in NOT_DATASETS]
    if not datasets:
        raise EmptySourceError("the archive holds no dataset", file=archive.name,
                               advice="deliver a GeoPackage, shapefile, GML, CityJSON, IFC... in the archive")
    if len(datasets) > 1:
        names = ", ".join(sorted(p.relative_to(folder).as_posix() for p in datasets)[:5])
        raise FormatError(f"the archive holds several datasets ({names})", file=archive.name,
                          advice="deliver one dataset per archive (a folder of shapefiles counts as one)")
    return datasets[0]


@contextmanager
def _fetched(location: str | Path) -> Iterator[Path]:
    text = str(location)
    if not text.startswith(("http://", "https://")):
        path = Path(text).expanduser()
        if not path.exists():
            raise MissingFileError(f"{path} does not exist", file=str(path),
                                   advice="check the path (a source's location is read on the server)")
        yield path
        return
    name = Path(unquote(urlparse(text).path)).name or "download"
    folder = Path(tempfile.mkdtemp(prefix="jumeau-sync-"))
    try:
        target = folder / name
        try:
            with urllib.request.urlopen(text, timeout=TIMEOUT_S) as response, target.open("wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as exc:
            raise DownloadError(f"cannot download {text} ({exc})", file=name) from None
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)
