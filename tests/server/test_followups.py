from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.settings import Settings
from tests.conftest import new_id
from tests.world import A1

NEEDS = [
    {
        "category": "infrastructure_housing",
        "item": "water",
        "description": "吃水靠水窖，希望接通自来水。",
        "urgency": "urgent",
    },
    {
        "category": "employment",
        "item": "skills_training",
        "description": "想学电焊，希望参加技能培训。",
        "urgency": "normal",
    },
]


@pytest.fixture
async def stored(client: AsyncTestClient[Any], household: dict[str, Any]) -> dict[str, Any]:
    """One stored answer with two needs, surveyed ten days ago."""
    household["needs"] = NEEDS
    household["survey"]["date"] = _days_ago(10)
    sid = new_id()
    response = await client.post(
        "/api/forms/household/submissions",
        json={"id": sid, "version": 1, "answers": household, "household_id": A1},
    )
    assert response.status_code == 201, response.text
    return {"id": sid, "survey_date": household["survey"]["date"]}


def _url(sid: str, index: int = 0) -> str:
    return f"/api/submissions/{sid}/needs/{index}/followups"


def _days_ago(days: int) -> str:
    """A day as the server counts days (MINSHENG_TZ): the machine's own date is a day
    behind Asia/Shanghai's from 16:00 to 24:00 UTC."""
    return (Settings().today() - timedelta(days=days)).isoformat()


async def test_follow_up_steps_are_stored_and_give_the_current_status(client, stored) -> None:
    sid = stored["id"]
    referred = {
        "id": new_id(),
        "status": "referred",
        "happened_on": _days_ago(8),
        "responsible_unit": "甘谷县水务局",
    }
    solved = {
        "id": new_id(),
        "status": "solved",
        "happened_on": _days_ago(2),
        "result": "自来水已入户",
        "satisfaction": "satisfied",
    }
    # Recorded out of order: the current status follows the day of the step.
    first = await client.post(_url(sid), json=solved)
    assert first.status_code == 201, first.text
    assert first.json()["id"] == solved["id"] and first.json()["need_index"] == 0
    assert first.json()["recorded_by"] == f"user:{client.app.state.world.user_ids['cadre_a']}"
    assert (await client.post(_url(sid), json=referred)).status_code == 201

    listed = (await client.get(f"/api/submissions/{sid}/needs")).json()
    assert listed["survey_date"] == stored["survey_date"]
    water, training = listed["needs"]
    assert (water["item"], water["status"]) == ("water", "solved")
    assert [s["status"] for s in water["followups"]] == ["referred", "solved"]
    assert water["followups"][1]["satisfaction"] == "satisfied"
    assert (training["status"], training["followups"]) == ("open", [])


