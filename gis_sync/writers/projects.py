"""Project model records → twin PlanningProject + ProjectVariant: a placed mesh (npz), footprint, heights."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path
from typing import Any

import mapbox_earcut
import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.utils.text import slugify

from gis_sync.errors import GeometryError
from gis_sync.records import BuildingRecord, MeshPart, ProjectModelRecord
from gis_sync.writers.base import WriteContext, WriteResult, outside
from twin import derived
from twin.models import PlanningProject, ProjectVariant

# Footprints are for maps and the DSM, not for survey: 5 cm simplification keeps them small.
FOOTPRINT_TOLERANCE_M = 0.05
STATUSES = ("draft", "consultation", "approved", "built")


def mesh_arrays(parts: list[MeshPart]) -> dict[str, np.ndarray]:
    """One vertex and one face array for all parts (storage CRS, orthometric z), and each face's part."""
    verts, faces, owner, offset = [], [], [], 0
    for i, part in enumerate(parts):
        v = np.asarray(part.vertices, dtype=np.float64).reshape(-1, 3)
        f = np.asarray(part.faces, dtype=np.int64).reshape(-1, 3)
        verts.append(v)
        faces.append(f + offset)
        owner.append(np.full(len(f), i, dtype=np.int32))
        offset += len(v)
    return {
        "vertices": np.concatenate(verts),
        "faces": np.concatenate(faces).astype(np.uint32),
        "face_part": np.concatenate(owner),
        "part_names": np.array([p.name for p in parts]),
        "part_types": np.array([p.element_type or "" for p in parts]),
    }


def footprint_of(vertices: np.ndarray, faces: np.ndarray) -> shapely.Geometry:
    """Union of the triangles seen from above; walls (no plan area) drop out."""
    tri = vertices[faces][:, :, :2]
    area = 0.5 * np.abs(
        (tri[:, 1, 0] - tri[:, 0, 0]) * (tri[:, 2, 1] - tri[:, 0, 1])
        - (tri[:, 2, 0] - tri[:, 0, 0]) * (tri[:, 1, 1] - tri[:, 0, 1])
    )
    tri = tri[area > 1e-6]
    if not len(tri):
        raise GeometryError(
            "the model has no horizontal extent (all its faces are vertical or degenerate)", field="geometry"
        )
    rings = np.concatenate([tri, tri[:, :1]], axis=1)
    union = shapely.union_all(shapely.polygons(rings)).buffer(0)
    union = shapely.simplify(union, FOOTPRINT_TOLERANCE_M)
    polys = [g for g in getattr(union, "geoms", [union]) if g.geom_type == "Polygon" and not g.is_empty]
    return shapely.MultiPolygon(polys)


def parts_from_buildings(records: list[BuildingRecord]) -> list[MeshPart]:
    """Triangles of CityJSON buildings (LOD2 surfaces), for a project delivered as CityJSON."""
    parts = []
    for rec in records:
        verts: list[tuple[float, float, float]] = []
        faces: list[tuple[int, int, int]] = []
        for surface in rec.lod2_surfaces or []:
            rings = [np.asarray(r, dtype=float) for r in surface["rings"] if len(r) >= 3]
            if not rings:
                continue
            pts = np.concatenate(rings)
            # Triangulate in the plane the surface is most parallel to.
            normal = np.cross(rings[0][1] - rings[0][0], rings[0][2] - rings[0][0])
            drop = int(np.argmax(np.abs(normal))) if np.any(normal) else 2
            plane = np.delete(pts, drop, axis=1)
            ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
            idx = mapbox_earcut.triangulate_float64(plane, ends).reshape(-1, 3)
            base = len(verts)
            verts.extend(map(tuple, pts))
            faces.extend((base + int(a), base + int(b), base + int(c)) for a, b, c in idx)
        if faces:
            parts.append(MeshPart(name=rec.source_id, vertices=verts, faces=faces, element_type="Building"))
    if not parts:
        raise GeometryError(
            "the CityJSON model has no LOD2 surface to show",
            field="geometry",
            advice="deliver the project with LOD2 (or LOD1 solid) surfaces",
        )
    return parts


