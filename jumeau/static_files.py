"""Static files: third-party packages at versioned URLs, compressed once (brotli and gzip) beside each file.

How long a browser may keep a file is decided here, for WhiteNoise (the embedded server) and by the same rule in
docker/nginx.conf.template:

- Cesium, three, 3d-tiles-renderer and i18next are served under ``vendor/<package>-<version>/``, the version read
  from the installed package.json: a file there never changes, so it is cached for a year (``immutable``).
  Cesium fetches its workers and assets itself from CESIUM_BASE_URL by their plain names, which a per-file
  content hash (ManifestStaticFilesStorage) could not rename; the version in the folder covers them all.
- The app's own files (``jumeau/…``) are ES modules that import each other by relative path and import three by
  a bare specifier through the import map. Hashing them would mean rewriting every import: Django's
  support_js_module_import_aggregation takes a bare specifier such as ``"three"`` for a missing file and fails
  collectstatic, and would leave two copies of a module in one page wherever a plain and a hashed URL meet.
  So they are ``no-cache``: the browser keeps them and revalidates each with its ETag, a 304 of a few hundred
  bytes, and a deployment is seen on the next load.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage

VENDOR_PREFIX = "vendor/"


def vendor_folders(node_modules: Path) -> dict[str, tuple[str, Path]]:
    """Each served package: name -> (static prefix with its version, folder on disk)."""
    folders = {
        "cesium": node_modules / "cesium" / "Build" / "Cesium",
        # The WebXR viewer's ES modules (import map in xr.html).
        "three": node_modules / "three",
        "3d-tiles-renderer": node_modules / "3d-tiles-renderer",
        # The interface language (core/i18n.js imports it through the import map in index.html).
        "i18next": node_modules / "i18next" / "dist" / "esm",
    }
    out = {}
    for name, folder in folders.items():
        manifest = node_modules / name / "package.json"
        # Before `npm ci` has run (a fresh checkout's first `manage.py check`) the folder is missing anyway.
        version = json.loads(manifest.read_text())["version"] if manifest.is_file() else "missing"
        out[name] = (f"{VENDOR_PREFIX}{name}-{version}", folder)
    return out


def is_immutable(path: str, url: str) -> bool:
    """WHITENOISE_IMMUTABLE_FILE_TEST: a file under a versioned vendor folder never changes."""
    return url.startswith(settings.STATIC_URL + VENDOR_PREFIX)


def revalidate_the_rest(headers, path: str, url: str) -> None:
    """WHITENOISE_ADD_HEADERS_FUNCTION: the app's own files are kept but revalidated (ETag) before each use."""
    if not is_immutable(path, url):
        headers["Cache-Control"] = "no-cache"


class _IncrementalCompressor(Compressor):
    """Compresses a file only when no compressed copy of this very version exists beside it.

    WhiteNoise gives each .br/.gz the mtime of its source, and collectstatic gives a file it copies a new one;
    so `manage.py serve_demo`, which collects at each start, compresses Cesium once and then only what changed.
    """

    def compress(self, path: str) -> list[str]:
        mtime = os.stat(path).st_mtime
        done = [
            path + suffix
            for suffix in (".br", ".gz")
            if os.path.isfile(path + suffix) and os.stat(path + suffix).st_mtime == mtime
        ]
        if done:
            return done
        return super().compress(path)


class CompressedStatic(CompressedStaticFilesStorage):
    """STATICFILES storage: WhiteNoise's brotli + gzip copies, made once per file version."""

    def create_compressor(self, **kwargs) -> Compressor:
        return _IncrementalCompressor(**kwargs)
