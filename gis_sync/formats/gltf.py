"""glTF 2.0 / GLB planning models, drawn in local metres (y up) and placed by the importer."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pygltflib
from django.conf import settings

from gis_sync import validation
from gis_sync.errors import FormatError, GeometryError, MissingFileError, PlacementError, SyncError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.formats.ifc import place
from gis_sync.records import MeshPart, ProjectModelRecord, ReadReport

COMPONENT = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
# glTF is y up, right-handed; the twin is z up: (x, y, z) -> (x, -z, y).
Y_UP_TO_Z_UP = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)


def _node_matrix(node: Any) -> np.ndarray:
    if node.matrix:
        return np.array(node.matrix, dtype=float).reshape(4, 4).T  # glTF stores column-major
    t = np.eye(4)
    if node.translation:
        t[:3, 3] = node.translation
    r = np.eye(4)
    if node.rotation:
        x, y, z, w = node.rotation
        r[:3, :3] = [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    s = np.eye(4)
    if node.scale:
        s[0, 0], s[1, 1], s[2, 2] = node.scale
    return t @ r @ s


@register
class GltfFormat(Format):
    """glTF/GLB: every mesh primitive of the default scene, node transforms applied, then placed."""

    name = "gltf"
    kind = "project"
    extensions = (".gltf", ".glb")
    has_crs = False
    needs_placement = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        if head[:4] == b"glTF":
            return 95
        return super().sniff(path, head)

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        if opts.placement is None:
            raise PlacementError("a glTF model is drawn in local coordinates and needs a placement")
        try:
            gltf = pygltflib.GLTF2().load(str(path))
        except Exception as exc:  # noqa: BLE001 - pygltflib raises whatever its parser hits
            raise FormatError(f"not a readable glTF/GLB ({exc})") from None
        if gltf is None:
            raise FormatError("not a readable glTF/GLB")
        self._gltf, self._path, self._blobs = gltf, path, {}
        try:
            parts = self._parts(gltf, opts, report)
        except SyncError:
            raise
        except (IndexError, KeyError, TypeError, AttributeError, ValueError) as exc:
            # An index past its array, or a member of the wrong type: the document is inconsistent.
            raise FormatError(
                f"the glTF document refers to something it does not hold ({type(exc).__name__}: {exc})",
                advice="export the model again (e.g. with Blender's glTF exporter)",
            ) from None
        if not parts:
            raise FormatError("the model has no triangle mesh")
        return [
            ProjectModelRecord(
                source_id=path.stem,
                file_path=str(path.resolve()),
                format="gltf",
                srid=opts.storage_srid,
                placement=opts.placement,
                parts=parts,
                vertical_datum=opts.vertical_datum,
            )
        ]

    def _parts(self, gltf: Any, opts: ReadOptions, report: ReadReport) -> list[MeshPart]:
        scene = gltf.scenes[gltf.scene or 0] if gltf.scenes else None
        roots = scene.nodes if scene else list(range(len(gltf.nodes)))
        parts: list[MeshPart] = []
        stack = [(i, Y_UP_TO_Z_UP) for i in roots]
        visited: set[int] = set()
        while stack:
            idx, parent = stack.pop()
            if idx in visited:
                raise FormatError(f"node {idx} is reached twice: the node hierarchy has a cycle", feature_id=str(idx))
            visited.add(idx)
            node = gltf.nodes[idx]
            matrix = parent @ _node_matrix(node)
            stack.extend((c, matrix) for c in node.children or [])
            if node.mesh is None:
                continue
            mesh = gltf.meshes[node.mesh]
            for k, prim in enumerate(mesh.primitives):
                report.members += 1
                name = f"{node.name or mesh.name or 'mesh'}#{k}"
                if prim.mode not in (None, 4):
                    report.reject(name, "primitive", f"primitive mode {prim.mode} is not triangles")
                    continue
                pos = self._accessor(prim.attributes.POSITION, name)
                pts = (np.c_[pos, np.ones(len(pos))] @ matrix.T)[:, :3]
                bad = validation.bad_rows(pts)
                if len(bad):
                    raise GeometryError(
                        f"vertex {int(bad[0])} is not finite or out of range after the node transforms",
                        feature_id=name,
                        field="POSITION",
                    )
                idxs = self._accessor(prim.indices, name).ravel() if prim.indices is not None else np.arange(len(pts))
                if len(idxs) % 3:
                    raise FormatError(f"{name}: index count {len(idxs)} is not a multiple of 3", feature_id=name)
                if len(idxs) and (idxs.min() < 0 or idxs.max() >= len(pts)):
                    raise FormatError(
                        f"{name}: an index points past the {len(pts)} vertices", feature_id=name, field="indices"
                    )
                faces = [tuple(int(i) for i in idxs[j : j + 3]) for j in range(0, len(idxs), 3)]
                verts = place([tuple(map(float, p)) for p in pts], opts.placement)
                parts.append(MeshPart(name=name, vertices=verts, faces=faces, element_type="gltf_primitive"))
                report.imported["primitive"] += 1
        return parts

    def _buffer(self, index: int) -> bytes:
        if index in self._blobs:
            return self._blobs[index]
        buf = self._gltf.buffers[index]
        limit = settings.JUMEAU_SYNC_MAX_GLTF_BUFFER_BYTES
        where = f"buffers[{index}]"
        if buf.uri is None:
            data = self._gltf.binary_blob() or b""
        elif buf.uri.startswith("data:"):
            head, _, payload = buf.uri.partition(",")
            if len(payload) * 3 // 4 > limit:
                raise FormatError(
                    f"the inline buffer holds about {len(payload) * 3 // 4 / 1e6:.3g} MB, over the "
                    f"{limit / 1e6:.3g} MB allowed",
                    feature_id=where,
                    field="uri",
                    advice="deliver the model as a .glb, or raise JUMEAU_SYNC_MAX_GLTF_BUFFER_BYTES",
                )
            try:
                data = (
                    base64.b64decode(payload, validate=True)
                    if head.endswith(";base64")
                    else unquote(payload).encode("latin-1")
                )
            except (binascii.Error, ValueError, UnicodeEncodeError):
                raise FormatError("the inline buffer is not valid base64", feature_id=where, field="uri") from None
        else:
            file = self._buffer_file(buf.uri, where)
            if file.stat().st_size > limit:
                raise FormatError(
                    f"{file.name} holds {file.stat().st_size / 1e6:.3g} MB, over the {limit / 1e6:.3g} MB allowed",
                    feature_id=where,
                    field="uri",
                    advice="raise JUMEAU_SYNC_MAX_GLTF_BUFFER_BYTES for a bigger model",
                )
            data = file.read_bytes()
        self._blobs[index] = data
        return data

    def _buffer_file(self, uri: str, where: str) -> Path:
        """The file a buffer's relative URI names, which must lie in the delivery's folder."""
        folder = self._path.parent.resolve()
        relative = unquote(uri)
        parsed = urlparse(uri)
        outside = (
            (parsed.scheme and len(parsed.scheme) > 1)
            or relative.startswith(("/", "\\"))
            or ".." in PurePosixPath(relative.replace("\\", "/")).parts
            or (len(relative) > 1 and relative[1] == ":")
        )
        file = (folder / relative).resolve()
        if outside or folder not in file.parents:
            raise FormatError(
                f"buffer URI {uri!r} points outside the model's folder",
                feature_id=where,
                field="uri",
                advice="a glTF may only use buffers delivered next to it, named by a relative path",
            )
        if not file.is_file():
            raise MissingFileError(f"buffer {uri} is missing", file=str(self._path), feature_id=where, field="uri")
        return file

    def _accessor(self, index: int, name: str) -> np.ndarray:
        acc = self._gltf.accessors[index]
        if acc.bufferView is None or acc.componentType not in COMPONENT or acc.type not in WIDTH:
            raise FormatError(f"accessor {index} has no buffer view or an unknown type", feature_id=name)
        view = self._gltf.bufferViews[acc.bufferView]
        data = self._buffer(view.buffer)
        dtype = np.dtype(COMPONENT[acc.componentType])
        width = WIDTH[acc.type]
        start = (view.byteOffset or 0) + (acc.byteOffset or 0)
        stride = view.byteStride or dtype.itemsize * width
        end = start + (acc.count - 1) * stride + dtype.itemsize * width if acc.count else start
        if start < 0 or stride <= 0 or acc.count < 0 or end > len(data):
            raise FormatError(
                f"accessor {index} reads bytes {start} to {end} of a {len(data)}-byte buffer",
                feature_id=name,
                advice="the model looks truncated: export it again",
            )
        if stride == dtype.itemsize * width:
            arr = np.frombuffer(data, dtype=dtype, count=acc.count * width, offset=start)
        else:
            rows = [np.frombuffer(data, dtype=dtype, count=width, offset=start + i * stride) for i in range(acc.count)]
            arr = np.concatenate(rows)
        return arr.reshape(acc.count, width).astype(float if dtype.kind == "f" else np.int64)
