"""Every reader, fed mutated copies of the real samples (truncated, corrupt numbers, bad encodings, empty, entity
declarations, hostile glTF buffers), answers with a gis_sync error naming the file, never another exception; and a
failed import leaves the twin's rows as they were."""

from __future__ import annotations

import base64
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis_sync.errors import SyncError, ValidationError
from gis_sync.formats.cityjson import CityJSONFormat
from gis_sync.formats.gltf import GltfFormat
from gis_sync.formats.ifc import IfcFormat
from gis_sync.formats.ogr_layers import OgrLayersFormat
from gis_sync.formats.pointcloud import PointCloudFormat
from gis_sync.formats.raepa import RaepaFormat
from gis_sync.formats.stardt import StarDTFormat
from gis_sync.formats.stareau import StarEauFormat
from gis_sync.formats.terrain import TerrainFormat
from gis_sync.records import Placement
from tests.conftest import SHARED_DATA, TEST_DATA

DATA = TEST_DATA / "gis_sync"
HERE = Placement(1050900.0, 6840600.0, 0.0, 140.0)


@dataclass(frozen=True)
class Sample:
    reader: type
    path: Path
    options: dict[str, Any]
    examples: int

    @property
    def text(self) -> bool:
        return self.path.suffix.lower() in (".gml", ".json", ".geojson", ".ifc")

    def __repr__(self) -> str:  # shown in test ids and failures
        return f"{self.reader.__name__}:{self.path.name}"


SAMPLES = [
    Sample(StarDTFormat, SHARED_DATA / "star-dt" / "GRT.gml", {}, 300),
    Sample(StarDTFormat, SHARED_DATA / "star-dt" / "GRDF.gml", {}, 200),
    Sample(StarDTFormat, SHARED_DATA / "star-dt" / "dlva.gml", {}, 40),
    Sample(StarDTFormat, DATA / "stardt_undefined_srs_3d.gml", {"srid": 2154}, 200),
    Sample(
        CityJSONFormat, SHARED_DATA / "cityjson" / "DH_01_subs.city.json", {"srid": 7415, "storage_srid": 28992}, 300
    ),
    Sample(CityJSONFormat, DATA / "block_lod1.city.json", {}, 300),
    Sample(PointCloudFormat, SHARED_DATA / "las" / "simple.las", {"srid": 2154}, 300),
    Sample(IfcFormat, SHARED_DATA / "ifc" / "IfcOpenHouse_IFC4.ifc", {"placement": HERE}, 25),
    Sample(GltfFormat, DATA / "kiosk.glb", {"placement": HERE}, 300),
    Sample(OgrLayersFormat, DATA / "batiment.geojson", {}, 200),
    Sample(OgrLayersFormat, DATA / "troncon_de_route.geojson", {}, 150),
    Sample(OgrLayersFormat, DATA / "poi_lonlat.geojson", {}, 150),
    Sample(RaepaFormat, DATA / "raepa.gpkg", {}, 100),
    Sample(StarEauFormat, DATA / "stareau.gpkg", {}, 100),
    Sample(TerrainFormat, DATA / "dem_l93.tif", {}, 150),
]

BAD_NUMBERS = ["NaN", "nan", "inf", "-Infinity", "1e308", "-1e400", "1e999", "abc", "", "0x1F", "1,5.3", "--1"]
NUMBER = re.compile(rb"-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+")
ENTITIES = (
    b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
)


def truncate(data: bytes, draw) -> bytes:
    return data[: draw(st.integers(0, max(0, len(data) - 1)))]


def corrupt_number(data: bytes, draw) -> bytes:
    spans = [m.span() for m in NUMBER.finditer(data)]
    if not spans:
        return data
    start, end = spans[draw(st.integers(0, len(spans) - 1))]
    return data[:start] + draw(st.sampled_from(BAD_NUMBERS)).encode() + data[end:]


def flip_bytes(data: bytes, draw) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if out:
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
    return bytes(out)


def bad_encoding(data: bytes, draw) -> bytes:
    kind = draw(st.sampled_from(["latin1", "utf16", "invalid-utf8", "bom"]))
    if kind == "latin1":
        return data.decode("utf-8", "replace").encode("latin-1", "replace").replace(b"e", b"\xe9", 3)
    if kind == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16")
    if kind == "bom":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + data
    at = draw(st.integers(0, max(0, len(data) - 1)))
    return data[:at] + b"\xff\xfe\xc3\x28" + data[at:]


