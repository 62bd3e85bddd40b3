"""Serves published tiles with permissions, validators, caching, gzip and CORS."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

from tiles.layers import is_layer_name, may_load
from tiles.precompress import PRECOMPRESSED, sibling
from tiles.publish import BUILDS, build_file, current_version, is_plain_relative, is_version, version_dir

CONTENT_TYPES = {
    ".json": "application/json",
    ".glb": "model/gltf-binary",
    ".b3dm": "application/octet-stream",
    ".pnts": "application/octet-stream",
    ".terrain": "application/vnd.quantized-mesh",
    ".subtree": "application/octet-stream",
    ".webp": "image/webp",
}
# JSON is compressed per request (~10x); tiles have a gzip copy written at build time (tiles.precompress),
# quantized-mesh is stored gzipped.
GZIP_TYPES = {".json"}


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Accept-Encoding, Cookie"
    return response


def _refuse(status: int, detail: str) -> HttpResponse:
    # A refusal depends on who asks and on what is published now: no cache may keep it.
    response = JsonResponse({"detail": detail}, status=status)
    response["Cache-Control"] = "private, no-store"
    return _cors(response)


def _parse(layer: str, rel: str) -> tuple[str | None, str] | None:
    """(the version the URL names, or None for the published one; the file in the build), or None for no tile.

    Only the shape of the URL is checked here, so that a malformed URL is a 404 whoever asks.
    """
    if not is_layer_name(layer):
        return None
    version = None
    if rel.startswith("@"):
        version, _, rel = rel[1:].partition("/")
        if not is_version(version):
            return None
    if not is_plain_relative(rel):
        return None
    return version, rel


@require_safe
def tile_view(request, layer: str, rel: str):
    parsed = _parse(layer, rel)
    if parsed is None:
        return _refuse(404, "No such tile.")
    if not may_load(layer, request.user):
        return _refuse(403, f"Layer {layer!r} is not available to you.")
    root: Path = settings.JUMEAU_TILES_DIR
    version, rel = parsed
    immutable = version is not None
    if version is None:
        version = current_version(root, layer)
        if version is None:
            return _refuse(404, f"Layer {layer!r} has not been published: run `manage.py build_tiles {layer}`.")
    path = build_file(root, layer, version, rel)
    if path is None:
        return _refuse(404, "No such tile.")
    stat = path.stat()
    etag = '"' + hashlib.blake2s(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode(), digest_size=12).hexdigest() + '"'
    last_modified = http_date(stat.st_mtime)
    # The gzip copy is another representation of the tile: it gets its own validator.
    # Behind nginx, gzip_static picks the copy itself.
    packed = sibling(path) if path.suffix.lower() in PRECOMPRESSED and not settings.JUMEAU_TILES_ACCEL_PREFIX else None
    if packed is not None and not ("gzip" in request.headers.get("Accept-Encoding", "") and packed.is_file()):
        packed = None
    if packed is not None:
        etag = etag[:-1] + '-gz"'
    # Network and draft tiles must never sit in a shared cache.
    scope = "public" if may_load(layer, None) else "private"
    cache = f"{scope}, max-age=31536000, immutable" if immutable else f"{scope}, max-age=60, must-revalidate"

    if request.headers.get("If-None-Match") == etag or (
        "If-None-Match" not in request.headers
        and (since := parse_http_date_safe(request.headers.get("If-Modified-Since", ""))) is not None
        and int(stat.st_mtime) <= since
    ):
        response = HttpResponseNotModified()
    elif settings.JUMEAU_TILES_ACCEL_PREFIX:
        # Behind nginx: the permission check is ours, the bytes are nginx's (X-Accel-Redirect).
        response = HttpResponse(content_type=CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"))
        # Named from the checked layer and version, not from the real path (the tiles folder may sit behind a link).
        inner = path.relative_to(version_dir(root, layer, version).resolve()).as_posix()
        response["X-Accel-Redirect"] = f"{settings.JUMEAU_TILES_ACCEL_PREFIX}{BUILDS}/{layer}/{version}/{inner}"
        if path.suffix.lower() == ".terrain":
            response["Content-Encoding"] = "gzip"
    else:
        suffix = path.suffix.lower()
        content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if suffix in GZIP_TYPES and "gzip" in request.headers.get("Accept-Encoding", ""):
            response = HttpResponse(gzip.compress(path.read_bytes(), compresslevel=5), content_type=content_type)
            response["Content-Encoding"] = "gzip"
        elif packed is not None:
            # The copy the build wrote (tiles.precompress): nothing is compressed per request.
            response = FileResponse(packed.open("rb"), content_type=content_type)
            response["Content-Encoding"] = "gzip"
        elif suffix == ".terrain":
            # quantized-mesh tiles are stored gzipped, as Cesium's terrain servers send them.
            response = HttpResponse(path.read_bytes(), content_type=content_type)
            response["Content-Encoding"] = "gzip"
        else:
            response = FileResponse(path.open("rb"), content_type=content_type)
    response["ETag"] = etag
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = cache
    return _cors(response)
