"""Walking circuits: ordered stops found among the points of interest, published."""
import json

import pytest

from gis_sync.errors import FieldValueError
from gis_sync.importer import import_path
from twin.models import WalkingCircuit


@pytest.fixture
def landmarks(db, tmp_path, twin_data):
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 43.58]},
              "properties": {"name": name, "category": "patrimoine", "height_above_ground": 5.0,
                             "ground_altitude_ngf": 10.0}}
             for name, lon in (("Porte Marine", 7.128), ("Tour Sarrazine", 7.127))]
    path = tmp_path / "landmarks.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    import_path(path, options={"kind": "poi"})


def write(tmp_path, stops):
    path = tmp_path / "circuits.json"
    path.write_text(json.dumps({"circuits": [{"id": "remparts", "name": "Remparts", "description": "d",
                                              "stops": stops}]}), encoding="utf-8")
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
