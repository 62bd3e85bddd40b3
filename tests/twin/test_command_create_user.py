"""`manage.py create_user`: an account with its role in one step, usable at once; bad input changes nothing."""

import io

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from twin.roles import can_see_drafts, can_see_networks

pytestmark = pytest.mark.django_db
PASSWORD = "tuyau-sous-la-rue-42"


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_user", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_field_agent_account_signs_in_and_sees_the_networks_but_not_the_drafts(monkeypatch):
    monkeypatch.setenv("JUMEAU_NEW_USER_PASSWORD", PASSWORD)
    out = run("agent.martin", "--role", "field_agent", "--email", "martin@ville-antibes.invalid")
    assert "agent.martin: created; roles field_agent" in out and "sees the buried networks" in out
    user = authenticate(username="agent.martin", password=PASSWORD)
    assert user is not None and user.email == "martin@ville-antibes.invalid"
    assert can_see_networks(user) and not can_see_drafts(user)


def test_an_existing_user_gets_the_role_and_keeps_its_password(monkeypatch):
    User.objects.create_user("claire", password="ancien-mot-de-passe-7")
    monkeypatch.setenv("JUMEAU_NEW_USER_PASSWORD", PASSWORD)
    out = run("claire", "--role", "planner")
    assert "claire: already there; roles planner" in out
    user = authenticate(username="claire", password="ancien-mot-de-passe-7")
    assert user is not None and can_see_drafts(user)
    out = run("claire", "--role", "planner", "--set-password")
    assert "password replaced" in out and "(it had them already)" in out
    assert authenticate(username="claire", password=PASSWORD) is not None


def test_an_unknown_role_names_the_valid_ones_and_creates_nobody(monkeypatch):
    monkeypatch.setenv("JUMEAU_NEW_USER_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="unknown role plumber: the roles are planner, field_agent, admin"):
        run("paul", "--role", "plumber")
    assert not User.objects.filter(username="paul").exists()


def test_a_weak_password_is_refused_with_the_reason_and_creates_nobody(monkeypatch):
    monkeypatch.setenv("JUMEAU_NEW_USER_PASSWORD", "azerty")
    with pytest.raises(CommandError, match="Password refused for paul: .*(too short|trop court).*Nothing was changed"):
        run("paul", "--role", "planner")
    assert not User.objects.filter(username="paul").exists()


def test_without_a_terminal_or_the_variable_it_says_how_to_give_the_password(monkeypatch):
    monkeypatch.delenv("JUMEAU_NEW_USER_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="run this in a terminal to type it, or set \\$JUMEAU_NEW_USER_PASSWORD"):
        run("paul", "--role", "planner")
