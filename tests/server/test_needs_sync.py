"""Surveying a household again: its needs continue, nothing is duplicated, no history lost."""

from __future__ import annotations

import copy
import sqlite3
from typing import Any

from forms.needs import ListedNeed
from reports.draw import Period, Scope
from reports.figures import build_report
from server.needs_sync import Held, match, sync_needs
from tests.conftest import new_id
from tests.server.test_needs import days_ago, items_of, store
from tests.world import A1, VILLAGE_A

LINE = 2952.0


def need(category: str, item: str, urgency: str = "normal", text: str = "") -> dict[str, Any]:
    return {
        "category": category,
        "item": item,
        "description": text or f"{item}的需求",
        "urgency": urgency,
    }


WATER = need("infrastructure_housing", "water", "urgent", "吃水靠水窖，希望接通自来水。")
ROAD = need("infrastructure_housing", "road", "normal", "入户路是土路。")
TRAINING = need("employment", "skills_training", "normal", "想学电焊。")
TOILET = need("environment", "toilet", "long_term", "希望改厕。")


def survey(household: dict[str, Any], needs: list[dict[str, Any]], day: str) -> dict[str, Any]:
    answers = copy.deepcopy(household)
    answers["needs"] = copy.deepcopy(needs)
    answers["survey"]["date"] = day
    return answers


async def step(client: Any, need_id: int, status: str, day: str, **extra: Any) -> None:
    body = {"id": new_id(), "status": status, "happened_on": day, **extra}
    response = await client.post(f"/api/needs/{need_id}/steps", json=body)
    assert response.status_code == 201, response.text


