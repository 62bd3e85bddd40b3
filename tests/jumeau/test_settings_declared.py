"""Every setting the code reads is declared in jumeau/settings.py, from its environment variable, with a comment."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import global_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "jumeau" / "settings.py"
CODE = ("jumeau", "twin", "gis_sync", "tiles", "viewshed", "realtime", "frontend")


def code_files() -> list[Path]:
    return sorted(
        p
        for package in CODE
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and p not in (SETTINGS, ROOT / "jumeau" / "envsettings.py")
    )


def declared() -> dict[str, int]:
    """Top-level names assigned in settings.py, with their line numbers."""
    tree = ast.parse(SETTINGS.read_text(encoding="utf-8"))
    names: dict[str, int] = {}
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            for name in [target] if isinstance(target, ast.Name) else getattr(target, "elts", []):
                if isinstance(name, ast.Name):
                    names.setdefault(name.id, node.lineno)
    return names


def read_settings() -> dict[str, str]:
    """NAME -> where, for every `settings.NAME` and `getattr(settings, "NAME", ...)` in the code."""
    found: dict[str, str] = {}
    for path in code_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings":
                found.setdefault(node.attr, f"{path.relative_to(ROOT)}:{node.lineno}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "settings"
            ):
                found.setdefault(f"getattr:{ast.unparse(node.args[1])}", f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_code_reads_a_setting_with_a_default_of_its_own():
    hidden = {name: where for name, where in read_settings().items() if name.startswith("getattr:")}
    assert hidden == {}, f"declare these in jumeau/settings.py and read settings.NAME: {hidden}"


def test_every_setting_read_is_declared_or_django_s_own():
    names = declared()
    missing = {
        name: where
        for name, where in read_settings().items()
        if not name.startswith("getattr:")
        and name.isupper()
        and name not in names
        and not hasattr(global_settings, name)
    }
    assert missing == {}, f"read but not declared in jumeau/settings.py: {missing}"


def test_no_app_reads_the_project_s_environment_variables_itself():
    pattern = re.compile(r"""os\.(?:getenv|environ\.get|environ\[)\(?\s*["'](JUMEAU_\w+|REALTIME_\w+)""")
    reads = [
        f"{p.relative_to(ROOT)}: {m.group(1)}"
        for p in code_files()
        for m in pattern.finditer(p.read_text(encoding="utf-8"))
    ]
    assert reads == [], f"read these through a setting in jumeau/settings.py: {reads}"


def test_each_of_the_project_s_settings_says_what_it_is():
    """A JUMEAU_* setting has a comment on its line, above it, or above the group of settings it belongs to."""
    lines = SETTINGS.read_text(encoding="utf-8").splitlines()
    silent = []
    for name, lineno in declared().items():
        if not name.startswith("JUMEAU_"):
            continue
        i = lineno - 1
        while i > 0 and "#" not in lines[i] and re.match(r"^[A-Z_]+\s*=", lines[i - 1]):
            i -= 1  # a group of settings under one comment
        if "#" not in lines[i] and not lines[i - 1].lstrip().startswith("#"):
            silent.append(name)
    assert silent == [], f"say in a comment what these settings are for: {silent}"
