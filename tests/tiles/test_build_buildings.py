"""The buildings layer decodes back to its source footprints and heights within 5 cm, pickable with its attributes;
parent tiles draw the most significant buildings of their subtree, simplified, at their true heights."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from tests.tiles.tile_reading import contents, decode, resolve
from tiles.build import build_layers
from tiles.publish import current_dir
from tiles.tileset import ecef_to_geodetic, region_contains
from twin.geoid import city_frame

pytestmark = pytest.mark.django_db

TOLERANCE_M = 0.05


def _region_of(ecef: np.ndarray) -> tuple:
    lon, lat, h = ecef_to_geodetic(ecef)
    return (lon.min(), lat.min(), lon.max(), lat.max(), h.min(), h.max())


def _largest_dimension(building) -> float:
    x0, y0, x1, y1 = building.footprint.extent
    return max(building.roof_z - building.ground_z, x1 - x0, y1 - y0)


def test_every_vertex_lies_on_its_footprint_at_its_ground_or_roof_height(buildings, tiles_root):
    [record] = build_layers(["buildings"], progress=lambda m: None)
    assert record.status == "published" and record.features == len(buildings) and record.tiles >= 1
    frame = city_frame()
    by_id = {b.source_id: b for b in buildings}
    seen: list[str] = []
    worst = 0.0
    for content in contents(tiles_root, "buildings"):
        prims, table, document = decode(content)
        assert set(document["extensionsUsed"]) == {"EXT_mesh_features", "EXT_structural_metadata"}
        ids = table["source_id"]
        seen += ids
        all_fids = np.concatenate([p.feature_ids for p in prims])
        assert set(all_fids.tolist()) == set(range(len(ids))), "feature ids must be dense per tile"
        for prim in prims:
            x, y, h = frame.from_ecef(prim.ecef)
            for fid in np.unique(prim.feature_ids):
                b = by_id[ids[fid]]
                sel = prim.feature_ids == fid
                d = shapely.distance(shapely.points(x[sel], y[sel]), shapely.from_wkt(b.footprint.boundary.wkt))
                dz = np.minimum(np.abs(h[sel] - b.ground_z), np.abs(h[sel] - b.roof_z))
                worst = max(worst, float(d.max()), float(dz.max()))
                # Every corner of the footprint is drawn (at the roof at least).
                corners = np.array([c for poly in b.footprint.coords for ring in poly for c in ring])
                near = np.hypot(x[sel][None, :] - corners[:, :1], y[sel][None, :] - corners[:, 1:2]).min(axis=1)
                assert near.max() < TOLERANCE_M
        # The tile's region holds its content.
        lo = np.concatenate([p.ecef for p in prims])
        assert region_contains(content.tile["boundingVolume"]["region"], _region_of(lo))
        for parent in content.parents[:-1]:
            assert region_contains(parent["boundingVolume"]["region"], content.tile["boundingVolume"]["region"])
        assert content.tile["geometricError"] == 0
        assert content.uri.startswith("@")
    assert worst < TOLERANCE_M, f"worst deviation {worst * 100:.2f} cm"
    assert sorted(seen) == sorted(by_id)


def test_attributes_are_read_back_from_the_property_table(buildings, tiles_root):
    build_layers(["buildings"], progress=lambda m: None)
    by_id = {b.source_id: b for b in buildings}
    for content in contents(tiles_root, "buildings"):
        _, table, _ = decode(content)
        for i, sid in enumerate(table["source_id"]):
            b = by_id[sid]
            assert table["height"][i] == pytest.approx(b.roof_z - b.ground_z, abs=0.01)
            assert table["roof_z"][i] == pytest.approx(b.roof_z, abs=0.01)
            assert table["use"][i] == b.use and table["name"][i] == b.name
            assert table["storeys"][i] == (b.storeys or 0) and table["year"][i] == (b.year or 0)


def test_the_tileset_is_3d_tiles_1_1_with_capital_refine_and_versioned_uris(buildings, tiles_root, monkeypatch):
    from tiles.builders import buildings as builder

    monkeypatch.setattr(builder, "MAX_FEATURES", 12)
    build_layers(["buildings"], progress=lambda m: None)
    doc = json.loads((current_dir(tiles_root, "buildings") / "tileset.json").read_text())
    assert doc["asset"]["version"] == "1.1"
    # Parents draw a coarse version of their subtree, which their children replace.
    assert doc["root"]["refine"] == "REPLACE"
    assert doc["root"]["content"]["uri"].startswith("@") and doc["root"]["children"]
    assert doc["geometricError"] > 0

    def walk(tile, parent_error):
        # Strictly below the parent's error, or the parent would never be drawn instead of its children.
        assert tile["geometricError"] < parent_error
        for child in tile.get("children", ()):
            walk(child, tile["geometricError"])

    walk(doc["root"], doc["geometricError"] + 1e-9)


def test_a_large_layer_is_split_into_balanced_tiles_and_external_tilesets(terrain, tiles_root, monkeypatch):
    from tests.tiles.conftest import make_buildings
    from tiles.builders import base
    from tiles.builders import buildings as builder

    make_buildings(3000)
    # Scaled down together: 40 buildings a leaf (not 400), 32 tiles a tileset.json (not 2,048).
    monkeypatch.setattr(builder, "MAX_FEATURES", 40)
    monkeypatch.setattr(base, "DOCUMENT_TILES", 32)
    [record] = build_layers(["buildings"], progress=lambda m: None)
    assert record.tiles >= 3000 / 40
    items = contents(tiles_root, "buildings")
    leaves = [c for c in items if c.tile["geometricError"] == 0]
    parents = [c for c in items if c.tile["geometricError"] > 0]
    counts = [len(decode(c)[1]["source_id"]) for c in leaves]
    assert max(counts) <= 40 and sum(counts) == 3000
    # Every internal tile draws a bounded part of its subtree: the tiles above the leaves stay small.
    assert parents and parents[0].tile is items[0].tile, "the root itself draws the whole city"
    assert max(len(decode(c)[1]["source_id"]) for c in parents) <= builder.PARENT_FEATURES
    assert len(decode(parents[0])[1]["source_id"]) == min(builder.PARENT_FEATURES, 3000)
    folder = current_dir(tiles_root, "buildings")
    documents = list(folder.rglob("tileset.json"))
    assert len(documents) > 1, "external tilesets for a large layer"
    for document in documents:
        tiles = 0
        stack = [json.loads(document.read_text())["root"]]
        while stack:
            tiles += 1
            stack += stack.pop().get("children", [])
        assert tiles <= 32, f"{document} holds {tiles} tiles"
    assert all(resolve(tiles_root, "buildings", c.uri).is_file() for c in items)


def test_lod2_surfaces_replace_the_prism_where_imported(buildings, tiles_root):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    b = buildings[0]
    (x0, y0, x1, y1) = b.footprint.extent
    g, r = b.ground_z, b.roof_z
    ridge = r + 3.0
    xm = (x0 + x1) / 2
    surfaces = [
        Polygon(((x0, y0, g), (x1, y0, g), (x1, y0, r), (x0, y0, r), (x0, y0, g))),
        Polygon(((x0, y0, r), (x1, y0, r), (x1, (y0 + y1) / 2, ridge), (x0, (y0 + y1) / 2, ridge), (x0, y0, r))),
        Polygon(((xm, y1, g), (xm, y1, r), (xm, y0, r), (xm, y0, g), (xm, y1, g))),
    ]
    b.lod2 = MultiPolygon(*surfaces, srid=2154)
    b.save()
    build_layers(["buildings"], progress=lambda m: None)
    frame = city_frame()
    for content in contents(tiles_root, "buildings"):
        prims, table, _ = decode(content)
        if b.source_id not in table["source_id"]:
            continue
        fid = table["source_id"].index(b.source_id)
        assert table["lod"][fid] == 2
        lod2 = [p for p in prims if p.material.get("doubleSided")]
        assert lod2 and all((p.feature_ids == fid).all() for p in lod2)
        _, _, h = frame.from_ecef(lod2[0].ecef)
        assert h.max() == pytest.approx(ridge, abs=TOLERANCE_M)
        return
    pytest.fail("the LOD2 building is in no tile")


def test_a_degenerate_footprint_does_not_cost_the_tile(buildings, tiles_root, monkeypatch):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from tiles import extrude
    from tiles.builders import buildings as builder

    bad = buildings[3]
    x, y = bad.footprint.centroid.coords
    bad.footprint = MultiPolygon(Polygon(((x, y), (x + 5, y), (x + 5, y), (x, y))), srid=2154)
    bad.save()
    real = extrude.extrude_footprints

    def strict(coords, ring_offsets, *args, **kwargs):
        # Stricter than the core: refuse rings with a repeated vertex, as a bad delivery would make it fail.
        xy = np.asarray(coords)
        if (np.abs(np.diff(xy, axis=0)).sum(axis=1) == 0).any():
            raise ValueError("ring with a repeated vertex")
        return real(coords, ring_offsets, *args, **kwargs)

    monkeypatch.setattr(builder, "extrude_footprints", strict)
    [record] = build_layers(["buildings"], progress=lambda m: None)
    assert record.status == "published" and record.features == len(buildings)
    seen = set()
    for content in contents(tiles_root, "buildings"):
        prims, table, _ = decode(content)
        drawn = {table["source_id"][f] for p in prims for f in np.unique(p.feature_ids)}
        seen |= drawn
        if bad.source_id in table["source_id"]:
            assert bad.source_id not in drawn, "no geometry, but its row stays in the property table"
    assert seen == {b.source_id for b in buildings} - {bad.source_id}


def test_parent_tiles_draw_the_largest_buildings_simplified_at_their_true_heights(buildings, tiles_root, monkeypatch):
    from tiles.builders import buildings as builder
    from tiles.lod import significance

    monkeypatch.setattr(builder, "MAX_FEATURES", 12)
    monkeypatch.setattr(builder, "PARENT_FEATURES", 10)
    build_layers(["buildings"], progress=lambda m: None)
    frame = city_frame()
    by_id = {b.source_id: b for b in buildings}
    items = contents(tiles_root, "buildings")
    leaves = [c for c in items if c.tile["geometricError"] == 0]
    parents = [c for c in items if c.tile["geometricError"] > 0]
    assert len(parents) >= 3 and len(leaves) >= 10
    leaf_ids = {c.uri: decode(c)[1]["source_id"] for c in leaves}
    assert sorted(sid for ids in leaf_ids.values() for sid in ids) == sorted(by_id), "each building in one leaf"
    # Every tile sits below its chain of parents; a parent's subtree is the leaves under it.
    below: dict[int, set[str]] = {}
    for c in leaves:
        for ancestor in c.parents[:-1]:
            below.setdefault(id(ancestor), set()).update(leaf_ids[c.uri])
    for content in parents:
        prims, table, _ = decode(content)
        ids = table["source_id"]
        subtree = below[id(content.tile)]
        assert 0 < len(ids) <= 10 and set(ids) <= subtree
        # The kept buildings are the largest of the subtree (height or plan extent, then footprint area ×
        # height): what the parent leaves out, its error, is as small as its budget allows.
        weight = {
            sid: (
                round(_largest_dimension(by_id[sid]), 6),
                float(significance(by_id[sid].footprint.area, max(by_id[sid].roof_z - by_id[sid].ground_z, 1.0))),
            )
            for sid in subtree
        }
        left_out = subtree - set(ids)
        assert min(weight[s] for s in ids) >= max((weight[s] for s in left_out), default=(0.0, 0.0))
        # Its error bounds the largest building it leaves out (height or plan extent), and exceeds its children's.
        largest = max((_largest_dimension(by_id[s]) for s in left_out), default=0.0)
        assert content.tile["geometricError"] >= largest
        for child in content.tile.get("children", ()):
            assert child["geometricError"] < content.tile["geometricError"]
        # Same schema and attributes as the leaves: a far building is picked with the same panel.
        for i, sid in enumerate(ids):
            b = by_id[sid]
            assert table["roof_z"][i] == pytest.approx(b.roof_z, abs=0.01)
            assert table["ground_z"][i] == pytest.approx(b.ground_z, abs=0.01)
            assert table["use"][i] == b.use and table["year"][i] == (b.year or 0)
        # Heights are exact; plan positions move by at most the simplification tolerance (plus 5 cm), which
        # the tile's geometric error includes.
        bound = content.tile["geometricError"]
        drawn = set()
        for prim in prims:
            x, y, h = frame.from_ecef(prim.ecef)
            for fid in np.unique(prim.feature_ids):
                b = by_id[ids[fid]]
                drawn.add(ids[fid])
                sel = prim.feature_ids == fid
                dz = np.minimum(np.abs(h[sel] - b.ground_z), np.abs(h[sel] - b.roof_z))
                assert dz.max() < TOLERANCE_M
                d = shapely.distance(shapely.points(x[sel], y[sel]), shapely.from_wkt(b.footprint.wkt))
                assert d.max() < bound + TOLERANCE_M
        assert drawn == set(ids)
        lo = np.concatenate([p.ecef for p in prims])
        assert region_contains(content.tile["boundingVolume"]["region"], _region_of(lo))
