"""Who may see what: roles are Django groups; anonymous users are citizens."""

from __future__ import annotations

from django.contrib.auth.models import Group

PLANNER = "planner"
FIELD_AGENT = "field_agent"
ADMIN = "admin"
ALL_ROLES = (PLANNER, FIELD_AGENT, ADMIN)
# What each role may do, in the words a city's administrator reads.
GRANTS = {
    PLANNER: "sees the buried networks and the draft projects, moderates citizens' comments in the admin (/admin/)",
    FIELD_AGENT: "sees the buried networks (in the app and in a WebXR headset)",
    ADMIN: "sees everything the app shows: the buried networks and the draft projects",
}


class UnknownRole(ValueError):
    """A role name that is not one of ALL_ROLES."""


def check(roles) -> None:
    """UnknownRole, naming the valid roles, if any of these is not one."""
    unknown = sorted(set(roles) - set(ALL_ROLES))
    if unknown:
        raise UnknownRole(f"unknown role {', '.join(unknown)}: the roles are {', '.join(ALL_ROLES)}")


def grant(user, roles) -> list[str]:
    """Give a user roles (Django groups); returns the ones it did not have. UnknownRole names the valid ones.

    The admin role is what the app shows (a superuser has it anyway); the admin site also needs is_staff.
    A planner is made staff: the admin site is where comments are moderated, and a planner's staff account sees
    nothing else there (twin.admin.ProjectCommentAdmin checks the role; other pages need model permissions).
    """
    check(roles)
    had = set(user.groups.values_list("name", flat=True))
    added = [role for role in dict.fromkeys(roles) if role not in had]
    for role in added:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if PLANNER in roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if hasattr(user, "_jumeau_roles"):
        del user._jumeau_roles
    return added


def role_names(user) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_jumeau_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= {ADMIN}
        user._jumeau_roles = cached
    return cached


def can_see_networks(user) -> bool:
    """Buried networks are sensitive (DT-DICT): planners, field agents and admins only."""
    return bool(role_names(user) & {PLANNER, FIELD_AGENT, ADMIN})


def can_see_drafts(user) -> bool:
    """Draft projects are internal to the planning service."""
    return bool(role_names(user) & {PLANNER, ADMIN})


def can_watch_jobs(user) -> bool:
    """The job monitor (Flower) shows every job's arguments and results, network layers' included: staff who are
    admins (a superuser, or is_staff with the admin role), as the admin site's job pages."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or (user.is_staff and ADMIN in role_names(user)))


def describe(user) -> str:
    names = role_names(user)
    if not names:
        return "citizen"
    return ", ".join(sorted(names))
