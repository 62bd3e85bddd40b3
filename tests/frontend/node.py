"""Run a frontend ES module's pure functions in Node, as the browser imports them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path


def evaluate(module: Path, names: list[str], expression: str, tmp_path: Path):
    """The JSON value of `expression`, evaluated with `names` imported from `module` (copied as .mjs: Node reads
    a .js file as CommonJS outside a package that says otherwise)."""
    copy = tmp_path / (module.stem + ".mjs")
    shutil.copyfile(module, copy)
    script = (
        f"import {{ {', '.join(names)} }} from {json.dumps(copy.as_uri())}; console.log(JSON.stringify({expression}));"
    )
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
