"""The report queue: bounded, single-flight, and forgetful of renders nobody waits for.

Holding the service's one render slot stands for a worker busy with another
report: what is asked meanwhile stays queued, so what happens to it is certain.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from forms.demo import demo_villages
from forms.schema import shipped_forms
from reports.draw import Period, Scope
from reports.worker import TYPICAL_RENDER_SECONDS, ReportBusy, ReportRequest, ReportService
from server.db import Database
from server.form_versions import publish
from server.places import upsert_villages
from tests.conftest import eventually

CODES = [village["code"] for village in demo_villages()]


def _village(index: int) -> ReportRequest:
    return ReportRequest(Scope("village", CODES[index]), Period())


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[ReportService]:
    db_path = tmp_path / "minsheng.db"
    db = await Database.open(db_path)
    try:
        await publish(db, "household", shipped_forms()["household"], actor="test")
        await upsert_villages(db, demo_villages(), actor="test")
    finally:
        await db.close()
    service = ReportService(db_path, tmp_path / "reports", 2952.0, queue_limit=2)
    service.start()
    try:
        yield service
    finally:
        service.stop()


async def test_a_full_queue_refuses_another_report_with_an_estimate(service) -> None:
    async with service._slots:
        first = asyncio.ensure_future(service.get(_village(0)))
        second = asyncio.ensure_future(service.get(_village(1)))
        await eventually(lambda: service.queued == 2)
        with pytest.raises(ReportBusy) as busy:
            await service.get(_village(2))
        # Two renders ahead, one worker, none measured yet.
        assert busy.value.retry_after == 2 * TYPICAL_RENDER_SECONDS
        second.cancel()  # its requester leaves: a place comes free
        await eventually(lambda: service.queued == 1)
        third = asyncio.ensure_future(service.get(_village(2)))
        await eventually(lambda: service.queued == 2)
        third.cancel()
        await asyncio.gather(second, third, return_exceptions=True)
    assert (await first).read_bytes().startswith(b"%PDF-")
    assert service.renders == 1


async def test_joining_a_render_in_flight_is_never_refused(service) -> None:
    service.queue_limit = 1
    async with service._slots:
        first = asyncio.ensure_future(service.get(_village(0)))
        await eventually(lambda: service.queued == 1)
        joining = asyncio.ensure_future(service.get(_village(0)))
        await eventually(lambda: service.waiting == 2)
    assert await first == await joining
    assert service.renders == 1


async def test_a_queued_render_is_dropped_when_its_last_requester_leaves(service) -> None:
    service.queue_limit = 4
    async with service._slots:
        leaving = [asyncio.ensure_future(service.get(_village(i))) for i in range(3)]
        await eventually(lambda: service.queued == 3)
        for request in leaving:
            request.cancel()
        await asyncio.gather(*leaving, return_exceptions=True)
        assert service.queued == 0
    # The next real request is the next render, not the fourth.
    assert (await service.get(_village(3))).exists()
    assert service.renders == 1
    assert len(list(service.cache_dir.glob("*.pdf"))) == 1


async def test_one_requester_leaving_a_queued_render_leaves_it_for_the_others(service) -> None:
    async with service._slots:
        leaving = asyncio.ensure_future(service.get(_village(0)))
        staying = asyncio.ensure_future(service.get(_village(0)))
        await eventually(lambda: service.waiting == 2)
        leaving.cancel()
        await asyncio.gather(leaving, return_exceptions=True)
        assert service.queued == 1 and service.waiting == 1
    assert (await staying).read_bytes().startswith(b"%PDF-")
    assert service.renders == 1


async def test_a_started_render_finishes_into_the_cache_after_its_requester_leaves(
    service,
) -> None:
    leaving = asyncio.ensure_future(service.get(_village(0)))
    await eventually(lambda: service.renders == 1)  # a worker has it
    leaving.cancel()
    await asyncio.gather(leaving, return_exceptions=True)
    assert service.queued == 1  # still rendering, and still taking its place in the queue
    await eventually(lambda: service.queued == 0)
    assert (await service.get(_village(0))).exists()  # from the cache
    assert service.renders == 1
    assert service.render_seconds != TYPICAL_RENDER_SECONDS  # the render was measured
