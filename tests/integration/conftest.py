"""Fixtures of the tests that start real processes or use the job queue directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from saq import Queue

from app.server.plugins import get_saq_plugin
from tests.support.processes import ManagedProcess


@pytest.fixture
def processes() -> Iterator[list[ManagedProcess]]:
    """Servers and workers a test starts; any still running at the end are killed."""
    started: list[ManagedProcess] = []
    yield started
    for process in started:
        process.kill()


@pytest.fixture(scope="module")
async def queue() -> Queue:
    """The app's own `default` queue (same DSN, same tables as the web app and the workers)."""
    queue = get_saq_plugin().get_queue("default")
    await queue.connect()
    return queue
