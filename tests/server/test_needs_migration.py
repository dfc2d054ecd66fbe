"""Migration 0010 moves every old follow-up onto the item its need became, losing none."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages, roster_entry
from forms.schema import shipped_forms
from server import migrate as server_migrate
from server.db import Database, now_iso
from server.form_versions import publish
from server.households import upsert_households
from server.places import upsert_villages

WATER = {
    "category": "infrastructure_housing",
    "item": "water",
    "description": "吃水难",
    "urgency": "urgent",
}
ROAD = {
    "category": "infrastructure_housing",
    "item": "road",
    "description": "路难走",
    "urgency": "normal",
}
TRAINING = {
    "category": "employment",
    "item": "skills_training",
    "description": "想学电焊",
    "urgency": "normal",
}


def _answer(template: dict[str, Any], needs: list[dict[str, Any]], day: str) -> dict[str, Any]:
    answers = json.loads(json.dumps(template))
    answers["needs"] = needs
    answers["survey"]["date"] = day
    return answers


async def _old_world(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A database as it was before 0010: answers (re-surveys, a correction, one not on the
    roster) and follow-ups keyed by (answer, need index)."""
    shipped = server_migrate.migrations()
    with monkeypatch.context() as patch:
        patch.setattr(server_migrate, "migrations", lambda: [m for m in shipped if m[0] < 10])
        db = await Database.open(path)
    try:
        await publish(db, "household", shipped_forms()["household"], actor="test")
        village = demo_villages()[0]
        await upsert_villages(db, [village], actor="test")
        answers = list(demo_households(4, [village], per_village=3))
        roster = [roster_entry(4, i, a) for i, a in enumerate(answers[:2])]
        await upsert_households(db, "test", roster)
        h1, h2 = roster[0]["id"], roster[1]["id"]
        ids = {name: str(uuid.uuid4()) for name in ("h1a", "h1b", "h2a", "h2c", "u")}
        rows = [
            # household 1, surveyed twice, both times listing water and road
            ("h1a", h1, _answer(answers[0], [WATER, ROAD], "2026-03-01"), None),
            ("h1b", h1, _answer(answers[0], [ROAD, WATER, WATER], "2026-06-01"), None),
            # household 2: an answer and its correction, which dropped road and training
            ("h2a", h2, _answer(answers[1], [WATER, ROAD, TRAINING], "2026-04-01"), None),
            ("h2c", h2, _answer(answers[1], [WATER], "2026-04-01"), "h2a"),
            # an answer from before the roster, about no household yet
            ("u", None, _answer(answers[2], [TRAINING], "2026-02-01"), None),
        ]
        followups = [
            ("h1a", 0, "referred", "2026-03-05", "甘谷县水务局", None),
            ("h1a", 0, "solved", "2026-04-01", None, "satisfied"),
            ("h1b", 0, "in_progress", "2026-06-10", None, None),
            ("h1b", 2, "referred", "2026-06-11", "甘谷县水务局", None),
            ("h2a", 1, "in_progress", "2026-04-10", None, None),
            ("h2c", 0, "solved_on_spot", "2026-04-01", None, "basically_satisfied"),
            ("u", 0, "referred", "2026-02-10", "甘谷县人社局", None),
        ]

        async def work(conn: Any) -> None:
            for name, household, answer, corrects in rows:
                await conn.execute(
                    "INSERT INTO submissions (id, form_id, form_version, received_at, body_hash,"
                    " answers, derived, village_code, household_id, corrects, submitted_by)"
                    " VALUES (?, 'household', 1, ?, ?, ?, '{}', ?, ?, ?, 'user:1')",
                    (
                        ids[name],
                        now_iso(),
                        hashlib.sha256(name.encode()).hexdigest(),
                        json.dumps(answer, ensure_ascii=False),
                        village["code"],
                        household,
                        ids[corrects] if corrects else None,
                    ),
                )
                if corrects:
                    await conn.execute(
                        "UPDATE submissions SET corrected_by = ? WHERE id = ?",
                        (ids[name], ids[corrects]),
                    )
            for n, (name, index, status, day, unit, satisfaction) in enumerate(followups):
                await conn.execute(
                    "INSERT INTO need_followups (client_id, body_hash, submission_id, need_index,"
                    " status, responsible_unit, result, satisfaction, happened_on, recorded_at,"
                    " recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'user:2')",
                    (
                        str(uuid.uuid4()),
                        f"hash{n}",
                        ids[name],
                        index,
                        status,
                        unit,
                        f"result {n}",
                        satisfaction,
                        day,
                        now_iso(),
                    ),
                )

        await db.write(work)
        return {"ids": ids, "h1": h1, "h2": h2}
    finally:
        await db.close()


