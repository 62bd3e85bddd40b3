"""Settings come from the environment: embedded by default, PostGIS and Redis when asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'layer': s.CHANNEL_LAYERS['default']['BACKEND'], "
    "'debug': s.DEBUG, 'name': str(s.DATABASES['default'].get('NAME'))}))"
)


def _settings(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    base.update({"DJANGO_SETTINGS_MODULE": "jumeau.settings", "SECRET_KEY": "x" * 60}, **env)
    return subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=base, capture_output=True, text=True)


def test_a_fresh_checkout_runs_on_spatialite_and_the_in_memory_layer():
    out = json.loads(_settings().stdout)
    assert out["engine"] == "django.contrib.gis.db.backends.spatialite"
    assert out["name"].endswith("var/jumeau.sqlite3")
    assert out["layer"] == "channels.layers.InMemoryChannelLayer"
    assert out["debug"] is False


def test_database_url_switches_to_postgis_and_redis_url_to_channels_redis():
    out = json.loads(_settings(DATABASE_URL="postgis://jumeau@db:5432/jumeau", REDIS_URL="redis://cache:6379/0").stdout)
    assert out["engine"] == "django.contrib.gis.db.backends.postgis"
    assert out["name"] == "jumeau"
    assert out["layer"] == "channels_redis.core.RedisChannelLayer"


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = _settings(SECRET_KEY="", SECRET_KEY_FILE=str(tmp_path / "none"))
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_a_bad_boolean_fails_loudly():
    result = _settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_database_url_that_is_not_postgis_is_refused():
    result = _settings(DATABASE_URL="mysql://root@localhost/x")
    assert result.returncode != 0
    assert "DATABASE_URL must be postgis://" in result.stderr


def test_a_client_written_x_forwarded_proto_counts_only_behind_the_tls_proxy():
    """Embedded, nobody sets the header but the client: trusting it would pass plain HTTP off as HTTPS.
    (tests/deploy runs `check --deploy` with the production environment and the app behind nginx.)"""
    code = (
        "import django; django.setup(); from django.test import RequestFactory; "
        "print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https').is_secure())"
    )
    for behind, secure in (("0", "False"), ("1", "True")):
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
        env.update(DJANGO_SETTINGS_MODULE="jumeau.settings", SECRET_KEY="x" * 60, JUMEAU_BEHIND_TLS_PROXY=behind)
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.stdout.strip() == secure, result.stderr
