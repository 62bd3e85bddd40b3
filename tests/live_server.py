"""What tests that start real server processes share: a free port and a database of their own."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_database(env: dict[str, str], name: str) -> tuple[dict[str, str], Callable[[], None]]:
    """Point a server's environment at a database of its own, never the one pytest-django manages.

    A SpatiaLite file under var/ by default; a fresh PostGIS database when DATABASE_URL is set.
    Returns the environment and a function that drops the database.
    """
    url = env.get("DATABASE_URL", "")
    if not url:
        env["SPATIALITE_NAME"] = f"{name}.sqlite3"
        path = Path(env.get("JUMEAU_VAR_DIR", ROOT / "var")) / env["SPATIALITE_NAME"]

        def drop() -> None:
            path.unlink(missing_ok=True)

        return env, drop
    import psycopg

    parts = urlparse(url)
    admin_url = parts._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = parts._replace(path=f"/{name}").geturl()

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return env, drop
