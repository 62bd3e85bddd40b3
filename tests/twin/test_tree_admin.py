"""The trees in the admin: a read-only list with each crown, found by id; only who may view trees sees it."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from twin import roles
from twin.models import Tree

pytestmark = pytest.mark.django_db
LIST = "/admin/twin/tree/"


@pytest.fixture
def trees():
    def tree(source_id, species, height, radius):
        return Tree.objects.create(
            source_key="arbres",
            source_id=source_id,
            content_hash=source_id,
            location=Point(1033000.0 + len(species), 6285000.0, srid=2154),
            ground_z=140.0,
            height_m=height,
            crown_base_m=3.0,
            crown_radius_m=radius,
            species=species,
        )

    return [tree("101", "Platane", 14.0, 5.0), tree("1010", "Micocoulier", 9.0, 3.5)]


def test_an_administrator_reads_each_crown_and_finds_a_tree_by_its_id(admin_client, trees):
    page = admin_client.get(LIST).content.decode()
    assert "Platane" in page and "Micocoulier" in page
    assert all(any(v in page for v in (f">{n}<", f">{n.replace('.', ',')}<")) for n in ("14.0", "5.0", "3.5", "9.0"))
    found = admin_client.get(LIST, {"q": "101"}).content.decode()
    assert "Platane" in found and "Micocoulier" not in found  # the id exactly, not every id holding it
    detail = admin_client.get(f"{LIST}{trees[0].pk}/change/")
    assert detail.status_code == 200 and 'name="height_m"' not in detail.content.decode()  # nothing to edit


def test_nobody_adds_changes_or_deletes_a_tree_there(admin_client, trees):
    assert admin_client.get(f"{LIST}add/").status_code == 403
    assert admin_client.post(f"{LIST}{trees[0].pk}/change/", {"height_m": "99"}).status_code == 403
    assert admin_client.post(f"{LIST}{trees[0].pk}/delete/", {"post": "yes"}).status_code == 403
    assert Tree.objects.get(pk=trees[0].pk).height_m == 14.0


def test_a_planner_without_the_tree_view_permission_and_a_visitor_get_nothing(alice, trees):
    roles.grant(alice, [roles.PLANNER])
    alice.refresh_from_db()
    planner = Client()
    planner.force_login(alice)
    response = planner.get(LIST)
    assert response.status_code == 403 and b"Platane" not in response.content
    visitor = Client().get(LIST)
    assert visitor.status_code == 302 and b"Platane" not in visitor.content
