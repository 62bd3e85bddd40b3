"""One tileset per planning project variant, from its placed mesh (npz, storage CRS, orthometric z)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tiles.builders.base import LayerStats, Progress, prefix_root_uris, write_json
from tiles.errors import NothingToBuild
from tiles.georef import TileGeoref
from tiles.glb import Material, Primitive, write_glb
from tiles.precompress import write_tile
from tiles.publish import LayerBuild
from tiles.tileset import TileNode, build_tilesets, region_from_ecef
from twin.geoid import HeightFrame

# A proposal is drawn in one light, slightly blue tone so it reads as "not built yet".
PROPOSAL = Material(base_color=(0.82, 0.88, 0.97, 1.0), roughness=0.8, double_sided=True, name="proposal")
CONTENT = "t/model.glb"


def load_mesh(path: Path) -> dict[str, np.ndarray]:
    """vertices (n, 3) storage CRS + orthometric z, faces (m, 3), face_part (m,), part_names, part_types."""
    if not path.is_file():
        raise NothingToBuild(f"The variant's mesh file {path} is missing: sync the project source again.")
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def variant_glb(
    mesh: dict[str, np.ndarray], frame: HeightFrame, properties: dict[str, str]
) -> tuple[bytes, tuple, tuple, int, list[str]]:
    """glb of a variant's mesh (one feature per part), its region, centre (ECEF m), feature count, and the names
    of the parts left out because none of their triangles has an area."""
    vertices = np.asarray(mesh["vertices"], np.float64)
    faces = np.asarray(mesh["faces"], np.int64).reshape(-1, 3)
    face_part = np.asarray(mesh.get("face_part", np.zeros(len(faces), np.int64)), np.int64)
    names = [str(n) for n in mesh.get("part_names", np.array(["model"]))]
    types = [str(t) for t in mesh.get("part_types", np.array([""] * len(names)))]
    # Parts with no faces would leave gaps in the feature ids: number the parts present, densely.
    present, dense = np.unique(face_part, return_inverse=True)
    georef = TileGeoref.fit(
        frame, (vertices[:, 0].min(), vertices[:, 1].min(), vertices[:, 0].max(), vertices[:, 1].max())
    )
    ecef = georef.to_ecef(vertices[:, 0], vertices[:, 1], vertices[:, 2])
    centre = (ecef.min(axis=0) + ecef.max(axis=0)) / 2.0
    # Flat shading: every triangle its own three vertices and its face normal.
    tri = (ecef - centre)[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normal, axis=1)
    keep = length > 1e-12
    tri, normal, fid = tri[keep], normal[keep] / length[keep, None], dense[keep]
    if not len(tri):
        raise NothingToBuild("The variant's mesh has no triangle with an area.")
    positions = tri.reshape(-1, 3)
    prim = Primitive(
        positions,
        np.arange(len(positions), dtype=np.uint32),
        np.repeat(fid, 3),
        np.repeat(normal, 3, axis=0),
        material=PROPOSAL,
    )
    n = len(present)
    columns = {
        "name": [names[i] for i in present],
        "element_type": [types[i] if i < len(types) else "" for i in present],
    }
    columns.update({k: [v] * n for k, v in properties.items()})
    ids = [f"{properties.get('project', '')}/{properties.get('variant', '')}/{names[i]}" for i in present]
    glb = write_glb([prim], ids, columns, class_name="proposal")
    flat = [names[present[i]] for i in sorted(set(range(n)) - set(np.unique(fid).tolist()))]
    return glb, region_from_ecef(ecef), tuple(float(c) for c in centre), n, flat


def build(build: LayerBuild, frame: HeightFrame, progress: Progress, variant) -> LayerStats:
    """Write one variant's tileset into build.path."""
    if not variant.mesh_file:
        raise NothingToBuild(f"Variant {variant} has no mesh yet: sync its model file first.")
    mesh = load_mesh(Path(variant.mesh_file))
    props = {
        "project": variant.project.name,
        "project_slug": variant.project.slug,
        "variant": variant.name,
        "variant_slug": variant.slug,
        "status": variant.project.status,
    }
    glb, region, centre, count, flat = variant_glb(mesh, frame, props)
    (build.path / CONTENT).parent.mkdir(parents=True, exist_ok=True)
    write_tile(build.path / CONTENT, glb)
    root = TileNode(key="r", region=region, content_uri=CONTENT, centre=centre, geometric_error=0.0)
    stats = LayerStats(features=count, tiles=1, tiles_rewritten=1, bytes=len(glb))
    if flat:
        shown = ", ".join(flat[:5]) + (f" and {len(flat) - 5} more" if len(flat) > 5 else "")
        stats.skipped[f"a model part with no triangle that has an area ({shown}): check it in the model"] += len(flat)
    for path, document in build_tilesets(root, refine="REPLACE", tileset_version=build.version).items():
        if path == "tileset.json":
            prefix_root_uris(document, build.version)
        stats.bytes += write_json(build.path / path, document)
    progress(f"  {variant.tile_layer}: {count} parts, {len(mesh['faces'])} triangles")
    return stats