async def need_of(client: Any, need_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/needs/{need_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def ledger_of(client: Any) -> list[dict[str, Any]]:
    """Every item of A1, not withdrawn, as the API lists them (all pages)."""
    page = (await client.get(f"/api/needs?household={A1}&limit=500")).json()
    assert page["next"] is None
    items: list[dict[str, Any]] = page["items"]
    return sorted(items, key=lambda n: n["id"])


async def count(client: Any, table: str) -> int:
    row = await client.app.state.db.fetch_one(f"SELECT count(*) FROM {table}")
    return int(row[0])


# ---------------------------------------------------------------- matching, without I/O


def _listed(*keys: tuple[str, str]) -> list[ListedNeed]:
    return [ListedNeed(f"/needs/{i}", c, k, None, None) for i, (c, k) in enumerate(keys)]


def test_open_items_continue_oldest_first_and_closed_ones_only_when_carried_over() -> None:
    held = [
        Held(1, "a", "x", closed=False, raised_on="2026-01-05", last_listed_in="s1"),
        Held(2, "a", "x", closed=False, raised_on="2026-01-01", last_listed_in="s0"),
        Held(3, "b", "y", closed=True, raised_on="2026-01-01", last_listed_in="s1"),
        Held(4, "c", "z", closed=True, raised_on="2026-01-01", last_listed_in="s0"),
    ]
    found = match(
        _listed(("a", "x"), ("a", "x"), ("a", "x"), ("b", "y"), ("c", "z")), held, previous="s1"
    )
    assert found.items == [2, 1, None, 3, None]
    assert found.listed_again == {3}


def test_a_correction_continues_what_the_corrected_answer_listed_first() -> None:
    held = [
        Held(1, "a", "x", closed=False, raised_on="2026-01-01", last_listed_in="s0"),
        Held(
            2,
            "a",
            "x",
            closed=True,
            raised_on="2026-02-01",
            last_listed_in="s1",
            corrected_path="/needs/0",
        ),
    ]
    found = match(_listed(("a", "x")), held, previous="s0")
    assert found.items == [2] and found.listed_again == set()


def test_a_late_answer_continues_closed_items_raised_by_its_day_without_asking() -> None:
    held = [
        Held(1, "a", "x", closed=True, raised_on="2026-01-01", last_listed_in="s2"),
        Held(2, "b", "y", closed=True, raised_on="2026-05-01", last_listed_in="s2"),
    ]
    found = match(_listed(("a", "x"), ("b", "y")), held, previous=None, late_on="2026-03-01")
    assert found.items == [1, None] and found.listed_again == set()


# ---------------------------------------------------------------- through the API


async def test_open_needs_listed_again_continue_with_their_history(client, household) -> None:
    first = await store(client, survey(household, [WATER, ROAD], days_ago(40)))
    water, road = await items_of(client, first)
    await step(client, water, "referred", days_ago(35), responsible_unit="甘谷县水务局")
    later = copy.deepcopy(WATER)
    later["description"], later["urgency"] = "仍然吃水困难，水窖干了。", "urgent"
    second = await store(client, survey(household, [ROAD, later], days_ago(5)))

    assert await items_of(client, second) == [road, water]  # listed in another order
    assert await count(client, "needs") == 2
    found = await need_of(client, water)
    assert (found["raised_in"], found["raised_on"]) == (first, days_ago(40))
    assert (found["last_listed_in"], found["last_listed_on"]) == (second, days_ago(5))
    assert found["description"] == "仍然吃水困难，水窖干了。"
    assert [(entry["submission_id"], entry["description"]) for entry in found["listings"]] == [
        (first, WATER["description"]),
        (second, "仍然吃水困难，水窖干了。"),
    ]
    assert (found["status"], found["step_count"], found["attention"]) == ("referred", 1, None)
    assert found["days_open"] == 40  # from the survey that raised it


async def test_a_new_need_opens_an_item_and_an_unlisted_one_is_asked_about(
    client, household, world
) -> None:
    first = await store(client, survey(household, [WATER, ROAD], days_ago(40)))
    water, road = await items_of(client, first)
    second = await store(client, survey(household, [WATER, TRAINING], days_ago(5)))
    training = (await items_of(client, second))[1]

    assert training not in (water, road) and await count(client, "needs") == 3
    unlisted = await need_of(client, road)
    assert (unlisted["status"], unlisted["attention"]) == ("open", "not_listed")
    assert (unlisted["attention_in"], unlisted["attention_on"]) == (second, days_ago(5))
    # The cadre's phone asks about it first: closed, or still open?
    mine = (await client.get("/api/me/needs")).json()
    assert next(n["id"] for n in mine) == road
    assert {n["id"] for n in mine} == {water, road, training}
    # A third survey that still does not list it keeps naming the first that did not.
    await store(client, survey(household, [WATER], days_ago(2)))
    assert (await need_of(client, road))["attention_in"] == second
    # The cadre's word clears it, whichever it is.
    await step(client, road, "solved", days_ago(1), satisfaction="basically_satisfied")
    answered = await need_of(client, road)
    assert (answered["status"], answered["attention"]) == ("solved", None)


async def test_three_solved_needs_surveyed_again_stay_solved(client, household) -> None:
    """The issue's case: 3 solved needs, surveyed again, did come back as 待办."""
    needs = [WATER, ROAD, TRAINING, TOILET]
    first = await store(client, survey(household, needs, days_ago(60)))
    items = await items_of(client, first)
    for item in items[:3]:
        await step(client, item, "solved", days_ago(30), satisfaction="satisfied")
    before_api = await ledger_of(client)
    before = _ledger(client)

    second = await store(client, survey(household, needs, days_ago(3)))

    assert await items_of(client, second) == items  # the same four items, none new
    after_api = await ledger_of(client)
    assert [n["status"] for n in after_api] == ["solved", "solved", "solved", "open"]
    assert [n["status"] for n in after_api] == [n["status"] for n in before_api]
    # They are not 待办 again; the cadre is asked whether each is still solved.
    assert [n["attention"] for n in after_api] == ["listed_again"] * 3 + [None]
    after = _ledger(client)
    assert (after["solved"], after["resolution_rate"]) == (
        before["solved"],
        before["resolution_rate"],
    )
    assert after["by_status"] == before["by_status"]


async def test_solved_needs_not_listed_again_stay_solved_and_are_not_asked(
    client, household
) -> None:
    first = await store(client, survey(household, [WATER, ROAD], days_ago(60)))
    water, _road = await items_of(client, first)
    await step(client, water, "solved_on_spot", days_ago(60))
    before = _ledger(client)
    await store(client, survey(household, [ROAD], days_ago(3)))
    found = await need_of(client, water)
    assert (found["status"], found["attention"], found["last_listed_in"]) == (
        "solved_on_spot",
        None,
        first,
    )
    assert _ledger(client)["resolution_rate"] == before["resolution_rate"]


async def test_a_need_closed_and_raised_again_after_a_gap_is_a_new_item(client, household) -> None:
    first = await store(client, survey(household, [WATER], days_ago(90)))
    [water] = await items_of(client, first)
    await step(client, water, "solved", days_ago(80))
    await store(client, survey(household, [], days_ago(50)))
    third = await store(client, survey(household, [WATER], days_ago(5)))
    [again] = await items_of(client, third)
    assert again != water
    assert (await need_of(client, again))["status"] == "open"
    assert (await need_of(client, water))["status"] == "solved"


async def test_a_correction_resyncs_without_duplicating(client, household) -> None:
    first = await store(client, survey(household, [WATER, ROAD, TRAINING], days_ago(20)))
    water, road, training = await items_of(client, first)
    await step(client, training, "in_progress", days_ago(10))
    fixed_water = {**WATER, "description": "改正：吃水靠拉水。"}
    correction = new_id()
    body = {
        "id": correction,
        "version": 1,
        "answers": survey(household, [fixed_water, TOILET], days_ago(20)),
        "household_id": A1,
        "corrects": first,
    }
    response = await client.post("/api/forms/household/submissions", json=body)
    assert response.status_code == 201, response.text
    fixed_water_item, toilet = await items_of(client, correction)

    assert fixed_water_item == water  # followed the correction
    assert (await need_of(client, water))["description"] == "改正：吃水靠拉水。"
    assert (await need_of(client, water))["raised_in"] == correction
    # ROAD was only in the corrected answer and nobody worked on it: withdrawn, kept.
    withdrawn = await need_of(client, road)
    assert withdrawn["withdrawn_by"] == correction
    assert [entry["current"] for entry in withdrawn["listings"]] == [False]
    # TRAINING has a step: it stays, and the cadre is asked about it.
    kept = await need_of(client, training)
    assert (kept["status"], kept["attention"], kept["attention_in"]) == (
        "in_progress",
        "not_listed",
        correction,
    )
    assert {n["id"] for n in await ledger_of(client)} == {water, training, toilet}
    # Sent again, the correction changes nothing.
    again = await client.post("/api/forms/household/submissions", json=body)
    assert again.status_code == 200
    assert await count(client, "needs") == 4 and await count(client, "need_listings") == 5


async def test_a_correction_of_a_carried_over_answer_keeps_asking(client, household) -> None:
    first = await store(client, survey(household, [WATER], days_ago(60)))
    [water] = await items_of(client, first)
    await step(client, water, "solved", days_ago(50))
    second = await store(client, survey(household, [WATER], days_ago(5)))
    assert (await need_of(client, water))["attention"] == "listed_again"
    fixed = await store(client, survey(household, [WATER], days_ago(5)), corrects=second)
    found = await need_of(client, water)
    assert (found["attention"], found["attention_in"]) == ("listed_again", fixed)
    await store(client, survey(household, [], days_ago(5)), corrects=fixed)
    found = await need_of(client, water)
    assert (found["attention"], found["status"], found["withdrawn_by"]) == (None, "solved", None)
    assert found["last_listed_in"] == first  # the corrections no longer list it


async def test_a_late_answer_is_history_and_asks_nothing(client, household) -> None:
    recent = await store(client, survey(household, [WATER, ROAD], days_ago(5)))
    water, road = await items_of(client, recent)
    late = await store(client, survey(household, [WATER, TRAINING], days_ago(30)))
    late_water, training = await items_of(client, late)
    assert late_water == water
    found = await need_of(client, water)
    assert found["last_listed_in"] == recent  # the latest answer still speaks for it
    assert (found["raised_in"], found["raised_on"]) == (late, days_ago(30))  # raised earlier
    assert (await need_of(client, road))["attention"] is None  # the late answer asks nothing
    assert (await need_of(client, training))["raised_on"] == days_ago(30)


async def test_an_answer_without_needs_on_a_household_without_items_adds_nothing(
    client, household, settings
) -> None:
    await store(client, survey(household, [], days_ago(3)))
    with sqlite3.connect(settings.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM needs").fetchone()[0] == 0
        assert (
            conn.execute("SELECT count(*) FROM audit_log WHERE action = 'need.sync'").fetchone()[0]
            == 0
        )


async def test_resurvey_leaves_the_report_and_the_api_unchanged_for_continued_items(
    client, household
) -> None:
    """Steps recorded, household surveyed again: the continued items read the same."""
    first = await store(client, survey(household, [WATER, ROAD, TRAINING], days_ago(60)))
    water, road, training = await items_of(client, first)
    await step(client, water, "referred", days_ago(50), responsible_unit="甘谷县水务局")
    await step(client, water, "solved", days_ago(20), satisfaction="satisfied")
    await step(client, road, "in_progress", days_ago(40))
    keys = ("status", "responsible_unit", "closed_on", "satisfaction", "step_count", "raised_on")
    before = {i: {k: (await need_of(client, i))[k] for k in keys} for i in (water, road, training)}
    report_before = _ledger(client)

    await store(client, survey(household, [ROAD, TRAINING, WATER], days_ago(2)))

    after = {i: {k: (await need_of(client, i))[k] for k in keys} for i in (water, road, training)}
    assert after == before
    report_after = _ledger(client)
    for key in (
        "by_status",
        "solved",
        "closed",
        "resolution_rate",
        "mean_days_to_close",
        "satisfaction",
        "overdue",
        "without_followup",
    ):
        assert report_after[key] == report_before[key], key


def _ledger(client: Any) -> dict[str, Any]:
    report = build_report(
        client.app.state.settings.db_path, Scope("village", VILLAGE_A), Period(), LINE
    )
    needs: dict[str, Any] = report.figures.needs
    return needs


async def test_an_answer_and_its_needs_commit_together_or_not_at_all(
    client, household, settings, monkeypatch
) -> None:
    """The ledger is kept by the answer's own write: when keeping it fails after the
    items were written, the answer is not stored either, and resending it stores both."""
    from server import submissions

    def failing(conn: sqlite3.Connection, *args: Any) -> None:
        sync_needs(conn, *args)  # items and listings written ...
        raise sqlite3.IntegrityError("the ledger refused")  # ... then the write fails

    answers = survey(household, [WATER, ROAD], days_ago(3))
    sid = new_id()
    body = {"id": sid, "version": 1, "answers": answers, "household_id": A1}
    monkeypatch.setattr(submissions, "sync_needs", failing)
    failed = await client.post("/api/forms/household/submissions", json=body)
    assert failed.status_code == 500
    with sqlite3.connect(settings.db_path) as conn:
        for table in ("submissions", "needs", "need_listings"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table

    monkeypatch.setattr(submissions, "sync_needs", sync_needs)
    response = await client.post("/api/forms/household/submissions", json=body)
    assert response.status_code == 201, response.text
    assert len(await items_of(client, sid)) == 2
