"""The needs pages: the officials' ledger, a need's history, the cadre's list, without JS."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from tests.conftest import new_id
from tests.server.test_needs import days_ago, items_of, store
from tests.server.test_needs_sync import ROAD, TRAINING, WATER, step, survey
from tests.world import VILLAGE_A

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _ledger(client: Any, household: dict[str, Any]) -> list[int]:
    first = await store(client, survey(household, [WATER, ROAD], days_ago(100)))
    water, road = await items_of(client, first)
    await step(client, water, "referred", days_ago(90), responsible_unit="甘谷县水务局")
    second = await store(client, survey(household, [WATER, TRAINING], days_ago(3)))
    return [water, road, (await items_of(client, second))[1]]


async def test_officials_see_their_areas_needs_overdue_first_with_history(
    client, world, household
) -> None:
    water, road, training = await _ledger(client, household)
    page = await client.get("/needs", headers=world.as_("official"))
    assert page.status_code == 200, page.text
    text = page.text
    # Overdue first: water (urgent, 100 days), road (normal, 100 days), then training.
    order = [int(i) for i in re.findall(r'id="need-(\d+)"', text)]
    assert order == [water, road, training]
    assert "饮水" in text and "道路" in text and "技能培训" in text  # the form's own words
    assert "甘谷县水务局" in text and "逾期" in text
    assert "按帮扶干部" in text and "按责任单位" in text and "测试cadre_a" in text
    assert not re.search(r'action="/needs/\d+/steps', text)  # an official records no step
    other = await client.get("/needs", headers=world.as_("official_other"))
    assert 'id="need-' not in other.text
    english = await client.get("/needs?lang=en", headers=world.as_("official"))
    assert "Needs ledger" in english.text and "Drinking water" in english.text


async def test_the_ledger_filters_by_what_is_asked(client, world, household) -> None:
    water, road, training = await _ledger(client, household)

    async def shown(**asked: str) -> list[int]:
        page = await client.get(f"/needs?{urlencode(asked)}", headers=world.as_("official"))
        assert page.status_code == 200
        return [int(i) for i in re.findall(r'id="need-(\d+)"', page.text)]

    assert await shown(status="referred") == [water]
    assert await shown(unit="甘谷县水务局") == [water]
    assert await shown(category="employment") == [training]
    assert await shown(overdue="1") == [water, road]
    assert await shown(village=VILLAGE_A, cadre=str(world.user_ids["cadre_a"])) == [
        water,
        road,
        training,
    ]
    assert await shown(status="closed") == []
    assert await shown(status="nonsense") == [water, road, training]  # read as not closed


async def test_the_cadre_is_asked_first_and_records_a_step_without_javascript(
    client, world, household
) -> None:
    _water, road, _training = await _ledger(client, household)
    page = await client.get("/needs/mine")
    assert page.status_code == 200
    order = [int(i) for i in re.findall(r'id="need-(\d+)"', page.text)]
    assert order[0] == road  # not listed since the last survey: asked first
    assert "没有再列出这项需求" in page.text
    assert 'src="/static/needs.js?v=' in page.text
    form = re.search(rf'action="/needs/{road}/steps\?lang=zh".*?</form>', page.text, re.S)
    assert form, "no step form for the need asked about"
    step_id = re.search(r'name="_id" value="([0-9a-f-]{36})"', form.group(0))
    assert step_id
    body = {
        "_id": step_id.group(1),
        "next": "/needs/mine",
        "status": "solved",
        "happened_on": days_ago(1),
        "satisfaction": "satisfied",
        "note": "入户路已硬化",
    }
    for _ in range(2):  # a second tap of the button stores nothing more
        sent = await client.post(
            f"/needs/{road}/steps", content=urlencode(body), headers=FORM, follow_redirects=False
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == "/needs/mine?lang=zh&done=step"
    found = (await client.get(f"/api/needs/{road}")).json()
    assert (found["status"], found["step_count"], found["attention"]) == ("solved", 1, None)
    assert found["steps"][0]["note"] == "入户路已硬化"


async def test_a_wrong_step_shows_the_page_again_with_the_reason(client, household) -> None:
    water = (await _ledger(client, household))[0]
    body = {"_id": new_id(), "status": "referred", "happened_on": days_ago(1), "note": "转办"}
    sent = await client.post(f"/needs/{water}/steps", content=urlencode(body), headers=FORM)
    assert sent.status_code == 422
    assert "已转办的须填写责任单位" in sent.text and "转办</textarea>" in sent.text
    back = {**body, "responsible_unit": "水务局", "next": "https://evil.example/"}
    again = await client.post(
        f"/needs/{water}/steps", content=urlencode(back), headers=FORM, follow_redirects=False
    )
    assert again.headers["location"].startswith(f"/needs/{water}?")  # never elsewhere


async def test_a_needs_page_shows_every_step_and_answer_and_who_may_step(
    client, world, household
) -> None:
    water = (await _ledger(client, household))[0]
    mine = await client.get(f"/needs/{water}")
    assert "甘谷县水务局" in mine.text and "测试cadre_a" in mine.text
    assert mine.text.count('class="meta">20') >= 2  # the steps' and answers' days
    assert f'action="/needs/{water}/steps' in mine.text
    official = await client.get(f"/needs/{water}", headers=world.as_("official"))
    assert official.status_code == 200 and "/steps" not in official.text
    for persona in ("official_other", "cadre_b"):
        assert (await client.get(f"/needs/{water}", headers=world.as_(persona))).status_code == 404
    refused = await client.post(
        f"/needs/{water}/steps",
        content=urlencode({"_id": new_id(), "status": "in_progress", "happened_on": days_ago(1)}),
        headers={**FORM, **world.as_("official")},
    )
    assert refused.status_code == 404
