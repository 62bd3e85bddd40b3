"""Version names of published builds: what new_version writes is exactly what the tile server accepts."""

from __future__ import annotations

import pytest

from tiles.publish import VERSION_RE, LayerBuild, is_version, new_version


def test_new_versions_match_the_pattern_the_server_accepts():
    versions = [new_version() for _ in range(50)]
    assert all(VERSION_RE.fullmatch(v) for v in versions), versions
    assert versions == sorted(versions)  # build order is name order: prune keeps the newest


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "20261204T154113123456Z",
        "20261204T154113123456Z-",
        "20261204T154113123456Z-4242/..",
        "../20261204T154113123456Z-4242",
        "20261204T154113123456Z-4242\n",
        "20261204t154113123456z-4242",
        "20261204T154113123456Z-4242.partial",
        "２0261204T154113123456Z-4242",
    ],
)
def test_other_names_are_not_versions(name):
    assert not is_version(name)


def test_a_build_cannot_be_given_a_version_the_server_would_refuse(tmp_path):
    assert is_version("20261204T154113123456Z-4242")
    with pytest.raises(ValueError, match="new_version"):
        LayerBuild(tmp_path, "buildings", version="../networks")
    assert not (tmp_path / ".builds").exists()
