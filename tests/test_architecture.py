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

# Apps whose modules import at their top; an import inside a function is listed here, (file, module), with its
# reason: numba, pvlib or WeasyPrint kept off the start of every process (times measured after django.setup()),
# or the app registry not ready yet.
TOP_IMPORT_APPS = ("viewshed",)
_NUMBA_OFF_URLCONF = "the URLconf loads the views in every process; numba (0.2-0.4 s) only when a view is drawn"
FUNCTION_LEVEL_IMPORTS = {
    ("viewshed/apps.py", "viewshed.views"): "the views import models, and apps.py runs before the registry is ready",
    (
        "viewshed/models.py",
        "viewshed.impact",
    ): "every process loads the models; impact brings numba and pvlib, 1.2-1.8 s",
    ("viewshed/models.py", "viewshed.dsm"): "every process loads the models; the surface model brings numba",
    ("viewshed/tasks.py", "viewshed.dsm"): "jumeau.rebuilds loads the tasks in every process at ready(); numba",
    ("viewshed/report_views.py", "weasyprint"): "about 1 s to import, for the PDF alone",
    ("viewshed/views.py", "viewshed.dsm"): _NUMBA_OFF_URLCONF,
    ("viewshed/views.py", "viewshed.service"): _NUMBA_OFF_URLCONF,
    ("viewshed/views.py", "viewshed.surface"): _NUMBA_OFF_URLCONF,
    ("viewshed/views.py", "viewshed.kernel"): _NUMBA_OFF_URLCONF,
}
# viewshed's pure cores: neither they nor the first-party modules they import use Django, so the service, the
# shadow sweeps (realtime's shade) and bench/viewshed.py run them without Django set up.
PURE_CORES = (
    "viewshed.br209",
    "viewshed.daylight",
    "viewshed.errors",
    "viewshed.eye",
    "viewshed.facade_horizon",
    "viewshed.gardens",
    "viewshed.kernel",
    "viewshed.metrics",
    "viewshed.overlay",
    "viewshed.polygonize",
    "viewshed.raster_fill",
    "viewshed.service",
    "viewshed.shadow",
    "viewshed.sun",
    "viewshed.sunlight",
    "viewshed.surface",
    "viewshed.windows",
)


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


def function_level_imports(path: Path) -> list[tuple[str, int]]:
    """Modules imported inside a function (or a method) of a file, first-party or not, with their line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int]] = []
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    found += [(alias.name, node.lineno) for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    found.append((node.module, node.lineno))
    return sorted(set(found), key=lambda item: item[1])


@pytest.mark.parametrize("app", TOP_IMPORT_APPS)
def test_an_app_imports_at_the_top_of_its_modules_unless_it_says_why(app):
    unstated = [
        f"{path.relative_to(ROOT)}:{line} {module}"
        for path in package_files(app)
        for module, line in function_level_imports(path)
        if (str(path.relative_to(ROOT)), module) not in FUNCTION_LEVEL_IMPORTS
    ]
    assert unstated == [], (
        "import these at the top of the module, or list them in FUNCTION_LEVEL_IMPORTS "
        f"(tests/test_architecture.py) with the reason: {unstated}"
    )


@pytest.mark.parametrize(("file", "module"), sorted(FUNCTION_LEVEL_IMPORTS))
def test_every_stated_function_level_import_is_still_there(file, module):
    assert module in {m for m, _ in function_level_imports(ROOT / file)}, (
        f"{file} no longer imports {module} in a function: remove it from FUNCTION_LEVEL_IMPORTS"
    )


def _modules_imported(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it, third-party ones too."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}  # `from viewshed import sun`
    return names


def _django_chain(module: str, seen: set[str]) -> list[str]:
    """The chain of first-party imports from `module` to Django, or [] when it never gets there."""
    seen.add(module)
    for name in sorted(_modules_imported(ROOT / f"{module.replace('.', '/')}.py")):
        if name.split(".")[0] == "django":
            return [module, name]
        if name not in seen and (ROOT / f"{name.replace('.', '/')}.py").is_file():
            chain = _django_chain(name, seen)
            if chain:
                return [module, *chain]
    return []


@pytest.mark.parametrize("module", PURE_CORES)
def test_a_pure_core_runs_without_django(module):
    chain = _django_chain(module, set())
    assert chain == [], f"{module} reaches Django: {' -> '.join(chain)}"