def entities(data: bytes, draw) -> bytes:
    """An XML prolog declaring entities (billion laughs, external file) and a reference to them."""
    head, sep, rest = data.partition(b"?>\n")
    body = rest if sep else data
    body = re.sub(rb"(<[A-Za-z][^>!?]*>)", rb"\1&c;&x;", body, count=1)
    return (head + sep if sep else b"") + ENTITIES + body


def empty(data: bytes, draw) -> bytes:
    return b""


MUTATIONS: dict[str, Callable] = {
    "truncate": truncate,
    "corrupt_number": corrupt_number,
    "flip_bytes": flip_bytes,
    "bad_encoding": bad_encoding,
    "entities": entities,
    "empty": empty,
}


def read_mutated(sample: Sample, data: bytes) -> SyncError | None:
    """Read `data` under the sample's file name; the SyncError it raised, or None if it was read."""
    folder = Path(tempfile.mkdtemp(prefix="jumeau-fuzz-"))
    try:
        path = folder / sample.path.name
        path.write_bytes(data)
        try:
            sample.reader().read(path, **sample.options)
        except SyncError as exc:
            return exc
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def assert_names_the_file(error: SyncError, sample: Sample) -> None:
    errors = error.errors if isinstance(error, ValidationError) else [error]
    for e in errors:
        assert e.file and Path(e.file).name == sample.path.name, (repr(e), e.file)
        assert sample.path.name in str(e)