async def test_resend_is_200_and_one_copy_other_body_is_409(client, stored) -> None:
    body = {"id": new_id(), "status": "in_progress", "happened_on": _days_ago(1)}
    first = await client.post(_url(stored["id"]), json=body)
    again = await client.post(_url(stored["id"]), json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = await client.post(_url(stored["id"]), json={**body, "status": "solved"})
    assert other.status_code == 409 and other.json()["code"] == "id_conflict"
    # The same id on another need is another body too.
    elsewhere = await client.post(_url(stored["id"], 1), json=body)
    assert elsewhere.status_code == 409
    listed = (await client.get(f"/api/submissions/{stored['id']}/needs")).json()
    assert [len(n["followups"]) for n in listed["needs"]] == [1, 0]


async def test_each_step_is_audited(client, stored, settings: Settings) -> None:
    body = {"id": new_id(), "status": "solved_on_spot", "happened_on": stored["survey_date"]}
    assert (await client.post(_url(stored["id"], 1), json=body)).status_code == 201
    assert (await client.post(_url(stored["id"], 1), json=body)).status_code == 200
    with sqlite3.connect(settings.db_path) as conn:
        rows = conn.execute(
            "SELECT actor, target, detail FROM audit_log WHERE action = 'need.followup.create'"
        ).fetchall()
    assert len(rows) == 1  # the resend stored nothing and audited nothing
    actor, target, detail = rows[0]
    cadre = f"user:{client.app.state.world.user_ids['cadre_a']}"
    assert (actor, target) == (cadre, f"submission:{stored['id']}")
    assert json.loads(detail) == {
        "need_index": 1,
        "followup": body["id"],
        "status": "solved_on_spot",
        "happened_on": stored["survey_date"],
    }


async def test_unknown_submission_or_need_is_404(client, stored) -> None:
    body = {"id": new_id(), "status": "in_progress", "happened_on": _days_ago(1)}
    for url in (_url(new_id()), _url(stored["id"], 2), _url(stored["id"], -1)):
        response = await client.post(url, json=body)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    assert (await client.get(f"/api/submissions/{new_id()}/needs")).status_code == 404
    english = await client.post(_url(stored["id"], 2), json=body, headers={"Accept-Language": "en"})
    assert english.json()["detail"] == f"need 2 of submission {stored['id']!r} not found"


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"status": "done"}, "/status", "enum"),
        ({"happened_on": "2026-13-01"}, "/happened_on", "format"),
        ({"happened_on": "yesterday"}, "/happened_on", "format"),
        ({"happened_on": _days_ago(-1)}, "/happened_on", "date.future"),
        ({"happened_on": _days_ago(11)}, "/happened_on", "date.before_survey"),
        ({"satisfaction": "happy", "status": "solved"}, "/satisfaction", "enum"),
        ({"satisfaction": "satisfied"}, "/satisfaction", "satisfaction.not_closed"),
        ({"status": "referred"}, "/responsible_unit", "required"),
        ({"result": "很" * 501}, "/result", "maxLength"),
    ],
)
async def test_bad_step_is_422_at_its_field(client, stored, change, path, code) -> None:
    body = {"id": new_id(), "status": "in_progress", "happened_on": _days_ago(1), **change}
    response = await client.post(_url(stored["id"]), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_followup"
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [(path, code)]
    listed = (await client.get(f"/api/submissions/{stored['id']}/needs")).json()
    assert listed["needs"][0]["followups"] == []


async def test_errors_are_chinese_by_default_and_english_when_asked(client, stored) -> None:
    body = {"id": new_id(), "status": "in_progress", "happened_on": _days_ago(-1)}
    zh = await client.post(_url(stored["id"]), json=body)
    assert zh.json()["errors"][0]["message"].startswith("办理日期不能晚于今天")
    assert zh.json()["detail"] == "办理记录有误，请按提示修改"
    en = await client.post(_url(stored["id"]), json=body, headers={"Accept-Language": "en"})
    assert en.json()["errors"][0]["message"].startswith("Must not be after today")


async def test_bad_bodies_are_400_413_415(client, stored, settings: Settings) -> None:
    url = _url(stored["id"])
    malformed = await client.post(
        url, content=b'{"id": ', headers={"Content-Type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")
    missing = await client.post(url, json={"id": new_id(), "status": "solved"})
    assert (missing.status_code, missing.json()["code"]) == (400, "bad_body")
    unknown = await client.post(
        url, json={"id": new_id(), "status": "solved", "happened_on": _days_ago(1), "x": 1}
    )
    assert unknown.status_code == 400
    form = await client.post(url, content=b"status=solved", headers={"Content-Type": "text/plain"})
    assert (form.status_code, form.json()["code"]) == (415, "unsupported_media_type")
    huge = await client.post(
        url,
        content=b'{"result": "' + b"x" * settings.max_body_bytes + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413


def test_demo_follow_ups_are_reproducible_and_pass_the_checks() -> None:
    from forms.demo import demo_households, demo_villages
    from forms.demo_needs import demo_followups
    from server.followups import FollowupCreate, check_followup

    today = date.today()
    households = list(demo_households(2, demo_villages(), per_village=20))
    needs = followed = 0
    for index, answers in enumerate(households):
        surveyed, raised = answers["survey"]["date"], answers["needs"]
        steps = demo_followups(2, index, surveyed, raised, today)
        assert steps == demo_followups(2, index, surveyed, raised, today)
        for _, step in steps:
            assert check_followup(FollowupCreate(**step), surveyed, today, "en") == []
        needs += len(raised)
        followed += len({need for need, _ in steps})
    assert 0.6 < followed / needs < 0.8
