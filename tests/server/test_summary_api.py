"""GET /api/forms/{form_id}/summary.pdf: a form's summary for those who may read its
answers there, rendered by the real report workers; clear refusals otherwise."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from forms.demo import demo_households, demo_villages
from server.form_versions import publish
from tests.reports.stored import pdf_text
from tests.reports.village_form import FORM_ID, VILLAGE_FORM, village_answers
from tests.world import COUNTY, OTHER_COUNTY, VILLAGE_A, VILLAGE_B, World, post_answers

URL = "/api/forms/household/summary.pdf"


async def _stock(client: AsyncTestClient[Any], world: World) -> int:
    answers = list(demo_households(5, demo_villages()[:2], per_village=3))
    await post_answers(client, world, answers)
    return len(answers)


async def test_official_gets_their_countys_summary(
    client: AsyncTestClient[Any], world: World, tmp_path: Path
) -> None:
    posted = await _stock(client, world)
    response = await client.get(URL, params={"county": COUNTY}, headers=world.as_("official"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f"summary_household_{COUNTY}_zh.pdf" in response.headers["content-disposition"]
    (tmp_path / "s.pdf").write_bytes(response.content)
    text = " ".join(pdf_text(tmp_path / "s.pdf").split())
    assert "双联入户需求调查表 汇总报告" in text
    assert f"计入的答复 {posted}" in text
    audited = await client.app.state.db.fetch_one(
        "SELECT actor FROM audit_log WHERE action = 'report.download' AND target = ?",
        ("summary:household",),
    )
    assert audited is not None


async def test_cadre_or_official_outside_the_area_is_refused(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _stock(client, world)
    refused = [
        ("official_other", {"county": COUNTY}),
        ("official", {"county": OTHER_COUNTY}),
        ("cadre_a", {"village": VILLAGE_A}),  # paired with two households, not the village
        ("cadre_b", {"village": VILLAGE_A}),
        ("cadre_b", {"county": COUNTY}),  # paired with village B only
        ("cadre_b", {}),
        ("designer", {}),
    ]
    for persona, params in refused:
        response = await client.get(URL, params=params, headers=world.as_(persona))
        assert response.status_code == 403, (persona, params, response.text)
        assert response.json()["code"] == "forbidden"
    anonymous = await client.get(URL, headers=world.as_("anonymous"))
    assert anonymous.status_code == 401


async def test_cadre_gets_the_summary_of_a_village_paired_whole(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _stock(client, world)
    response = await client.get(URL, params={"village": VILLAGE_B}, headers=world.as_("cadre_b"))
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"%PDF-")


async def test_bad_or_unknown_asks_are_refused_as_exports_are(
    client: AsyncTestClient[Any], world: World
) -> None:
    admin = world.as_("admin")
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("/api/forms/nope/summary.pdf", {}, 404),
        (URL, {"version": 9}, 404),
        (URL, {"village": "620523999999"}, 404),  # well formed, no such village
        (URL, {"village": VILLAGE_A, "county": OTHER_COUNTY}, 404),
        (URL, {"village": "12345"}, 400),
        (URL, {"from": "2026-13-01"}, 400),
        (URL, {"from": "2026-05-02", "to": "2026-05-01"}, 422),
    ]
    for url, params, status in cases:
        response = await client.get(url, params=params, headers=admin)
        assert response.status_code == status, (url, params, response.text)
        assert response.json()["code"]


async def test_a_village_level_form_has_a_summary_too(
    client: AsyncTestClient[Any], world: World, tmp_path: Path
) -> None:
    db = client.app.state.db
    await publish(db, FORM_ID, VILLAGE_FORM, actor="test")
    for answer, village in zip(village_answers(4, 2), (VILLAGE_A, VILLAGE_B), strict=True):
        body = {"id": str(uuid.uuid4()), "version": 1, "answers": answer, "village_code": village}
        response = await client.post(
            f"/api/forms/{FORM_ID}/submissions", json=body, headers=world.as_("admin")
        )
        assert response.status_code == 201, response.text
    response = await client.get(
        f"/api/forms/{FORM_ID}/summary.pdf",
        params={"county": COUNTY, "lang": "en"},
        headers=world.as_("official"),
    )
    assert response.status_code == 200, response.text
    (tmp_path / "v.pdf").write_bytes(response.content)
    text = " ".join(pdf_text(tmp_path / "v.pdf").split())
    assert "Village facilities survey" in text and "Answers counted 2" in text
    assert "秘" not in text
