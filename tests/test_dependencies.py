"""pyproject.toml declares exactly what the code imports: nothing missing that a fresh install would lack, nothing
declared for no reason."""

from __future__ import annotations

import ast
import functools
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_CODE = ("jumeau", "twin", "gis_sync", "tiles", "viewshed", "realtime", "frontend", "manage.py")
TEST_CODE = ("tests", "bench")
FIRST_PARTY = {"jumeau", "twin", "gis_sync", "tiles", "viewshed", "realtime", "frontend", "tests", "bench"}
# Runtime dependencies the code never imports by name, and who loads them.
LOADED_BY_NAME = {
    "daphne": "INSTALLED_APPS (runserver's ASGI server)",
    "channels-redis": "CHANNEL_LAYERS backend with REDIS_URL",
    "django-filter": "REST_FRAMEWORK's filter backend",
    "drf-spectacular-sidecar": "INSTALLED_APPS (Swagger UI served from the app, no CDN)",
    "django-celery-results": "INSTALLED_APPS and the Celery result backend",
    "psycopg": "Django's PostGIS backend with DATABASE_URL",
    "whitenoise": "MIDDLEWARE (static files from the embedded server)",
    "brotli": "WhiteNoise's compressor, for the .br copy of each static file",
    "flower": "the optional compose service `flower` (celery -A jumeau.celery flower), behind nginx's gate",
}
# Test-only packages loaded as plugins or tools, not imported by a test file.
TEST_TOOLS = {"pytest-django": "pytest plugin", "pytest-asyncio": "pytest plugin", "ruff": "the linter CI runs"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(group: str | None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {normalise(re.split(r"[\[=<>~ ;]", spec, maxsplit=1)[0]) for spec in specs}


def imported(packages: tuple[str, ...]) -> dict[str, str]:
    """Top-level third-party modules imported anywhere in `packages` (inside functions too) -> a file using it."""
    found: dict[str, str] = {}
    for package in packages:
        path = ROOT / package
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else ([node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
                )
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                        found.setdefault(top, str(file.relative_to(ROOT)))
    return found


@functools.cache
def installed() -> dict[str, list[str]]:
    return metadata.packages_distributions()


@functools.cache
def distributions(module: str) -> set[str]:
    found = {normalise(d) for d in installed().get(module, [])}
    if not found:  # a wheel without top_level.txt or RECORD entries naming the module: try its own name
        try:
            found = {normalise(metadata.distribution(module).metadata["Name"])}
        except metadata.PackageNotFoundError:
            pass
    return found


def test_every_module_the_app_imports_is_a_declared_runtime_dependency():
    runtime = declared(None)
    undeclared = {module: where for module, where in imported(APP_CODE).items() if not distributions(module) & runtime}
    assert undeclared == {}, f"imported by the app but not in [project] dependencies: {undeclared}"


def test_every_runtime_dependency_is_used():
    used = {d for module in imported(APP_CODE) for d in distributions(module)}
    unused = declared(None) - used - set(LOADED_BY_NAME)
    assert unused == set(), f"declared but never imported (remove them, or say who loads them): {sorted(unused)}"
    settings_text = (ROOT / "jumeau" / "settings.py").read_text(encoding="utf-8")
    for dist in LOADED_BY_NAME:
        assert dist in declared(None), f"{dist} is listed as loaded by name but not declared"
        if dist == "flower":
            assert '"jumeau.celery", "flower"' in (ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8")
        elif dist not in ("psycopg", "channels-redis", "brotli"):  # chosen by URL scheme, backend path, WhiteNoise
            assert (
                normalise(dist).replace("-", "_") in settings_text.replace("-", "_").lower()
                or dist.split("-")[-1] in settings_text
            ), f"{dist}: settings no longer name it"


def test_tests_and_benches_import_only_declared_packages():
    allowed = declared(None) | declared("test")
    undeclared = {module: where for module, where in imported(TEST_CODE).items() if not distributions(module) & allowed}
    assert undeclared == {}, f"imported by tests or benches but not declared: {undeclared}"
    used = {d for module in imported(TEST_CODE) for d in distributions(module)}
    unused = declared("test") - used - set(TEST_TOOLS)
    assert unused == set(), f"test extras nobody imports: {sorted(unused)}"
