"""glTF 2.0 / GLB planning models, drawn in local metres (y up) and placed by the importer."""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np

from gis_sync.errors import FormatError, MissingFileError, PlacementError
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
        r[:3, :3] = [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
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
        import pygltflib

        if opts.placement is None:
            raise PlacementError("a glTF model is drawn in local coordinates and needs a placement")
        try:
            gltf = pygltflib.GLTF2().load(str(path))
        except Exception as exc:  # noqa: BLE001 - pygltflib raises whatever its parser hits
            raise FormatError(f"not a readable glTF/GLB ({exc})") from None
        if gltf is None:
            raise FormatError("not a readable glTF/GLB")
        self._gltf, self._path, self._blobs = gltf, path, {}
        scene = gltf.scenes[gltf.scene or 0] if gltf.scenes else None
        roots = scene.nodes if scene else list(range(len(gltf.nodes)))
        parts: list[MeshPart] = []
        stack = [(i, Y_UP_TO_Z_UP) for i in roots]
        while stack:
            idx, parent = stack.pop()
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
                pos = self._accessor(prim.attributes.POSITION)
                pts = (np.c_[pos, np.ones(len(pos))] @ matrix.T)[:, :3]
                idxs = self._accessor(prim.indices).ravel() if prim.indices is not None else np.arange(len(pts))
                if len(idxs) % 3:
                    raise FormatError(f"{name}: index count {len(idxs)} is not a multiple of 3", feature_id=name)
                faces = [tuple(int(i) for i in idxs[j:j + 3]) for j in range(0, len(idxs), 3)]
                verts = place([tuple(map(float, p)) for p in pts], opts.placement)
                parts.append(MeshPart(name=name, vertices=verts, faces=faces, element_type="gltf_primitive"))
                report.imported["primitive"] += 1
        if not parts:
            raise FormatError("the model has no triangle mesh")
        return [ProjectModelRecord(source_id=path.stem, file_path=str(path.resolve()), format="gltf",
                                   srid=opts.storage_srid, placement=opts.placement, parts=parts,
                                   vertical_datum=opts.vertical_datum)]

    def _buffer(self, index: int) -> bytes:
        if index in self._blobs:
            return self._blobs[index]
        buf = self._gltf.buffers[index]
        if buf.uri is None:
            data = self._gltf.binary_blob()
        elif buf.uri.startswith("data:"):
            data = base64.b64decode(buf.uri.split(",", 1)[1])
        else:
            file = self._path.parent / buf.uri
            if not file.exists():
                raise MissingFileError(f"buffer {buf.uri} is missing", file=str(self._path))
            data = file.read_bytes()
        self._blobs[index] = data
        return data

    def _accessor(self, index: int) -> np.ndarray:
        acc = self._gltf.accessors[index]
        view = self._gltf.bufferViews[acc.bufferView]
        data = self._buffer(view.buffer)
        dtype = np.dtype(COMPONENT[acc.componentType])
        width = WIDTH[acc.type]
        start = (view.byteOffset or 0) + (acc.byteOffset or 0)
        stride = view.byteStride or dtype.itemsize * width
        if stride == dtype.itemsize * width:
            arr = np.frombuffer(data, dtype=dtype, count=acc.count * width, offset=start)
        else:
            rows = [np.frombuffer(data, dtype=dtype, count=width, offset=start + i * stride) for i in range(acc.count)]
            arr = np.concatenate(rows)
        return arr.reshape(acc.count, width).astype(float if dtype.kind == "f" else np.int64)
