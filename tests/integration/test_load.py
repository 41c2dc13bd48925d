"""The sustained mixed load test (`tools/load/run.py`), short enough for CI.

Two web processes and two workers on a database of their own (on the test server), 30 seconds of
readers, writers (API tokens and browser sessions), logins and imports from one client process,
then the integrity check. Everything the clients were told must be in the database, no answer may
be a 5xx or a transport error, and no answer may differ from the one the tool expected.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.support.databases import TEST_DATABASE_PREFIX
from tests.support.load_runs import run_load

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.load, pytest.mark.slow]

LOAD_SECONDS = 30
RUN_TIMEOUT = 240.0
"""A passing run takes about 80 s on a busy 2-core machine; this only stops a hung one."""


def test_sustained_mixed_load_leaves_exactly_what_the_clients_were_told(tmp_path: Path) -> None:
    arguments = [
        *("--duration", str(LOAD_SECONDS)),
        *("--drain", "60"),
        *("--database-name", f"{TEST_DATABASE_PREFIX}{os.getpid()}_load"),
    ]
    result, output, returncode = run_load(tmp_path, arguments, RUN_TIMEOUT)
    metrics = result["metrics"]
    failed_checks = [check for check in result["integrity"] if not check["ok"]]
    assert metrics["requests"] > 500, output  # it really was under load
    assert metrics["server_errors"] == 0, output
    assert metrics["transport_errors"] == 0, output
    assert metrics["unexpected"] == 0, output
    assert metrics["problems"] == [], output
    assert result["dead"] == [], output
    assert failed_checks == [], output
    assert len(result["facts"]["import_jobs_per_worker"]) == 2, output
    assert returncode == 0, output
