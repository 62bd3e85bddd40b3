"""Walking circuits: ordered stops found among the points of interest, published."""

import json

import pytest

from gis_sync.errors import FieldValueError
from gis_sync.importer import import_path
from twin.models import WalkingCircuit


@pytest.fixture
def landmarks(db, tmp_path, twin_data):
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, 43.58]},
            "properties": {
                "name": name,
                "category": "patrimoine",
                "height_above_ground": 5.0,
                "ground_altitude_ngf": 10.0,
            },
        }
        for name, lon in (("Porte Marine", 7.128), ("Tour Sarrazine", 7.127))
    ]
    path = tmp_path / "landmarks.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    import_path(path, options={"kind": "poi"})


def write(tmp_path, stops):
    path = tmp_path / "circuits.json"
    path.write_text(
        json.dumps({"circuits": [{"id": "remparts", "name": "Remparts", "description": "d", "stops": stops}]}),
        encoding="utf-8",
    )
    return path


def test_circuits_are_published_with_their_stops_in_order(landmarks, tmp_path):
    path = write(tmp_path, [{"landmark": "Tour Sarrazine", "text": "a"}, {"landmark": "Porte Marine", "text": "b"}])
    run = import_path(path)
    circuit = WalkingCircuit.objects.get(slug="remparts")
    assert run.format == "circuits" and run.created == 1 and circuit.published
    assert [(s.poi.name, s.text) for s in circuit.ordered_stops()] == [("Tour Sarrazine", "a"), ("Porte Marine", "b")]
    assert import_path(path).unchanged == 1


def test_a_stop_naming_no_landmark_is_refused(landmarks, tmp_path):
    with pytest.raises(FieldValueError) as exc:
        import_path(write(tmp_path, [{"landmark": "Fort Imaginaire", "text": ""}]))
    assert "Fort Imaginaire" in str(exc.value) and "import the landmarks first" in str(exc.value)
    assert not WalkingCircuit.objects.exists()


def circuits_file(tmp_path, name: str, circuits: list[dict]):
    path = tmp_path / name
    path.write_text(json.dumps({"circuits": circuits}), encoding="utf-8")
    return path


def circuit(ident: str, title: str, *landmarks: str) -> dict:
    return {"id": ident, "name": title, "stops": [{"landmark": n, "text": f"à {n}"} for n in landmarks]}


def test_a_second_circuits_delivery_creates_updates_and_deletes_exactly_what_changed(landmarks, tmp_path):
    first = circuits_file(
        tmp_path,
        "circuits-v1.json",
        [
            circuit("remparts", "Remparts", "Tour Sarrazine", "Porte Marine"),
            circuit("port", "Le port", "Porte Marine"),
            circuit("tour", "La tour", "Tour Sarrazine"),
        ],
    )
    run1 = import_path(first, options={"source_key": "circuits"})
    assert (run1.created, run1.updated, run1.deleted, run1.unchanged) == (3, 0, 0, 0)
    curated = WalkingCircuit.objects.create(name="Choix de l'office", slug="choix", published=True)
    untouched = WalkingCircuit.objects.get(source_id="remparts").updated_at

    # 'port' gains a stop, 'tour' is withdrawn, 'plage' is new; 'remparts' is as before.
    second = circuits_file(
        tmp_path,
        "circuits-v2.json",
        [
            circuit("remparts", "Remparts", "Tour Sarrazine", "Porte Marine"),
            circuit("port", "Le port", "Porte Marine", "Tour Sarrazine"),
            circuit("plage", "La plage", "Porte Marine"),
        ],
    )
    run2 = import_path(second, options={"source_key": "circuits"})
    assert (run2.created, run2.updated, run2.deleted, run2.unchanged) == (1, 1, 1, 1)
    assert sorted(WalkingCircuit.objects.values_list("slug", flat=True)) == ["choix", "plage", "port", "remparts"]
    port = WalkingCircuit.objects.get(source_key="circuits", source_id="port")
    assert [s.poi.name for s in port.ordered_stops()] == ["Porte Marine", "Tour Sarrazine"]
    assert WalkingCircuit.objects.get(source_id="remparts").updated_at == untouched  # not rewritten
    assert WalkingCircuit.objects.filter(pk=curated.pk).exists()  # curated in the admin: not this source's


def test_an_unchanged_circuit_keeps_an_editors_unpublishing(landmarks, tmp_path):
    path = circuits_file(tmp_path, "circuits.json", [circuit("port", "Le port", "Porte Marine")])
    import_path(path, options={"source_key": "circuits"})
    WalkingCircuit.objects.filter(source_id="port").update(published=False)
    assert import_path(path, options={"source_key": "circuits"}).unchanged == 1
    assert not WalkingCircuit.objects.get(source_id="port").published