def write(records: list[Any], ctx: WriteContext) -> WriteResult:
    if records and isinstance(records[0], BuildingRecord):
        model = ProjectModelRecord(
            source_id=ctx.file.stem,
            file_path=str(ctx.file),
            format="cityjson",
            srid=ctx.srid,
            placement=None,
            parts=parts_from_buildings(records),
        )
        records = [model]
    result = WriteResult()
    for rec in records:
        result.add(_variant(rec, ctx))
    return result


def _variant(rec: ProjectModelRecord, ctx: WriteContext) -> WriteResult:
    opts = ctx.options
    result = WriteResult()
    project_name = str(opts.get("project") or Path(rec.file_path).stem)[:200]
    variant_name = str(opts.get("variant") or Path(rec.file_path).stem)[:200]
    status = opts.get("project_status") or "draft"
    if status not in STATUSES:
        ctx.warn(f"project status {status!r} unknown: 'draft' used", field="project_status")
        status = "draft"
    project, _ = PlanningProject.objects.get_or_create(
        slug=slugify(project_name)[:50],
        defaults={"name": project_name, "status": status, "description": opts.get("project_description") or ""},
    )
    if opts.get("project_description") and not project.description:
        project.description = opts["project_description"]
        project.save(update_fields=["description", "updated_at"])

    arrays = mesh_arrays(rec.parts)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    digest = hashlib.sha256(buf.getvalue()).hexdigest()
    vslug = slugify(variant_name)[:50]
    folder = settings.JUMEAU_DATA_DIR / "projects" / project.slug
    folder.mkdir(parents=True, exist_ok=True)
    # Content-addressed names: a run rolled back later leaves the files the old rows point at untouched.
    mesh_path = folder / f"{vslug}-{digest[:12]}.npz"
    model_path = folder / f"{vslug}-{digest[:12]}{Path(rec.file_path).suffix.lower()}"
    variant = ProjectVariant.objects.filter(project=project, slug=vslug).first()
    placement = rec.placement
    if variant is not None and variant.mesh_file == str(mesh_path) and mesh_path.is_file():
        result.unchanged += 1
        return result
    if not mesh_path.exists():
        mesh_path.write_bytes(buf.getvalue())
    if not model_path.exists():
        shutil.copyfile(rec.file_path, model_path)
    footprint = footprint_of(arrays["vertices"], arrays["faces"])
    zs = arrays["vertices"][:, 2]
    values = {
        "name": variant_name,
        "model_file": str(model_path),
        "model_format": rec.format,
        "origin": Point(placement.x, placement.y, srid=ctx.srid) if placement else None,
        "rotation_deg": placement.rotation_deg if placement else 0.0,
        "elevation_m": placement.elevation if placement else 0.0,
        "mesh_file": str(mesh_path),
        "footprint": MultiPolygon(*GEOSGeometry(footprint.wkt, srid=ctx.srid), srid=ctx.srid),
        "min_z": float(zs.min()),
        "max_z": float(zs.max()),
        "triangle_count": int(len(arrays["faces"])),
    }
    old_box = tuple(variant.footprint.extent) if variant is not None and variant.footprint else None
    if variant is None:
        variant = ProjectVariant.objects.create(project=project, slug=vslug, **values)
        result.created += 1
    else:
        for key, value in values.items():
            setattr(variant, key, value)
        variant.save()
        result.updated += 1
    box = footprint.bounds
    result.outside += outside(box, settings.JUMEAU_EXTENT)
    result.mark(variant.tile_layer, f"{project.slug}/{vslug}", old_box, box)
    result.derived.add(derived.impact(variant.pk))
    ctx.say(
        f"  {project.name} — {variant_name}: {values['triangle_count']} triangles, "
        f"z {values['min_z']:.1f}..{values['max_z']:.1f} m"
    )
    return result
