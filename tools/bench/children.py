"""Child Python processes of the benchmark: `tools/` on their path, JSON results through a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def tools_env(base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """`base` (default: this process's environment) with `tools/` first on `PYTHONPATH` and quiet logging."""
    env = dict(os.environ if base is None else base)
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT / "tools"), env.get("PYTHONPATH")]))
    return {**env, "PYTHONPATH": path, "LOG_LEVEL": "WARNING", **extra}


def run_module(module: str, *args: str, env: dict[str, str]) -> None:
    """`python -m module args...`; raises with its output when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        output = done.stdout[-3000:] + done.stderr[-3000:]
        msg = f"python -m {module} {' '.join(args)} failed ({done.returncode}):\n{output}"
        raise RuntimeError(msg)


def run_json_module(module: str, *args: str, env: dict[str, str]) -> Any:
    """`python -m module args... --out FILE`, and the JSON it wrote to FILE."""
    with tempfile.TemporaryDirectory(prefix="bench-child-") as scratch:
        out = Path(scratch) / "out.json"
        run_module(module, *args, "--out", str(out), env=env)
        return json.loads(out.read_text())
