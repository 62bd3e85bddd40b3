"""The demo's planning projects: "Tour du Port" in consultation (two glTF 2.0 variants), "Îlot Fersen" a draft."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pygltflib

from .extent import to_l93
from .terrain import Terrain

# On the Avenue de Verdun quays, west of the harbour: from the old town's ramparts it stands
# between the balconies and the Baie des Anges.
SITE_LONLAT = (7.1243, 43.5862)
ROTATION_DEG = 25.0
# The draft: a block behind the old town's market, not yet shown to citizens. One small variant, so that the demo
# loads as fast as before while a planner sees a draft and a citizen provably does not (tests/security/).
DRAFT_SITE_LONLAT = (7.1225, 43.5815)
DRAFT_NAME = "Îlot Fersen"


def _box(x0: float, x1: float, y0: float, y1: float, z0: float, z1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A box in glTF axes (Y up, -Z north), flat-shaded: 24 vertices, 36 indices."""
    faces = [
        ((0, 1, 0), [(x0, y1, z0), (x0, y1, z1), (x1, y1, z1), (x1, y1, z0)]),
        ((0, -1, 0), [(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)]),
        ((1, 0, 0), [(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)]),
        ((-1, 0, 0), [(x0, y0, z0), (x0, y0, z1), (x0, y1, z1), (x0, y1, z0)]),
        ((0, 0, 1), [(x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]),
        ((0, 0, -1), [(x0, y0, z0), (x0, y1, z0), (x1, y1, z0), (x1, y0, z0)]),
    ]
    pos, nor, idx = [], [], []
    for n, quad in faces:
        base = len(pos)
        pos += quad
        nor += [n] * 4
        idx += [base, base + 1, base + 2, base, base + 2, base + 3]
    return np.array(pos, np.float32), np.array(nor, np.float32), np.array(idx, np.uint32)


def _glb(volumes: list[tuple[str, tuple[float, ...], tuple[float, float, float, float]]], path: Path) -> None:
    """Write boxes (name, (x0, x1, y0, y1, z0, z1) in metres, RGBA) as one binary glTF."""
    gltf = pygltflib.GLTF2(asset=pygltflib.Asset(version="2.0", generator="Jumeau demo_city"))
    gltf.scenes = [pygltflib.Scene(nodes=[])]
    gltf.scene = 0
    blob = b""
    for name, extent, rgba in volumes:
        pos, nor, idx = _box(*extent)
        mat = len(gltf.materials)
        gltf.materials.append(
            pygltflib.Material(
                name=f"{name}-material",
                pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
                    baseColorFactor=list(rgba), metallicFactor=0.1, roughnessFactor=0.8
                ),
            )
        )
        acc0 = len(gltf.accessors)
        for arr, target, kind, extra in (
            (pos, pygltflib.ARRAY_BUFFER, "VEC3", True),
            (nor, pygltflib.ARRAY_BUFFER, "VEC3", False),
            (idx, pygltflib.ELEMENT_ARRAY_BUFFER, "SCALAR", False),
        ):
            data = arr.tobytes()
            gltf.bufferViews.append(
                pygltflib.BufferView(buffer=0, byteOffset=len(blob), byteLength=len(data), target=target)
            )
            gltf.accessors.append(
                pygltflib.Accessor(
                    bufferView=len(gltf.bufferViews) - 1,
                    componentType=pygltflib.UNSIGNED_INT if kind == "SCALAR" else pygltflib.FLOAT,
                    count=len(arr),
                    type=kind,
                    max=arr.max(axis=0).tolist() if extra else None,
                    min=arr.min(axis=0).tolist() if extra else None,
                )
            )
            blob += data + b"\x00" * (-len(data) % 4)
        gltf.meshes.append(
            pygltflib.Mesh(
                name=name,
                primitives=[
                    pygltflib.Primitive(
                        attributes=pygltflib.Attributes(POSITION=acc0, NORMAL=acc0 + 1), indices=acc0 + 2, material=mat
                    )
                ],
            )
        )
        gltf.nodes.append(pygltflib.Node(name=name, mesh=len(gltf.meshes) - 1))
        gltf.scenes[0].nodes.append(len(gltf.nodes) - 1)
    gltf.buffers = [pygltflib.Buffer(byteLength=len(blob))]
    gltf.set_binary_blob(blob)
    gltf.save_binary(str(path))


