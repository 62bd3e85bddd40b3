"""A source's location as a local path: files and folders as they are, http(s) URLs downloaded for the run."""
from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from gis_sync.errors import MissingFileError

TIMEOUT_S = 120


@contextmanager
def local_path(location: str | Path) -> Iterator[Path]:
    """The location as a path that exists for the duration of the block; a download is deleted after it."""
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
            raise MissingFileError(f"cannot download {text} ({exc})", file=name,
                                   advice="check the URL and the server's network access") from None
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)
