"""GET /reports/...pdf: PDFs for known villages and counties, clear errors otherwise."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from forms.demo import demo_households, demo_villages
from reports import pdf as report_pdf
from server.villages import upsert_villages
from tests.conftest import new_id

VILLAGE = demo_villages()[0]["code"]
COUNTY = VILLAGE[:6]


@pytest.fixture
async def stocked(client: AsyncTestClient[Any]) -> AsyncTestClient[Any]:
    await upsert_villages(client.app.state.db, demo_villages(), actor="test")
    for answers in demo_households(5, demo_villages()[:2], per_village=4):
        response = await client.post(
            "/api/forms/household/submissions",
            json={"id": new_id(), "version": 1, "answers": answers},
        )
        assert response.status_code == 201, response.text
    return client


async def test_village_report_is_a_pdf_attachment(stocked) -> None:
    response = await stocked.get(f"/reports/village/{VILLAGE}.pdf", params={"lang": "en"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f"village_{VILLAGE}_en.pdf" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")


async def test_unknown_village_or_county_is_404(stocked) -> None:
    for url in (
        "/reports/village/620523999999.pdf",
        "/reports/county/629999.pdf",
        "/reports/village/abc.pdf",
        f"/reports/village/{VILLAGE}.txt",
    ):
        response = await stocked.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"


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
    await stocked.post(
        "/api/forms/household/submissions", json={"id": new_id(), "version": 1, "answers": answers}
    )
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
