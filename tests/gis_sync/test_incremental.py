"""A second delivery updates exactly what changed, reports it, and marks only those areas for new tiles."""

import json

import pytest
from django.contrib.gis.geos import Point

from gis_sync.importer import import_path
from gis_sync.models import SyncRun
from twin.models import Building, Change, NetworkSegment

X0, Y0 = 1032000.0, 6283000.0  # in Antibes


def delivery(path, buildings: dict[str, tuple[float, float]]) -> None:
    """A BD TOPO-like GeoJSON: id -> (x offset m, height m), 10 m squares 100 m apart."""
    feats = []
    for ident, (dx, height) in buildings.items():
        x, y = X0 + dx, Y0
        ring = [[x, y], [x + 10, y], [x + 10, y + 10], [x, y + 10], [x, y]]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"ID": ident, "HAUTEUR": height, "NB_ETAGES": 2, "Z_MIN_SOL": 10.0},
            }
        )
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": feats,
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
            }
        )
    )


def test_a_second_delivery_updates_exactly_what_changed(db, tmp_path, twin_data):
    first = tmp_path / "v1" / "batiment.geojson"
    first.parent.mkdir()
    delivery(first, {"A": (0, 6.0), "B": (100, 6.0), "C": (200, 6.0), "D": (300, 6.0), "E": (400, 6.0)})
    run1 = import_path(first, options={"kind": "buildings", "source_key": "bati"})
    assert (run1.created, run1.updated, run1.deleted, run1.unchanged) == (5, 0, 0, 0)
    untouched = Building.objects.get(source_id="A")
    grown = Building.objects.get(source_id="B")

    second = tmp_path / "v2" / "batiment.geojson"
    second.parent.mkdir()
    # B grows a storey, D is demolished, F is built; A, C, E are as before.
    delivery(second, {"A": (0, 6.0), "B": (100, 9.0), "C": (200, 6.0), "E": (400, 6.0), "F": (600, 6.0)})
    run2 = import_path(second, options={"kind": "buildings", "source_key": "bati"})
    assert (run2.created, run2.updated, run2.deleted, run2.unchanged) == (1, 1, 1, 3)
    assert sorted(Building.objects.values_list("source_id", flat=True)) == ["A", "B", "C", "E", "F"]
    assert Building.objects.get(source_id="B").roof_z == 19.0
    assert Building.objects.get(source_id="A").updated_at == untouched.updated_at  # not rewritten
    # A rewritten row says so: caches keyed on updated_at (the viewshed DSM) see an update-only delivery.
    assert Building.objects.get(source_id="B").updated_at > grown.updated_at

    area = run2.dirty_area
    for dx, dirty in ((100, True), (300, True), (600, True), (0, False), (200, False), (400, False)):
        assert area.intersects(Point(X0 + dx + 5, Y0 + 5, srid=2154)) is dirty, dx
    assert (run2.dirty_layers, run2.derived) == (["buildings"], ["surface"])  # the surface model is cast from them
    latest = Change.objects.order_by("-pk").first()
    assert latest.layer == "buildings" and sorted(latest.source_ids) == ["B", "D", "F"]


def test_the_same_delivery_twice_writes_nothing(db, data, twin_data, strasbourg):
    import_path(data / "raepa.gpkg", options={"operator": "EMS"})
    dirty = Change.objects.count()
    again = import_path(data / "raepa.gpkg", options={"operator": "EMS"})
    assert (again.created, again.updated, again.deleted) == (0, 0, 0) and again.unchanged == 5
    assert Change.objects.count() == dirty and again.dirty_area is None


def test_a_run_is_one_transaction(db, tmp_path, twin_data):
    good = tmp_path / "batiment.geojson"
    delivery(good, {"A": (0, 6.0), "B": (100, 6.0)})
    import_path(good, options={"kind": "buildings", "source_key": "bati"})
    broken = json.loads(good.read_text())
    broken["features"][0]["properties"]["HAUTEUR"] = 12.0  # a change that must not land...
    broken["features"][1]["geometry"]["coordinates"] = [
        [[X0, Y0], [X0 + 10, Y0 + 10], [X0 + 10, Y0], [X0, Y0 + 10], [X0, Y0]]
    ]  # ...beside a bow-tie
    good.write_text(json.dumps(broken))
    with pytest.raises(ValueError):
        import_path(good, options={"kind": "buildings", "source_key": "bati"})
    assert Building.objects.get(source_id="A").height == 6.0
    failed = SyncRun.objects.filter(status="failed").get()
    assert failed.errors[0]["feature"] == "batiment.B" and failed.errors[0]["field"] == "geometry"


def test_segments_of_a_second_network_delivery_keep_their_observations_in_step(db, data, terrain):
    import_path(data / "raepa.gpkg", options={"operator": "EMS", "source_key": "ems"})
    pipe = NetworkSegment.objects.get(source_id="ASS-1")
    assert pipe.axis_method == "invert" and pipe.observations.count() == 2
    assert pipe.axis.coords[0][2] == pytest.approx(137.65)


def poi_delivery(path, pois: dict[str, tuple[str, float]]) -> None:
    """Points of interest with an id field: id -> (name, x offset m)."""
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [X0 + dx, Y0]},
            "properties": {"id": ident, "name": name, "category": "patrimoine", "ground_altitude_ngf": 10.0},
        }
        for ident, (name, dx) in pois.items()
    ]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": feats,
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
            }
        )
    )


def test_a_second_poi_delivery_updates_exactly_what_changed(db, tmp_path, twin_data):
    from twin.models import PointOfInterest

    path = tmp_path / "poi.geojson"
    poi_delivery(path, {"1": ("Fort Carré", 0), "2": ("Tour Sarrazine", 100), "3": ("Porte Marine", 200)})
    run1 = import_path(path, options={"kind": "poi", "source_key": "poi"})
    assert (run1.created, run1.updated, run1.deleted, run1.unchanged) == (3, 0, 0, 0)
    assert PointOfInterest.objects.get(source_id="2").content_hash

    # 1 is renamed (same id), 3 is removed, 4 is added, 2 is as before.
    poi_delivery(path, {"1": ("Fort Carré d'Antibes", 0), "2": ("Tour Sarrazine", 100), "4": ("Phare", 300)})
    run2 = import_path(path, options={"kind": "poi", "source_key": "poi"})
    assert (run2.created, run2.updated, run2.deleted, run2.unchanged) == (1, 1, 1, 1)
    assert sorted(PointOfInterest.objects.values_list("source_id", "name")) == [
        ("1", "Fort Carré d'Antibes"),
        ("2", "Tour Sarrazine"),
        ("4", "Phare"),
    ]
    assert PointOfInterest.objects.get(source_id="1").slug == "fort-carre-dantibes"
