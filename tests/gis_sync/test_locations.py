"""Zipped deliveries: one dataset per archive, unpacked for the run, keyed by the archive's name."""

import zipfile

import pytest

from gis_sync.errors import FormatError
from gis_sync.importer import import_path
from gis_sync.locations import local_path


def zip_of(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_zipped_folder_of_shapefiles_is_read_as_that_folder(data, tmp_path):
    archive = zip_of(tmp_path / "reseau_eau.zip", {p.name: p.read_bytes() for p in (data / "stareau_shp").iterdir()})
    with local_path(archive) as local:
        assert local.is_dir() and sorted(p.stem for p in local.glob("*.shp"))[0] == "aep_appareillage"
    assert not local.exists()  # unpacked for the run only


def test_a_zipped_delivery_syncs_twice_under_the_archive_name(db, data, tmp_path, twin_data, strasbourg):
    archive = zip_of(
        tmp_path / "reseau_eau.zip", {f"livraison/{p.name}": p.read_bytes() for p in (data / "stareau_shp").iterdir()}
    )
    first = import_path(archive)
    assert first.format == "stareau" and first.created == 6
    again = import_path(archive)
    assert (again.created, again.deleted, again.unchanged) == (0, 0, 6)


def test_a_zipped_geopackage_is_that_file(data, tmp_path):
    archive = zip_of(
        tmp_path / "eau.zip",
        {"eau/stareau.gpkg": (data / "stareau.gpkg").read_bytes(), "eau/LISEZMOI.txt": b"livraison 2024"},
    )
    with local_path(archive) as local:
        assert local.name == "stareau.gpkg"


def test_it_refuses_an_archive_of_several_datasets_or_escaping_paths(data, tmp_path):
    several = zip_of(tmp_path / "two.zip", {"a.gpkg": b"x", "b.geojson": b"{}"})
    with pytest.raises(FormatError, match="several datasets"):
        with local_path(several):
            pass
    escaping = zip_of(tmp_path / "evil.zip", {"../../etc/cron.d/x.gpkg": b"x"})
    with pytest.raises(FormatError, match="outside the archive"):
        with local_path(escaping):
            pass
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(FormatError, match="not a readable zip"):
        with local_path(broken):
            pass