def write_project(terrain: Terrain, out_dir: Path) -> dict[str, Path]:
    """project/: variant_a.glb (12-storey tower on a podium), variant_b.glb (6-storey block), project.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    glass, stone, podium = (0.55, 0.68, 0.78, 1.0), (0.86, 0.80, 0.70, 1.0), (0.75, 0.72, 0.68, 1.0)
    # glTF is Y-up; the model's origin is the centre of its ground floor, +X east, -Z north.
    storey = 3.2
    variant_a = [
        ("podium", (-22.0, 22.0, 0.0, 2 * 4.5, -14.0, 14.0), podium),
        ("tower", (-10.0, 10.0, 9.0, 9.0 + 12 * storey, -10.0, 10.0), glass),
        ("crown", (-6.0, 6.0, 9.0 + 12 * storey, 9.0 + 12 * storey + 3.0, -6.0, 6.0), stone),
    ]
    variant_b = [
        ("block", (-34.0, 34.0, 0.0, 6 * storey, -16.0, 16.0), stone),
        ("attic", (-28.0, 28.0, 6 * storey, 6 * storey + 2.5, -12.0, 12.0), glass),
    ]
    files = {"variant_a": out_dir / "variant_a.glb", "variant_b": out_dir / "variant_b.glb"}
    _glb(variant_a, files["variant_a"])
    _glb(variant_b, files["variant_b"])
    x, y = to_l93(*SITE_LONLAT)
    ground = round(max(terrain.height_at(x, y), 0.5), 2)
    meta = {
        "name": "Tour du Port",
        "description": (
            "Projet de reconversion du quai ouest du port Vauban : commerces en socle et logements. "
            "Deux variantes soumises à la concertation : une tour de 12 étages sur socle, ou un "
            "immeuble de 6 étages plus large."
        ),
        "status": "consultation",
        "crs": "EPSG:2154",
        "vertical_crs": "EPSG:5720 (NGF-IGN69)",
        "model_axes": "glTF 2.0: metres, +Y up, +X east, -Z north before rotation",
        "variants": [
            {
                "id": "variant_a",
                "name": "Variante A – tour de 12 étages",
                "file": "variant_a.glb",
                "storeys": 12,
                "height_m": round(9.0 + 12 * storey + 3.0, 1),
                "placement": {"origin": [round(x, 2), round(y, 2)], "rotation_deg": ROTATION_DEG, "elevation": ground},
            },
            {
                "id": "variant_b",
                "name": "Variante B – immeuble de 6 étages",
                "file": "variant_b.glb",
                "storeys": 6,
                "height_m": round(6 * storey + 2.5, 1),
                "placement": {"origin": [round(x, 2), round(y, 2)], "rotation_deg": ROTATION_DEG, "elevation": ground},
            },
        ],
        "rotation_convention": "degrees, counter-clockwise about the vertical axis, from east (EPSG:2154 x axis)",
        "consultation": {"start": "2025-03-01", "end": "2025-04-30"},
    }
    files["project"] = out_dir / "project.json"
    files["project"].write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return files


def write_draft_project(terrain: Terrain, out_dir: Path) -> dict[str, Path]:
    """draft/: variant.glb (a 5-storey block round a courtyard) and project.json with status "draft"."""
    out_dir.mkdir(parents=True, exist_ok=True)
    render, roof = (0.93, 0.78, 0.62, 1.0), (0.70, 0.36, 0.28, 1.0)
    storey = 3.0
    volumes = [
        ("north-wing", (-18.0, 18.0, 0.0, 5 * storey, -12.0, -6.0), render),
        ("south-wing", (-18.0, 18.0, 0.0, 5 * storey, 6.0, 12.0), render),
        ("west-wing", (-18.0, -12.0, 0.0, 5 * storey, -6.0, 6.0), render),
        ("roof", (-18.0, 18.0, 5 * storey, 5 * storey + 1.0, -12.0, -6.0), roof),
    ]
    files = {"variant": out_dir / "variant.glb"}
    _glb(volumes, files["variant"])
    x, y = to_l93(*DRAFT_SITE_LONLAT)
    ground = round(max(terrain.height_at(x, y), 0.5), 2)
    meta = {
        "name": DRAFT_NAME,
        "description": "Étude interne : logements autour d'une cour derrière le marché provençal. Brouillon.",
        "status": "draft",
        "crs": "EPSG:2154",
        "vertical_crs": "EPSG:5720 (NGF-IGN69)",
        "model_axes": "glTF 2.0: metres, +Y up, +X east, -Z north before rotation",
        "variants": [
            {
                "id": "variant",
                "name": "Esquisse – îlot de 5 étages",
                "file": "variant.glb",
                "storeys": 5,
                "height_m": 5 * storey + 1.0,
                "placement": {"origin": [round(x, 2), round(y, 2)], "rotation_deg": 10.0, "elevation": ground},
            }
        ],
        "rotation_convention": "degrees, counter-clockwise about the vertical axis, from east (EPSG:2154 x axis)",
    }
    files["project"] = out_dir / "project.json"
    files["project"].write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return files