def _followups(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM need_followups ORDER BY id")]


def test_every_old_follow_up_is_a_step_of_the_item_its_need_became(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    world = asyncio.run(_old_world(path, monkeypatch))
    ids = world["ids"]
    before = _followups(path)
    with sqlite3.connect(path) as conn:
        listed_before = conn.execute(
            "SELECT sum(json_array_length(answers, '$.needs')) FROM submissions"
        ).fetchone()[0]

    asyncio.run(_migrate(path))

    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        steps = {r["client_id"]: dict(r) for r in conn.execute("SELECT * FROM need_steps")}
        item_of = {
            (r["submission_id"], r["path"]): r["need_id"]
            for r in conn.execute("SELECT * FROM need_listings")
        }
        needs = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM needs")}
        audit = json.loads(
            conn.execute("SELECT detail FROM audit_log WHERE action = 'need.migrate'").fetchone()[0]
        )
        old_table = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'need_followups'"
        ).fetchone()[0]
    # Counts before and after: every follow-up a step, every listed need a listing.
    assert (len(before), len(steps)) == (7, 7)
    assert (listed_before, len(item_of)) == (10, 10)
    assert audit == {"followups": 7, "steps": 7, "listings": 10, "items": len(needs)}
    assert old_table == 0
    for old in before:
        new = steps[old["client_id"]]
        assert new["need_id"] == item_of[(old["submission_id"], f"/needs/{old['need_index']}")]
        for key in (
            "id",
            "body_hash",
            "status",
            "responsible_unit",
            "satisfaction",
            "happened_on",
            "recorded_at",
            "recorded_by",
        ):
            assert new[key] == old[key], key
        assert new["note"] == old["result"]

    # Household 1's two surveys are one water item and one road item (and the second
    # water of its second answer another), not one item per answer.
    h1a, h1b = ids["h1a"], ids["h1b"]
    water, road = item_of[(h1a, "/needs/0")], item_of[(h1a, "/needs/1")]
    assert item_of[(h1b, "/needs/1")] == water and item_of[(h1b, "/needs/0")] == road
    second_water = item_of[(h1b, "/needs/2")]
    assert second_water not in (water, road)
    # Water was solved before the second survey listed it again: it stays solved.
    assert needs[water]["status"] == "solved" and needs[water]["steps"] == 2
    assert needs[water]["raised_in"] == h1a and needs[water]["last_listed_in"] == h1b
    assert needs[road]["status"] == "in_progress" and needs[road]["steps"] == 1
    assert (needs[second_water]["status"], needs[second_water]["responsible_unit"]) == (
        "referred",
        "甘谷县水务局",
    )

    # Household 2's correction: water continues, road (worked on) is asked about,
    # training (never worked on, dropped by the correction) is withdrawn.
    h2a, h2c = ids["h2a"], ids["h2c"]
    water2 = item_of[(h2a, "/needs/0")]
    assert item_of[(h2c, "/needs/0")] == water2
    assert (needs[water2]["status"], needs[water2]["satisfaction"]) == (
        "solved_on_spot",
        "basically_satisfied",
    )
    road2, training2 = item_of[(h2a, "/needs/1")], item_of[(h2a, "/needs/2")]
    assert (needs[road2]["attention"], needs[road2]["attention_in"]) == ("not_listed", h2c)
    assert needs[road2]["withdrawn_by"] is None
    assert needs[training2]["withdrawn_by"] == h2c

    # The answer about no household keeps its need, and its follow-up, to itself.
    lone = needs[item_of[(ids["u"], "/needs/0")]]
    assert (lone["household_id"], lone["status"], lone["steps"]) == (None, "referred", 1)


async def _migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def test_linking_an_old_answer_links_the_needs_it_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.household_link import link_answers

    path = tmp_path / "old.db"
    world = asyncio.run(_old_world(path, monkeypatch))

    async def link() -> str:
        db = await Database.open(path)
        try:
            village = demo_villages()[0]
            third = list(demo_households(4, [village], per_village=3))[2]
            entry = roster_entry(4, 2, third)
            await upsert_households(db, "test", [entry])
            await link_answers(db, "test")
            return str(entry["id"])
        finally:
            await db.close()

    household = asyncio.run(link())
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT n.household_id, n.village_code FROM needs n JOIN need_listings l"
            " ON l.need_id = n.id WHERE l.submission_id = ?",
            (world["ids"]["u"],),
        ).fetchone()
    assert found == (household, demo_villages()[0]["code"])
