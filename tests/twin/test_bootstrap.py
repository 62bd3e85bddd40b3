"""`make demo` / `make test` setup: what is wrong and how to fix it, never a bare stack trace."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"
PYENV_PYTHON = Path.home() / ".pyenv" / "versions" / "3.11.7" / "bin" / "python3"


def run(env: dict[str, str], user: str | None = None) -> subprocess.CompletedProcess:
    cmd = ["bash", str(BOOTSTRAP)]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=600)


def test_a_user_without_root_or_sudo_is_told_which_packages_to_install(tmp_path):
    pwd.getpwnam("nobody")
    # `sl` is a real Debian package that nobody needs here: missing on purpose.
    result = run({"JUMEAU_EXTRA_DEB_PACKAGES": "sl", "HOME": str(tmp_path)}, user="nobody")
    assert result.returncode != 0
    assert "Missing Debian packages: sl" in result.stderr
    assert "apt-get install -y sl" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_python_without_sqlite_extension_loading_is_refused_with_advice():
    if not PYENV_PYTHON.exists():
        pytest.skip("needs a Python built without SQLite extension loading (the machine's pyenv 3.11.7)")
    result = run({"JUMEAU_PYTHON": str(PYENV_PYTHON)})
    assert result.returncode != 0
    assert "cannot load the SpatiaLite extension" in result.stderr
    assert "use Debian's python3" in result.stderr


def test_a_second_run_finds_everything_in_place_and_returns_quickly():
    result = run({})
    assert result.returncode == 0, result.stderr
    assert "Environment ready." in result.stdout
    assert "Installing" not in result.stdout
