"""GET /reports/...pdf: PDFs for known villages and counties, clear errors otherwise."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import multiprocessing
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import AsyncTestClient

from forms.demo import demo_households, demo_villages
from reports import pdf as report_pdf
from reports import worker
from reports.cache import touch
from server.app import create_app
from server.settings import Settings
from tests.conftest import eventually
from tests.world import World, build_world, post_answers

VILLAGE = demo_villages()[0]["code"]


def _answers() -> dict[str, Any]:
    return next(demo_households(5, demo_villages()[:1], per_village=1))


OTHERS = [village["code"] for village in demo_villages()[1:]]
COUNTY = VILLAGE[:6]


@pytest.fixture
async def stocked(client: AsyncTestClient[Any], world: World) -> AsyncTestClient[Any]:
    """Eight answers in two villages; the client reads reports as the county's official."""
    await post_answers(client, world, list(demo_households(5, demo_villages()[:2], per_village=4)))
    client.headers.update(world.as_("official"))
    return client


async def test_village_report_is_a_pdf_attachment(stocked) -> None:
    response = await stocked.get(f"/reports/village/{VILLAGE}.pdf", params={"lang": "en"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f"village_{VILLAGE}_en.pdf" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")


async def test_unknown_village_or_county_is_404(stocked) -> None:
    admin = stocked.app.state.world.as_("admin")
    for url in (
        "/reports/village/620523999999.pdf",
        "/reports/county/629999.pdf",
        "/reports/village/abc.pdf",
        f"/reports/village/{VILLAGE}.txt",
    ):
        response = await stocked.get(url, headers=admin)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"


async def test_reports_are_read_within_ones_area_only(stocked, world) -> None:
    url = f"/reports/village/{VILLAGE}.pdf"
    assert (await stocked.get(url, headers=world.as_("official_other"))).status_code == 403
    assert (await stocked.get(url, headers=world.as_("cadre_a"))).status_code == 403
    assert (await stocked.get(url, headers=world.as_("anonymous"))).status_code == 401
    browser = {**world.as_("anonymous"), "Accept": "text/html"}
    redirected = await stocked.get(url, headers=browser, follow_redirects=False)
    assert redirected.status_code == 303
    assert redirected.headers["location"].startswith("/login?")


async def test_bad_dates_are_400_naming_the_parameter(stocked) -> None:
    response = await stocked.get(f"/reports/village/{VILLAGE}.pdf", params={"from": "2026-13-01"})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_date" and "from" in response.json()["detail"]
    response = await stocked.get(
        f"/reports/county/{COUNTY}.pdf", params={"from": "2026-06-01", "to": "2026-05-01"}
    )
    assert response.status_code == 400


async def test_two_requests_at_once_render_once_and_then_come_from_cache(stocked) -> None:
    service = stocked.app.state.reports
    url = f"/reports/county/{COUNTY}.pdf"
    first, second = await asyncio.gather(stocked.get(url), stocked.get(url))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert service.renders == 1
    again = await stocked.get(url)
    assert again.content == first.content and service.renders == 1
    # New data changes the fingerprint, so the report is made again.
    answers = next(demo_households(99, demo_villages()[:1], per_village=1))
    await post_answers(stocked, stocked.app.state.world, [answers], seed=801)
    assert (await stocked.get(url)).status_code == 200
    assert service.renders == 2


async def test_missing_cjk_font_is_503_with_a_clear_message(stocked, monkeypatch) -> None:
    monkeypatch.setattr(report_pdf, "CJK_FAMILIES", ("No Such Font SC",))
    report_pdf.find_cjk_font.cache_clear()
    try:
        response = await stocked.get(f"/reports/village/{VILLAGE}.pdf")
    finally:
        report_pdf.find_cjk_font.cache_clear()
    assert response.status_code == 503
    assert response.json()["code"] == "cjk_font_missing"
    assert "fonts-noto-cjk" in response.json()["detail"]
    assert stocked.app.state.reports.renders == 0


def _old_pdf(folder: Path, name: str, size: int, hours_ago: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"%PDF-" + b"0" * size)
    when = time.time() - hours_ago * 3600
    os.utime(path, (when, when))
    return path


async def test_writing_a_report_prunes_the_cache_to_its_budget(settings: Settings) -> None:
    settings = dataclasses.replace(settings, report_cache_mb=1)
    folder = settings.report_cache_dir
    oldest = _old_pdf(folder, "0" * 32 + ".pdf", 600_000, hours_ago=5)
    served = _old_pdf(folder, "1" * 32 + ".pdf", 300_000, hours_ago=4)
    stale_part = _old_pdf(folder, "2" * 32 + ".999.part", 10_000, hours_ago=2)
    async with AsyncTestClient(app=create_app(settings)) as client:
        world = await build_world(client.app.state.db, _answers())
        client.headers.update(world.as_("admin"))
        # A cache hit makes `served` the most recently used of the two old files.
        service = client.app.state.reports
        assert touch(served)
        response = await client.get(f"/reports/village/{VILLAGE}.pdf")
        assert response.status_code == 200, response.text
        assert service.renders == 1
    left = sorted(p.name for p in folder.iterdir())
    assert not oldest.exists() and not stale_part.exists()
    assert served.exists()
    assert len(left) == 2 and sum((folder / n).stat().st_size for n in left) <= 1024 * 1024


async def test_a_worker_is_warm_before_the_first_report_is_asked_for(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "WARM_DELAY", 0.0)
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get("/healthz")).status_code == 200  # start-up did not wait
        deadline = time.monotonic() + 60
        while not multiprocessing.active_children() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert multiprocessing.active_children(), "no render worker was started"
        assert client.app.state.reports.renders == 0


async def test_a_dead_worker_is_replaced_and_the_report_still_made(stocked) -> None:
    service = stocked.app.state.reports
    broken = service._pool
    # A worker that dies mid-task (as under the OOM killer) breaks the whole pool.
    with pytest.raises(worker.BrokenProcessPool):
        await asyncio.get_running_loop().run_in_executor(broken, os._exit, 1)
    response = await stocked.get(f"/reports/village/{VILLAGE}.pdf")
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"%PDF-")
    assert service._pool is not broken