@pytest.mark.parametrize("sample", SAMPLES, ids=repr)
def test_a_mutated_sample_is_read_or_refused_with_a_sync_error_naming_the_file(sample: Sample) -> None:
    original = sample.path.read_bytes()
    xml = sample.path.suffix.lower() == ".gml"
    names = [n for n in MUTATIONS if (sample.text or n != "corrupt_number") and (xml or n != "entities")]
    for mutation in names:  # each mutation gets its share of the sample's examples
        budget = 1 if mutation == "empty" else max(4, sample.examples // (len(names) - 1))
        fuzz(sample, original, mutation, budget)


def fuzz(sample: Sample, original: bytes, mutation: str, budget: int) -> None:
    # The deadline catches readers that believe a corrupt count and loop (laspy over a header's VLR count did).
    @settings(
        max_examples=budget,
        deadline=timedelta(seconds=10),
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def check(data) -> None:
        mutated = MUTATIONS[mutation](original, data.draw)
        error = read_mutated(sample, mutated)  # any other exception fails the test, with the input
        if error is not None:
            assert_names_the_file(error, sample)
        if mutation in ("empty", "entities"):
            assert error is not None, f"{mutation} input was read"
        if mutation == "entities":
            assert "entity" in str(error), str(error)

    check()


def glb_with_buffer(uri: str, byte_length: int = 36) -> bytes:
    """kiosk.glb rewritten as a .gltf whose one buffer is `uri`."""
    doc = json.loads(
        (DATA / "kiosk.glb").read_bytes()[20 : 20 + int.from_bytes((DATA / "kiosk.glb").read_bytes()[12:16], "little")]
    )
    doc["buffers"] = [{"uri": uri, "byteLength": byte_length}]
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "uri, says",
    [
        ("../../etc/passwd", "outside"),
        ("/etc/passwd", "outside"),
        ("file:///etc/passwd", "outside"),
        ("C:/Windows/win.ini", "outside"),
        ("..%2F..%2Fetc%2Fpasswd", "outside"),
        ("http://example.org/b.bin", "outside"),
        ("missing.bin", "missing"),
        ("data:application/octet-stream;base64,!!!notbase64", "base64"),
    ],
)
def test_a_gltf_buffer_pointing_outside_the_delivery_is_refused(uri, says, tmp_path):
    path = tmp_path / "model.gltf"
    path.write_bytes(glb_with_buffer(uri))
    with pytest.raises(SyncError, match=says) as exc:
        GltfFormat().read(path, placement=HERE)
    assert Path(exc.value.file).name == "model.gltf" and exc.value.field == "uri"


def test_an_inline_gltf_buffer_over_the_cap_is_refused_before_decoding(tmp_path, settings):
    settings.JUMEAU_SYNC_MAX_GLTF_BUFFER_BYTES = 1000
    path = tmp_path / "model.gltf"
    path.write_bytes(glb_with_buffer("data:application/octet-stream;base64," + base64.b64encode(b"\0" * 3000).decode()))
    with pytest.raises(SyncError, match="inline buffer holds about 0.003 MB"):
        GltfFormat().read(path, placement=HERE)


def test_a_gltf_buffer_shorter_than_its_accessors_is_refused(tmp_path):
    path = tmp_path / "model.gltf"
    path.write_bytes(glb_with_buffer("data:application/octet-stream;base64," + base64.b64encode(b"\0" * 8).decode()))
    with pytest.raises(SyncError, match="accessor"):
        GltfFormat().read(path, placement=HERE)


def test_a_las_header_announcing_millions_of_vlrs_is_refused_at_once(tmp_path):
    original = (SHARED_DATA / "las" / "simple.las").read_bytes()
    path = tmp_path / "simple.las"
    path.write_bytes(original[:100] + (683933439).to_bytes(4, "little") + original[104:])
    with pytest.raises(SyncError, match="announces 683933439 VLRs") as exc:
        PointCloudFormat().read(path, srid=2154)
    assert exc.value.field == "number_of_vlrs" and Path(exc.value.file).name == "simple.las"


# -- end to end: a failed import writes nothing ------------------------------------------------------------------
def twin_rows() -> dict[str, list]:
    from twin.models import Building, NetworkNode, NetworkSegment, PlanningProject, ProjectVariant

    return {
        m.__name__: sorted(m.objects.values_list("pk", flat=True))
        for m in (Building, NetworkSegment, NetworkNode, PlanningProject, ProjectVariant)
    }


def mutate_copy(src: Path, folder: Path, edit: Callable[[str], str]) -> Path:
    out = folder / src.name
    out.write_text(edit(src.read_text(encoding="utf-8")), encoding="utf-8")
    return out


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t[: len(t) // 2],
        lambda t: re.sub(r"(<gml:posList[^>]*>\S+ \S+ )\S+", r"\1NaN", t, count=2),
        lambda t: t.replace("?>\n", "?>\n" + ENTITIES.decode(), 1),
        lambda t: re.sub(r"(<gml:posList[^>]*>\S+ )\S+", r"\g<1>1e308", t, count=1),
    ],
    ids=["truncated", "nan", "entities", "1e308"],
)
def test_a_failed_stardt_import_leaves_the_twin_as_it_was(db, shared, tmp_path, twin_data, strasbourg, edit):
    from gis_sync.importer import import_path
    from gis_sync.models import SyncRun

    import_path(shared / "star-dt" / "GRT.gml", options={"source_key": "grt"})
    before = twin_rows()
    with pytest.raises(SyncError) as exc:
        import_path(mutate_copy(shared / "star-dt" / "GRT.gml", tmp_path, edit), options={"source_key": "grt"})
    assert "GRT.gml" in str(exc.value) or all("GRT.gml" in (e.file or "") for e in getattr(exc.value, "errors", []))
    assert twin_rows() == before
    assert SyncRun.objects.order_by("pk").last().status == SyncRun.Status.FAILED


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t[: len(t) * 2 // 3],
        lambda t: re.sub(r'("vertices": \[\[)-?\d+', r"\1NaN", t, count=1),
        lambda t: re.sub(r'("vertices": \[\[-?\d+, )-?\d+', r"\g<1>1e308", t, count=1),
    ],
    ids=["truncated", "nan", "1e308"],
)
def test_a_failed_cityjson_import_leaves_the_twin_as_it_was(db, data, tmp_path, twin_data, strasbourg, edit):
    from gis_sync.importer import import_path

    src = data / "block_lod1.city.json"
    import_path(src, options={"source_key": "block"})
    before = twin_rows()
    assert before["Building"]
    copy = mutate_copy(src, tmp_path, lambda t: edit(json.dumps(json.loads(t))))
    with pytest.raises(SyncError):
        import_path(copy, options={"source_key": "block"})
    assert twin_rows() == before
