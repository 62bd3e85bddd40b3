"""Who may see what: roles are Django groups; anonymous users are citizens."""
from __future__ import annotations

PLANNER = "planner"
FIELD_AGENT = "field_agent"
ADMIN = "admin"
ALL_ROLES = (PLANNER, FIELD_AGENT, ADMIN)


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


def describe(user) -> str:
    names = role_names(user)
    if not names:
        return "citizen"
    return ", ".join(sorted(names))
