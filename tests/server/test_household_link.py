"""Linking answers stored before the roster existed to the roster's households."""

from __future__ import annotations

from typing import Any

import aiosqlite

from forms.demo import demo_households, demo_villages
from server.household_link import (
    Facts,
    RosterHousehold,
    household_facts,
    link_answers,
    plan_links,
)
from tests.world import World, post_answers

VILLAGE = "620523102201"
UNKNOWN_ID = "62052319010101001X"


def test_the_head_is_found_in_the_household_key_or_the_head_member() -> None:
    answers = {
        "household": {"village_code": VILLAGE, "head_name": " 王建军 "},
        "members": [
            {"relation": "spouse", "id_number": "620523198001010021"},
            {"relation": "head", "id_number": "62052319800101001x"},
        ],
    }
    facts = household_facts(answers, "620523198001010010", None)
    assert facts == Facts(VILLAGE, "王建军", ("620523198001010010", "62052319800101001X"))
    assert household_facts({}, None, VILLAGE) == Facts(VILLAGE, None, ())


def test_only_a_certain_household_is_linked_and_the_rest_say_why() -> None:
    roster = [
        RosterHousehold("h1", VILLAGE, "王建军", "620523198001010010"),
        RosterHousehold("h2", VILLAGE, "李明", None),
        RosterHousehold("h3", VILLAGE, "张强", None),
        RosterHousehold("h4", VILLAGE, "张强", None),
        RosterHousehold("h5", "620523106203", "赵平", "620523197001010011"),
    ]
    outcomes = plan_links(
        [
            ("a1", Facts(VILLAGE, "王建军", ("620523198001010010",))),
            ("a2", Facts(VILLAGE, "李明", (UNKNOWN_ID,))),
            ("a3", Facts(VILLAGE, "张强", ())),
            ("a4", Facts(VILLAGE, "赵平", ("620523197001010011",))),
            ("a5", Facts(VILLAGE, "无此人", ())),
            ("a6", Facts(None, None, ())),
        ],
        roster,
    )
    assert [(o.submission_id, o.household_id, o.by) for o in outcomes[:2]] == [
        ("a1", "h1", "head_id"),
        ("a2", "h2", "village_head_name"),
    ]
    why = {o.submission_id: o.why_zh for o in outcomes[2:]}
    assert all(o.household_id is None for o in outcomes[2:])
    assert why["a3"] == "村中有 2 户户主都叫张强，证件号码又对不上"
    assert why["a4"].startswith("户主证件号码对应的户在另一个村（620523106203）")
    assert why["a5"].startswith("花名册中没有此户")
    assert why["a6"] == "答案中没有村代码和户主证件号码"


async def _make_old(db: Any, ids: list[str], changes: dict[str, list[tuple[str, str]]]) -> None:
    """As if stored before the roster: no household id; some answers changed by hand."""

    async def work(conn: aiosqlite.Connection) -> None:
        marks = ",".join("?" * len(ids))
        await conn.execute(
            f"UPDATE submissions SET household_id = NULL WHERE id IN ({marks})", tuple(ids)
        )
        for sid, edits in changes.items():
            for path, value in edits:
                if path == "household_key":  # the head's ID number, as answers were keyed
                    sql = "UPDATE submissions SET household_key = ? WHERE id = ?"
                    await conn.execute(sql, (value, sid))
                    continue
                sql = "UPDATE submissions SET answers = json_set(answers, ?, ?) WHERE id = ?"
                await conn.execute(sql, (path, value, sid))

    await db.write(work)


async def test_old_answers_are_linked_by_head_id_then_village_and_name_and_the_rest_reported(
    client: Any, world: World
) -> None:
    db = client.app.state.db
    village = next(v for v in demo_villages() if v["code"] == VILLAGE)
    answers = list(demo_households(11, [village], per_village=4))
    ids = await post_answers(client, world, answers, seed=811)
    roster = [
        r["household_id"]
        for r in [
            await db.fetch_one("SELECT household_id FROM submissions WHERE id = ?", (i,))
            for i in ids
        ]
    ]
    head_id = answers[0]["members"][0]["id_number"]
    await _make_old(
        db,
        ids,
        {
            ids[0]: [("household_key", head_id), ("$.members[0].id_number", UNKNOWN_ID)],
            ids[2]: [("$.members[0].id_number", UNKNOWN_ID)],
            ids[3]: [("$.members[0].id_number", UNKNOWN_ID), ("$.household.head_name", "无此人")],
        },
    )

    reported = await link_answers(db, "test", report_only=True)
    assert sorted((o.submission_id, o.household_id, o.by) for o in reported) == sorted(
        [
            (ids[0], roster[0], "head_id"),  # by household_key
            (ids[1], roster[1], "head_id"),  # by the head member's ID number
            (ids[2], roster[2], "village_head_name"),
            (ids[3], None, ""),
        ]
    )
    still = await db.fetch_one("SELECT count(*) FROM submissions WHERE household_id IS NULL")
    assert still[0] == 4  # a report changes nothing

    linked = await link_answers(db, "test")
    assert len(linked) == 4
    rows = await db.fetch_all("SELECT id, household_id FROM submissions ORDER BY id")
    assert {r["id"]: r["household_id"] for r in rows} == {
        ids[0]: roster[0],
        ids[1]: roster[1],
        ids[2]: roster[2],
        ids[3]: None,
    }
    audits = await db.fetch_all(
        "SELECT target, detail FROM audit_log WHERE action = 'submission.link' ORDER BY target"
    )
    assert sorted(a["target"] for a in audits) == sorted(f"submission:{i}" for i in ids[:3])
    [left] = await link_answers(db, "test")
    assert (left.submission_id, left.head_name) == (ids[3], "无此人")
