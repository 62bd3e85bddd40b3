"""The gate nginx asks before passing a request to Flower (/flower/): admins pass, nobody else, and only to read."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from twin.roles import ADMIN, FIELD_AGENT, PLANNER

GATE = "/accounts/gate/jobs-monitor/"


def _user(name: str, *roles: str, staff: bool = False, superuser: bool = False) -> User:
    user = User.objects.create_user(name, password="x", is_staff=staff, is_superuser=superuser)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.mark.django_db
def test_only_admins_pass_the_jobs_monitor_gate(client):
    assert client.get(GATE).status_code == 401  # not signed in: nginx sends the browser to sign in
    people = {
        "citizen": (_user("citizen"), 403),
        "planner": (_user("planner", PLANNER), 403),
        "field agent": (_user("agent", FIELD_AGENT), 403),
        "staff, no admin role": (_user("clerk", PLANNER, staff=True), 403),
        "admin role, not staff": (_user("half", ADMIN), 403),
        "staff admin": (_user("admin", ADMIN, staff=True), 204),
        "superuser": (_user("root", superuser=True, staff=True), 204),
    }
    answers = {}
    for who, (user, _) in people.items():
        client.force_login(user)
        response = client.get(GATE)
        answers[who] = response.status_code
        assert response.content == b"" and "no-cache" in response["Cache-Control"]
    assert answers == {who: expected for who, (_, expected) in people.items()}


@pytest.mark.django_db
def test_the_gate_lets_an_admin_read_only(client):
    client.force_login(_user("root", superuser=True, staff=True))
    assert client.head(GATE).status_code == 204
    for method in ("post", "put", "delete"):
        assert getattr(client, method)(GATE).status_code == 403  # Flower's revoke and shutdown buttons
        # nginx asks with GET and names the browser's method in a header
        assert client.get(GATE, headers={"X-Original-Method": method.upper()}).status_code == 403
    assert client.get(GATE, headers={"X-Original-Method": "GET"}).status_code == 204


@pytest.mark.django_db
def test_a_deactivated_admin_no_longer_passes(client):
    user = _user("gone", superuser=True, staff=True)
    client.force_login(user)
    assert client.get(GATE).status_code == 204
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(GATE).status_code in (401, 403)
