"""`manage.py check --deploy` is clean with the production environment docker/env.example ships."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from tests.conftest import ROOT
from tests.deploy.production import env_example


def test_check_deploy_is_clean_with_the_shipped_production_environment():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST") and k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}
    }
    env.update(env_example())
    # env.example's placeholder is rejected by the check, as it should be; an operator generates one like this.
    env.update(SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="jumeau.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_placeholder_secret_key_of_env_example_is_refused():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST") and k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}
    }
    env.update(env_example(), DJANGO_SETTINGS_MODULE="jumeau.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
