"""Tiles leave the server gzipped, from a copy the build wrote: a phone downloads a third of the bytes, and a
client that does not accept gzip still gets the tile as it is."""

from __future__ import annotations

import gzip
import os

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from tiles.build import build_layers
from tiles.precompress import write_tile
from tiles.publish import current_dir, current_version
from twin.models import Change

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_building_tile_has_a_gzip_copy_with_the_same_bytes(buildings, tiles_root, small_tiles):
    build_layers(["buildings"], progress=lambda m: None)
    folder = current_dir(tiles_root, "buildings")
    tiles = sorted((folder / "t").glob("*.glb"))
    assert len(tiles) >= 8
    packed = 0
    for tile in tiles:
        copy = tile.with_name(tile.name + ".gz")
        assert copy.is_file(), f"{tile.name} has no gzip copy"
        assert gzip.decompress(copy.read_bytes()) == tile.read_bytes()
        packed += copy.stat().st_size
    assert packed < 0.7 * sum(t.stat().st_size for t in tiles)


def test_a_client_that_accepts_gzip_gets_the_copy_and_one_that_does_not_gets_the_tile(
    buildings,
    tiles_root,
    small_tiles,
    citizen,
):
    build_layers(["buildings"], progress=lambda m: None)
    version = current_version(tiles_root, "buildings")
    tile = sorted((current_dir(tiles_root, "buildings") / "t").glob("*.glb"))[0]
    url = f"/tiles/buildings/@{version}/t/{tile.name}"
    zipped = citizen.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert zipped["Content-Type"] == "model/gltf-binary"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(_body(zipped)) == tile.read_bytes()
    plain = citizen.get(url)
    assert "Content-Encoding" not in plain
    assert _body(plain) == tile.read_bytes()
    # Two representations, two validators: a cache never answers one with the other.
    assert plain["ETag"] != zipped["ETag"]
    assert citizen.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"]).status_code == 304


def test_a_rebuild_keeps_the_copies_of_the_tiles_it_reuses(buildings, tiles_root, small_tiles):
    build_layers(["buildings"], progress=lambda m: None)
    changed = buildings[5]
    changed.roof_z += 7.0
    changed.save()
    Change.objects.create(
        layer="buildings",
        area=MultiPolygon(Polygon.from_bbox(changed.footprint.extent), srid=2154),
        source_ids=[changed.source_id],
    )
    build_layers(["buildings"], progress=lambda m: None)
    for tile in (current_dir(tiles_root, "buildings") / "t").glob("*.glb"):
        copy = tile.with_name(tile.name + ".gz")
        assert gzip.decompress(copy.read_bytes()) == tile.read_bytes(), tile.name


def test_the_copy_is_the_same_bytes_on_every_build_and_skipped_when_it_saves_nothing(tmp_path):
    data = b"glTF" + bytes(range(256)) * 400
    write_tile(tmp_path / "a.glb", data)
    write_tile(tmp_path / "b.glb", data)
    assert (tmp_path / "a.glb.gz").read_bytes() == (tmp_path / "b.glb.gz").read_bytes()
    noise = os.urandom(4096)
    write_tile(tmp_path / "a.glb", noise)
    assert not (tmp_path / "a.glb.gz").exists()
