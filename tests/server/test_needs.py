"""The needs ledger's API: items, steps on them (idempotent, checked, audited), lists."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.settings import Settings
from tests.conftest import new_id
from tests.world import A1, VILLAGE_A

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


def days_ago(days: int) -> str:
    """A day counted back from today where the surveys are made (the server's today)."""
    return (Settings().today() - timedelta(days=days)).isoformat()


async def store(
    client: AsyncTestClient[Any], answers: dict[str, Any], household_id: str = A1, **extra: Any
) -> str:
    sid = new_id()
    response = await client.post(
        "/api/forms/household/submissions",
        json={"id": sid, "version": 1, "answers": answers, "household_id": household_id, **extra},
    )
    assert response.status_code == 201, response.text
    return sid


async def items_of(client: AsyncTestClient[Any], submission_id: str) -> list[int]:
    """The items an answer's needs became, in the order it lists them."""
    rows = await client.app.state.db.fetch_all(
        "SELECT need_id FROM need_listings WHERE submission_id = ?"
        " ORDER BY CAST(substr(path, 8) AS INTEGER)",
        (submission_id,),
    )
    return [r["need_id"] for r in rows]


@pytest.fixture
async def stored(client: AsyncTestClient[Any], household: dict[str, Any]) -> dict[str, Any]:
    """One stored answer with two needs, surveyed ten days ago."""
    household["needs"] = NEEDS
    household["survey"]["date"] = days_ago(10)
    sid = await store(client, household)
    return {"id": sid, "survey_date": days_ago(10), "items": await items_of(client, sid)}


def _url(need_id: int) -> str:
    return f"/api/needs/{need_id}/steps"


async def test_each_need_of_an_answer_becomes_an_item(client, stored, world) -> None:
    water, training = stored["items"]
    found = (await client.get(f"/api/needs/{water}")).json()
    assert (found["category"], found["item"], found["urgency"]) == (
        "infrastructure_housing",
        "water",
        "urgent",
    )
    assert found["household_id"] == A1 and found["village_code"] == VILLAGE_A
    assert (found["raised_in"], found["raised_on"]) == (stored["id"], stored["survey_date"])
    assert found["raised_by"] == f"user:{world.user_ids['cadre_a']}"
    assert found["cadre_id"] == world.user_ids["cadre_a"]  # the cadre paired with A1
    assert (found["status"], found["steps"], found["days_open"]) == ("open", [], 10)
    assert found["listings"] == [
        {
            "submission_id": stored["id"],
            "path": "/needs/0",
            "listed_on": stored["survey_date"],
            "description": NEEDS[0]["description"],
            "urgency": "urgent",
            "current": True,
        }
    ]
    assert training != water


async def test_steps_are_stored_and_give_the_current_status(client, stored) -> None:
    water, training = stored["items"]
    referred = {
        "id": new_id(),
        "status": "referred",
        "happened_on": days_ago(8),
        "responsible_unit": "甘谷县水务局",
        "note": "已转水务局",
    }
    solved = {
        "id": new_id(),
        "status": "solved",
        "happened_on": days_ago(2),
        "note": "自来水已入户",
        "satisfaction": "satisfied",
    }
    # Recorded out of order: the current status follows the day of the step.
    first = await client.post(_url(water), json=solved)
    assert first.status_code == 201, first.text
    assert first.json()["id"] == solved["id"] and first.json()["need_id"] == water
    assert first.json()["recorded_by"] == f"user:{client.app.state.world.user_ids['cadre_a']}"
    assert (await client.post(_url(water), json=referred)).status_code == 201

    found = (await client.get(f"/api/needs/{water}")).json()
    assert [s["status"] for s in found["steps"]] == ["referred", "solved"]
    assert [s["note"] for s in found["steps"]] == ["已转水务局", "自来水已入户"]
    assert found["steps"][0]["recorded_by_name"] == "测试cadre_a"
    assert (found["status"], found["status_on"], found["closed_on"]) == (
        "solved",
        days_ago(2),
        days_ago(2),
    )
    assert (found["responsible_unit"], found["satisfaction"]) == ("甘谷县水务局", "satisfied")
    assert (found["step_count"], found["days_open"]) == (2, 8)  # raised to closed
    other = (await client.get(f"/api/needs/{training}")).json()
    assert (other["status"], other["steps"]) == ("open", [])


async def test_a_closed_need_may_be_opened_again_and_history_stays(client, stored) -> None:
    water = stored["items"][0]
    for status, day in (("solved_on_spot", 10), ("in_progress", 3)):
        body = {"id": new_id(), "status": status, "happened_on": days_ago(day)}
        assert (await client.post(_url(water), json=body)).status_code == 201
    found = (await client.get(f"/api/needs/{water}")).json()
    assert (found["status"], found["closed_on"], found["satisfaction"]) == (
        "in_progress",
        None,
        None,
    )
    assert [s["status"] for s in found["steps"]] == ["solved_on_spot", "in_progress"]


async def test_resend_is_200_and_one_copy_other_body_is_409(client, stored) -> None:
    water, training = stored["items"]
    body = {"id": new_id(), "status": "in_progress", "happened_on": days_ago(1)}
    first = await client.post(_url(water), json=body)
    again = await client.post(_url(water), json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = await client.post(_url(water), json={**body, "status": "solved"})
    assert other.status_code == 409 and other.json()["code"] == "id_conflict"
    # The same id on another need is another body too.
    assert (await client.post(_url(training), json=body)).status_code == 409
    counts = [(await client.get(f"/api/needs/{i}")).json()["step_count"] for i in (water, training)]
    assert counts == [1, 0]


async def test_each_step_is_audited(client, stored, settings: Settings) -> None:
    training = stored["items"][1]
    body = {"id": new_id(), "status": "solved_on_spot", "happened_on": stored["survey_date"]}
    assert (await client.post(_url(training), json=body)).status_code == 201
    assert (await client.post(_url(training), json=body)).status_code == 200
    with sqlite3.connect(settings.db_path) as conn:
        rows = conn.execute(
            "SELECT actor, target, detail FROM audit_log WHERE action = 'need.step.create'"
        ).fetchall()
    assert len(rows) == 1  # the resend stored nothing and audited nothing
    actor, target, detail = rows[0]
    cadre = f"user:{client.app.state.world.user_ids['cadre_a']}"
    assert (actor, target) == (cadre, f"need:{training}")
    assert json.loads(detail) == {
        "step": body["id"],
        "status": "solved_on_spot",
        "happened_on": stored["survey_date"],
    }


async def test_unknown_need_is_404(client, stored) -> None:
    body = {"id": new_id(), "status": "in_progress", "happened_on": days_ago(1)}
    missing = max(stored["items"]) + 1
    response = await client.post(_url(missing), json=body)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert (await client.get(f"/api/needs/{missing}")).status_code == 404
    english = await client.post(_url(missing), json=body, headers={"Accept-Language": "en"})
    assert english.json()["detail"] == f"need {missing} not found"


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"status": "done"}, "/status", "enum"),
        ({"happened_on": "2026-13-01"}, "/happened_on", "format"),
        ({"happened_on": "yesterday"}, "/happened_on", "format"),
        ({"happened_on": days_ago(-1)}, "/happened_on", "date.future"),
        ({"happened_on": days_ago(11)}, "/happened_on", "date.before_raised"),
        ({"satisfaction": "happy", "status": "solved"}, "/satisfaction", "enum"),
        ({"satisfaction": "satisfied"}, "/satisfaction", "satisfaction.not_closed"),
        ({"status": "referred"}, "/responsible_unit", "required"),
        ({"status": "referred", "responsible_unit": "  "}, "/responsible_unit", "required"),
        ({"note": "很" * 501}, "/note", "maxLength"),
        ({"responsible_unit": "局" * 101}, "/responsible_unit", "maxLength"),
    ],
)
async def test_bad_step_is_422_at_its_field(client, stored, change, path, code) -> None:
    water = stored["items"][0]
    body = {"id": new_id(), "status": "in_progress", "happened_on": days_ago(1), **change}
    response = await client.post(_url(water), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_step"
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [(path, code)]
    assert (await client.get(f"/api/needs/{water}")).json()["steps"] == []


async def test_errors_are_chinese_by_default_and_english_when_asked(client, stored) -> None:
    body = {"id": new_id(), "status": "in_progress", "happened_on": days_ago(-1)}
    url = _url(stored["items"][0])
    zh = await client.post(url, json=body)
    assert zh.json()["errors"][0]["message"].startswith("办理日期不能晚于今天")
    assert zh.json()["detail"] == "办理记录有误，请按提示修改"
    en = await client.post(url, json=body, headers={"Accept-Language": "en"})
    assert en.json()["errors"][0]["message"].startswith("Must not be after today")


async def test_bad_bodies_are_400_413_415(client, stored, settings: Settings) -> None:
    url = _url(stored["items"][0])
    malformed = await client.post(
        url, content=b'{"id": ', headers={"Content-Type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")
    missing = await client.post(url, json={"id": new_id(), "status": "solved"})
    assert (missing.status_code, missing.json()["code"]) == (400, "bad_body")
    unknown = await client.post(
        url, json={"id": new_id(), "status": "solved", "happened_on": days_ago(1), "x": 1}
    )
    assert unknown.status_code == 400
    form = await client.post(url, content=b"status=solved", headers={"Content-Type": "text/plain"})
    assert (form.status_code, form.json()["code"]) == (415, "unsupported_media_type")
    huge = await client.post(
        url,
        content=b'{"note": "' + b"x" * settings.max_body_bytes + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413


async def test_only_the_paired_cadre_steps_officials_read(client, stored, world) -> None:
    water = stored["items"][0]
    body = {"id": new_id(), "status": "in_progress", "happened_on": days_ago(1)}
    for persona, reads, steps in (
        ("official", 200, 404),
        ("official_other", 404, 404),
        ("cadre_b", 404, 404),
        ("admin", 200, 201),
    ):
        headers = world.as_(persona)
        assert (await client.get(f"/api/needs/{water}", headers=headers)).status_code == reads
        body["id"] = new_id()
        response = await client.post(_url(water), json=body, headers=headers)
        assert response.status_code == steps, (persona, response.text)


def test_demo_steps_are_reproducible_and_pass_the_checks() -> None:
    from forms.demo import demo_households, demo_villages
    from forms.demo_needs import demo_followups
    from server.need_steps import NeedStepCreate, check_step

    today = Settings().today()
    households = list(demo_households(2, demo_villages(), per_village=20))
    needs = followed = 0
    for index, answers in enumerate(households):
        surveyed, raised = answers["survey"]["date"], answers["needs"]
        steps = demo_followups(2, index, surveyed, raised, today)
        assert steps == demo_followups(2, index, surveyed, raised, today)
        for _, step in steps:
            assert check_step(NeedStepCreate(**step), surveyed, today, "en") == []
        needs += len(raised)
        followed += len({need for need, _ in steps})
    assert 0.6 < followed / needs < 0.8
