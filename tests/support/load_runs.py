"""`tools/load/run.py` run from a test: its JSON results, its output (for assertion messages), its exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from tests.support.processes import PROJECT_ROOT, app_env

if TYPE_CHECKING:
    from pathlib import Path


def run_load(tmp_path: Path, arguments: list[str], timeout: float) -> tuple[dict[str, Any], str, int]:
    results = tmp_path / "load.json"
    command = [
        sys.executable,
        str(PROJECT_ROOT / "tools" / "load" / "run.py"),
        *arguments,
        *("--data-dir", str(tmp_path / "load")),
        *("--json", str(results)),
    ]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=app_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    print(done.stdout)
    output = f"{done.stdout[-14000:]}\n{done.stderr[-4000:]}"
    assert results.exists(), output
    return json.loads(results.read_text()), output, done.returncode
