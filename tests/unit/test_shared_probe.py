"""`Shared`: a burst of health checks runs one round of probes, and a finished round answers briefly."""

from __future__ import annotations

import asyncio

import pytest

from app.domain.system.services import Shared


class Probe:
    def __init__(self, result: bool = True, error: Exception | None = None) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.result = result
        self.error = error

    async def __call__(self) -> bool:
        self.runs += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.result


async def test_callers_arriving_during_a_run_share_it():
    shared: Shared[bool] = Shared(fresh_for=0.0)
    probe = Probe()

    waiting = [asyncio.ensure_future(shared(probe)) for _ in range(20)]
    await asyncio.sleep(0)
    probe.release.set()

    assert await asyncio.gather(*waiting) == [True] * 20
    assert probe.runs == 1


async def test_a_finished_run_answers_only_while_fresh():
    shared: Shared[bool] = Shared(fresh_for=0.05)
    probe = Probe()
    probe.release.set()

    await shared(probe)
    await shared(probe)
    assert probe.runs == 1
    await asyncio.sleep(0.06)
    await shared(probe)
    assert probe.runs == 2


async def test_a_failure_reaches_every_caller_of_that_run():
    shared: Shared[bool] = Shared(fresh_for=0.0)
    probe = Probe(error=RuntimeError("down"))

    waiting = [asyncio.ensure_future(shared(probe)) for _ in range(3)]
    await asyncio.sleep(0)
    probe.release.set()

    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [type(result) for result in results] == [RuntimeError] * 3
    assert probe.runs == 1


async def test_a_caller_that_goes_away_leaves_the_run_to_the_others():
    shared: Shared[bool] = Shared(fresh_for=0.0)
    probe = Probe()

    leaving = asyncio.ensure_future(shared(probe))
    staying = asyncio.ensure_future(shared(probe))
    await asyncio.sleep(0)
    leaving.cancel()
    probe.release.set()

    assert await staying is True
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert probe.runs == 1
