"""`make demo` / `make test` setup: what is wrong and how to fix it, never a bare stack trace."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"
PYENV_PYTHON = Path.home() / ".pyenv" / "versions" / "3.11.7" / "bin" / "python3"


def run(env: dict[str, str], user: str | None = None, script: Path = BOOTSTRAP) -> subprocess.CompletedProcess:
    cmd = ["bash", str(script)]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(
        cmd, cwd=script.parent.parent, env={**os.environ, **env}, capture_output=True, text=True, timeout=600
    )


def test_a_user_without_root_or_sudo_is_told_which_packages_to_install():
    pwd.getpwnam("nobody")
    # The checkout may sit in a folder only root can read (CI clones into `mktemp -d`): run a copy
    # of the script from a folder `nobody` can use; it stops at the package check, before it needs the rest.
    repo = Path(tempfile.mkdtemp(prefix="jumeau-bootstrap-", dir="/tmp"))
    try:
        (repo / "scripts").mkdir()
        shutil.copy(BOOTSTRAP, repo / "scripts" / "bootstrap.sh")
        for folder in (repo, repo / "scripts"):
            folder.chmod(0o777)
        # `sl` is a real Debian package that nobody needs here: missing on purpose.
        result = run(
            {"JUMEAU_EXTRA_DEB_PACKAGES": "sl", "HOME": str(repo)},
            user="nobody",
            script=repo / "scripts" / "bootstrap.sh",
        )
    finally:
        shutil.rmtree(repo, ignore_errors=True)
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