async def test_report_errors_follow_the_language(stocked) -> None:
    url = f"/reports/village/{VILLAGE}.pdf"
    zh = await stocked.get(url, params={"from": "2026-13-01"})
    en = await stocked.get(url, params={"from": "2026-13-01"}, headers={"Accept-Language": "en"})
    assert zh.json()["detail"].startswith("from 应为日期")
    assert en.json()["detail"] == "from must be a date as YYYY-MM-DD, not '2026-13-01'"


async def test_a_requester_that_leaves_does_not_cancel_the_render_for_others(stocked) -> None:
    from reports.draw import Period, Scope
    from reports.worker import ReportRequest

    service = stocked.app.state.reports
    wanted = ReportRequest(Scope("village", VILLAGE), Period())
    leaving = asyncio.ensure_future(service.get(wanted))
    staying = asyncio.ensure_future(service.get(wanted))
    await eventually(lambda: service.waiting == 2)  # both wait on the same render
    leaving.cancel()
    path = await staying
    assert path.read_bytes().startswith(b"%PDF-")
    assert service.renders == 1
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_head_on_a_report_answers_like_get_without_a_body(stocked) -> None:
    url = f"/reports/village/{VILLAGE}.pdf"
    head = await stocked.head(url)  # made by the HEAD, then served from the cache
    got = await stocked.get(url)
    assert head.status_code == got.status_code == 200
    assert head.content == b"" and got.content.startswith(b"%PDF-")
    for name in ("content-type", "content-length", "content-disposition"):
        assert head.headers[name] == got.headers[name], name
    assert stocked.app.state.reports.renders == 1
    admin = stocked.app.state.world.as_("admin")
    assert (await stocked.head("/reports/county/629999.pdf", headers=admin)).status_code == 404


@asynccontextmanager
async def _uvicorn(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """`app` served by a real uvicorn on this test's event loop, and a client of it once it
    answers. Unlike the test client, which runs the app in a thread of its own and one
    request at a time, requests here run at once, and a client can hang up."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    server = uvicorn.Server(uvicorn.Config(app, ws="none", log_level="warning"))
    serving = asyncio.ensure_future(server.serve(sockets=[listening]))
    base = f"http://127.0.0.1:{listening.getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            assert (await client.get("/healthz")).status_code == 200  # waits for start-up
            yield client
    finally:
        server.should_exit = True
        await serving
        listening.close()


async def test_report_queue_full_answers_503_with_retry_after(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, report_queue=1))
    async with _uvicorn(app) as client:
        world = await build_world(app.state.db, _answers())
        client.headers.update(world.as_("admin"))
        service = app.state.reports
        url, other = f"/reports/village/{VILLAGE}.pdf", f"/reports/village/{OTHERS[0]}.pdf"
        async with service._slots:  # the one worker is busy: what is asked now stays queued
            first = asyncio.ensure_future(client.get(url))
            await eventually(lambda: service.queued == 1)
            busy = await client.get(other)
            busy_en = await client.get(other, headers={"Accept-Language": "en"})
            page = await client.get(other, headers={"Accept": "text/html"})
            joining = asyncio.ensure_future(client.get(url))  # the same report: it waits
            await eventually(lambda: service.waiting == 2)
        seconds = math.ceil(worker.TYPICAL_RENDER_SECONDS)  # one render ahead, one worker
        assert busy.status_code == busy_en.status_code == page.status_code == 503
        assert busy.json()["code"] == "report_busy"
        assert busy.headers["retry-after"] == page.headers["retry-after"] == str(seconds)
        assert f"请 {seconds} 秒后再试" in busy.json()["detail"]
        assert (
            busy_en.json()["detail"] == f"too many reports are being made; try again in {seconds} s"
        )
        assert page.headers["content-type"].startswith("text/html")
        assert (await first).status_code == (await joining).status_code == 200
        assert service.renders == 1


async def _ask_and_hang_up_later(client: httpx.AsyncClient, path: str) -> asyncio.StreamWriter:
    """Send a request on a connection of its own, left open for the caller to close."""
    host, port = client.base_url.host, client.base_url.port
    _, writer = await asyncio.open_connection(host, port)
    auth = client.headers["authorization"]
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n\r\n".encode())
    await writer.drain()
    return writer


async def test_abandoned_render_is_not_started(settings: Settings) -> None:
    app = create_app(settings)
    async with _uvicorn(app) as client:
        world = await build_world(app.state.db, _answers())
        client.headers.update(world.as_("admin"))
        service = app.state.reports
        async with service._slots:  # the one worker is busy: what is asked now stays queued
            leaving = [
                await _ask_and_hang_up_later(client, f"/reports/village/{code}.pdf")
                for code in OTHERS
            ]
            await eventually(lambda: service.queued == len(OTHERS))
            for writer in leaving:
                writer.close()
                await writer.wait_closed()
            await eventually(lambda: service.queued == 0)
        # The next real request is the next render, not the fifth.
        response = await client.get(f"/reports/village/{VILLAGE}.pdf")
        assert response.status_code == 200
        assert service.renders == 1
