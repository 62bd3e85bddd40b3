"""Planners moderate comments in the Django admin: the approve and reject actions, and nothing else there."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from twin import roles
from twin.models import CommentStatus, PlanningProject, ProjectComment, ProjectStatus

pytestmark = pytest.mark.django_db
LIST = "/admin/twin/projectcomment/"


@pytest.fixture
def comments():
    project = PlanningProject.objects.create(name="Halle", slug="halle", status=ProjectStatus.CONSULTATION)
    point = Point(1033000.0, 6285000.0, 12.0, srid=2154)
    return [ProjectComment.submit(project, point, text) for text in ("Belle halle", "Spam spam")]


@pytest.fixture
def staff_planner(alice) -> Client:
    """A planner as manage.py create_user makes one: roles.grant makes a planner staff, to reach this page."""
    roles.grant(alice, [roles.PLANNER])
    alice.refresh_from_db()
    assert alice.is_staff
    client = Client()
    client.force_login(alice)
    return client


def test_a_planner_approves_one_comment_and_rejects_another(staff_planner, comments, alice):
    page = staff_planner.get(LIST)
    assert page.status_code == 200 and "Belle halle" in page.content.decode()
    good, spam = comments
    for action, comment in (("approve", good), ("reject", spam)):
        response = staff_planner.post(LIST, {"action": action, "_selected_action": [comment.pk]})
        assert response.status_code == 302
    good.refresh_from_db()
    spam.refresh_from_db()
    assert (good.status, spam.status) == (CommentStatus.APPROVED, CommentStatus.REJECTED)
    assert good.moderated_by == alice and spam.moderated_by == alice
    assert [c["text"] for c in Client().get("/api/projects/halle/comments/").json()] == ["Belle halle"]


def test_a_planner_sees_only_the_comments_in_the_admin(staff_planner, comments):
    index = staff_planner.get("/admin/").content.decode()
    assert "/admin/twin/projectcomment/" in index
    assert "/admin/twin/networksegment/" not in index and "/admin/auth/user/" not in index
    assert staff_planner.get("/admin/twin/networksegment/").status_code == 403
    assert staff_planner.get(f"{LIST}add/").status_code == 403


def test_staff_without_the_planner_role_cannot_moderate(bob, comments):
    bob.is_staff = True
    bob.save()
    client = Client()
    client.force_login(bob)  # a field agent with a staff account
    assert client.get(LIST).status_code == 403
    client.post(LIST, {"action": "approve", "_selected_action": [comments[0].pk]})
    comments[0].refresh_from_db()
    assert comments[0].status == CommentStatus.PENDING
