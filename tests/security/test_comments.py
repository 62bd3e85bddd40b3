"""Comments pinned to a project: anyone posts one while the project is in consultation, nobody but a moderator sees it
before a planner approves it, and a draft takes none and shows none to those who may not see drafts."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client

from twin.geoid import city_frame
from twin.models import CommentStatus, PlanningProject, ProjectComment, ProjectStatus, ProjectVariant

pytestmark = pytest.mark.django_db
SITE = (1033000.0, 6285000.0)  # Lambert-93, by the port of Antibes


def _project(slug: str, status: str, top: float = 32.0) -> ProjectVariant:
    project = PlanningProject.objects.create(name=slug.title(), slug=slug, status=status)
    x, y = SITE
    return ProjectVariant.objects.create(
        project=project,
        name="Variante",
        slug="variante",
        model_file="v.glb",
        model_format="glb",
        footprint=MultiPolygon(Polygon.from_bbox((x, y, x + 20.0, y + 30.0)), srid=2154),
        min_z=2.0,
        max_z=top,
    )


def _pin(dx: float = 10.0, dy: float = 15.0, z: float = 20.0) -> dict:
    """lon, lat and ellipsoidal height, as Cesium's pickPosition gives them, of a storage-CRS point."""
    lon, lat, h = city_frame().to_geographic([SITE[0] + dx], [SITE[1] + dy], [z])
    return {"lon": float(lon[0]), "lat": float(lat[0]), "height": float(h[0])}


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Each test's client starts with an empty bucket: the throttle counts in the cache, across tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def consultation():
    return _project("halle", ProjectStatus.CONSULTATION)


@pytest.fixture
def draft():
    return _project("zeta", ProjectStatus.DRAFT)


def _post(client: Client, slug: str, **body):
    return client.post(f"/api/projects/{slug}/comments/", body, content_type="application/json")


def _texts(client: Client, slug: str) -> list[str]:
    response = client.get(f"/api/projects/{slug}/comments/")
    assert response.status_code == 200, response.content
    return [c["text"] for c in response.json()]


def test_a_citizens_comment_waits_for_a_planner_then_everyone_sees_it(consultation, planner, alice, charlie):
    author = Client()
    response = _post(author, "halle", text="  Trop haut pour la rue  ", author_name="Chloé", **_pin())
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending" and response.json()["text"] == "Trop haut pour la rue"
    someone, signed_in = Client(), Client()
    signed_in.force_login(charlie)
    assert _texts(someone, "halle") == [] and _texts(signed_in, "halle") == [] and _texts(author, "halle") == []
    seen = planner.get("/api/projects/halle/comments/").json()
    assert [(c["text"], c["status"]) for c in seen] == [("Trop haut pour la rue", "pending")]
    ProjectComment.objects.get().approve(alice)
    assert _texts(someone, "halle") == ["Trop haut pour la rue"]
    comment = ProjectComment.objects.get()
    assert comment.moderated_by == alice and comment.moderated_at is not None and comment.author is None


def test_a_rejected_comment_reaches_no_citizen(consultation, alice):
    _post(Client(), "halle", text="hors sujet", **_pin())
    ProjectComment.objects.get().reject(alice)
    assert _texts(Client(), "halle") == []
    assert ProjectComment.objects.get().status == CommentStatus.REJECTED


def test_the_pin_comes_back_where_it_was_put_and_is_stored_with_an_orthometric_height(consultation):
    pin = _pin(z=21.5)
    created = _post(Client(), "halle", text="Ici, une fenêtre", **pin).json()
    assert created["lon"] == pytest.approx(pin["lon"], abs=1e-8)
    assert created["lat"] == pytest.approx(pin["lat"], abs=1e-8)
    assert created["height"] == pytest.approx(pin["height"], abs=1e-3)
    point = ProjectComment.objects.get().point
    assert (point.x, point.y, point.z) == pytest.approx((SITE[0] + 10.0, SITE[1] + 15.0, 21.5), abs=1e-3)
    # The geoid lies about 50 m above the ellipsoid near Antibes: a stored ellipsoidal height would be that far off.
    assert 40 < pin["height"] - point.z < 60


def test_nobody_comments_a_draft_and_a_citizen_cannot_tell_it_exists(draft, planner, field_agent, charlie):
    signed_in = Client()
    signed_in.force_login(charlie)
    for client in (Client(), signed_in, field_agent):
        response = _post(client, "zeta", text="Je commente un brouillon", **_pin())
        assert response.status_code == 404
        assert client.get("/api/projects/zeta/comments/").status_code == 404
        unknown = client.get("/api/projects/no-such-project/comments/")
        assert response.json() == unknown.json()
    refused = _post(planner, "zeta", text="Même un urbaniste", **_pin())
    assert refused.status_code == 403 and "consultation" in refused.json()["detail"]
    assert ProjectComment.objects.count() == 0


def test_a_decided_project_takes_no_more_comments(consultation):
    consultation.project.advance()  # approved
    response = _post(Client(), "halle", text="Trop tard ?", **_pin())
    assert response.status_code == 403 and "consultation" in response.json()["detail"]
    with pytest.raises(ValueError, match="closed"):
        ProjectComment.submit(consultation.project, None, "direct")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "x" * (ProjectComment.MAX_TEXT + 1)}, "text"),
        ({"text": " "}, "text"),
        ({"text": "ok ok", "author_name": "n" * (ProjectComment.MAX_AUTHOR + 1)}, "author_name"),
        ({"text": "ok ok", "lon": "est"}, "lon"),
        ({"text": "ok ok", "height": 1e9}, "height"),
        ({"text": "ok ok", "lon": 2.35, "lat": 48.85}, "lon"),  # Paris: outside the city
        ({"text": "ok ok", "lon": 180.0, "lat": 90.0}, "lon"),  # no Lambert-93 coordinates at all
    ],
)
def test_bad_input_is_refused_naming_the_field(consultation, body, field):
    response = _post(Client(), "halle", **{**_pin(), **body})
    assert response.status_code == 400 and field in response.json(), response.content
    assert ProjectComment.objects.count() == 0


def test_a_pin_far_from_the_project_is_refused(consultation):
    response = _post(Client(), "halle", text="Sur la plage", **_pin(dx=400.0))
    assert response.status_code == 400 and "tap a point on the project" in str(response.json())


def test_a_variant_of_another_project_is_refused(consultation, draft):
    response = _post(Client(), "halle", text="Mauvaise variante", variant=draft.pk, **_pin())
    assert response.status_code == 400 and "variant" in response.json()


def test_a_client_posting_too_often_is_stopped(consultation, settings):
    from rest_framework.settings import api_settings

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "comments": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = Client()
    codes = [_post(client, "halle", text=f"commentaire {i}", **_pin()).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    assert client.get("/api/projects/halle/comments/").status_code == 200  # reading is not throttled


def test_only_planners_and_admins_moderate(consultation, charlie, bob, alice):
    comment = ProjectComment.submit(consultation.project, _stored_point(), "à modérer")
    for person in (charlie, bob):
        with pytest.raises(PermissionError):
            comment.approve(person)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PENDING


def _stored_point():
    from django.contrib.gis.geos import Point

    return Point(SITE[0] + 5, SITE[1] + 5, 10.0, srid=2154)


def test_the_project_api_gives_each_variants_key_figures(consultation):
    variant = Client().get("/api/projects/halle/").json()["variants"][0]
    assert variant["height_m"] == pytest.approx(30.0)
    assert variant["storeys"] == 10
    assert variant["footprint_area_m2"] == pytest.approx(600.0)
    assert variant["floor_area_m2"] == pytest.approx(6000.0)
