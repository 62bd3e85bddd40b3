"""tiles.pointers: what each layer publishes now, read from the pointers alone, and which layers changed."""

from __future__ import annotations

import os

from tiles.pointers import newly_published, published_versions
from tiles.publish import LayerBuild


def publish(root, layer: str) -> str:
    with LayerBuild(root, layer) as build:
        (build.path / "tileset.json").write_text("{}")
    return build.version


def test_it_reads_the_version_each_published_layer_points_to(tmp_path):
    buildings, networks = publish(tmp_path, "buildings"), publish(tmp_path, "networks")
    assert published_versions(tmp_path) == {"buildings": buildings, "networks": networks}


def test_it_sees_a_rebuild_as_soon_as_the_pointer_is_swapped(tmp_path):
    publish(tmp_path, "buildings")
    before = published_versions(tmp_path)
    again = publish(tmp_path, "buildings")
    assert newly_published(before, published_versions(tmp_path)) == {"buildings": again}


def test_a_first_publication_is_new_and_an_unchanged_layer_is_not(tmp_path):
    publish(tmp_path, "buildings")
    before = published_versions(tmp_path)
    terrain = publish(tmp_path, "terrain")
    assert newly_published(before, published_versions(tmp_path)) == {"terrain": terrain}
    assert newly_published(published_versions(tmp_path), published_versions(tmp_path)) == {}


def test_it_ignores_a_build_in_progress_temporary_links_and_names_that_are_not_layers(tmp_path):
    version = publish(tmp_path, "buildings")
    (tmp_path / ".buildings.x.link").symlink_to(".builds/buildings/" + version)
    (tmp_path / "not-a-layer").symlink_to(".builds/buildings/" + version)
    (tmp_path / "networks").symlink_to(".builds/networks/not-a-version")
    with LayerBuild(tmp_path, "basemap") as build:
        assert published_versions(tmp_path) == {"buildings": version}
        (build.path / "basemap.json").write_text("{}")
    assert set(published_versions(tmp_path)) == {"buildings", "basemap"}


def test_a_missing_tiles_folder_publishes_nothing(tmp_path):
    assert published_versions(tmp_path / "nowhere") == {}
    assert not os.path.exists(tmp_path / "nowhere")
