"""The floors of docs/ARCHITECTURE.md hold: imports point down, never up, and apps meet only through twin or a
stated interface. Every import counts, those inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "jumeau"
APPS = ("gis_sync", "tiles", "viewshed", "realtime", "frontend")
CORE = "twin"
FIRST_PARTY = (PROJECT, CORE, *APPS)

# The stated interfaces between apps: (importing app, imported module) and why the arrow is there.
INTERFACES = {
    ("realtime", "viewshed.sun"): "shade on the streets uses the sun core",
    ("realtime", "viewshed.shadow"): "shade on the streets uses the shadow core",
    ("realtime", "viewshed.dsm"): "shade is computed on the surface model",
    ("realtime", "viewshed.errors"): "a missing surface model is told to the shade job",
    ("realtime", "tiles.announce"): "/ws/layers/ tells open apps of new builds",
}


def imports_of(path: Path) -> list[tuple[str, int]]:
    """First-party modules imported by a file, with their line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
            # `from viewshed import sun` imports the module viewshed.sun
            found += [
                (f"{node.module}.{alias.name}", node.lineno)
                for alias in node.names
                if (ROOT / node.module.replace(".", "/") / f"{alias.name}.py").exists()
            ]
    return [(name, line) for name, line in found if name.split(".")[0] in FIRST_PARTY]


def package_files(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def crossings() -> list[tuple[str, str, str]]:
    """(file:line, importing package, imported module) for every import leaving a package, the project's aside."""
    out = []
    for package in (CORE, *APPS):
        for path in package_files(package):
            for module, line in imports_of(path):
                top = module.split(".")[0]
                if top != package:
                    out.append((f"{path.relative_to(ROOT)}:{line}", package, module))
    return out


def test_twin_imports_no_app_and_not_the_project():
    up = [(where, module) for where, package, module in crossings() if package == CORE]
    assert up == [], f"twin is the lowest floor; these imports point up: {up}"


def test_no_app_imports_the_project_package():
    up = [(where, module) for where, package, module in crossings() if module.split(".")[0] == PROJECT]
    assert up == [], f"only the project package wires apps together; these point up to it: {up}"


def test_apps_meet_only_through_twin_or_a_stated_interface():
    sideways = [
        (where, module)
        for where, package, module in crossings()
        if package in APPS
        and module.split(".")[0] in APPS
        and not any(package == a and (module == m or module.startswith(m + ".")) for a, m in INTERFACES)
    ]
    assert sideways == [], (
        "apps reach each other only through twin or an interface listed in "
        f"tests/test_architecture.py with its reason: {sideways}"
    )


@pytest.mark.parametrize(("app", "module"), sorted(INTERFACES))
def test_every_stated_interface_is_still_used(app, module):
    used = {(package, m) for _, package, m in crossings()}
    assert any(package == app and (m == module or m.startswith(module + ".")) for package, m in used), (
        f"{app} no longer imports {module}: remove it from INTERFACES"
    )


def test_the_check_sees_an_arrow_pointing_up(tmp_path):
    """The parser finds imports inside functions and `from package import module` spellings."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from tiles import build\n    import gis_sync.models\n", encoding="utf-8")
    assert {m for m, _ in imports_of(sample)} >= {"tiles", "tiles.build", "gis_sync.models"}
