"""Linking answers stored before the roster existed to the roster's households.

Before the roster, an answer's household was whoever its head's ID number said
(`household_key`), and such answers have no `household_id`: reports, which
count households by roster id, do not see them. This links each one to a roster
household: by the head's ID number when that household is in the answer's
village, else by the village and the head's name when exactly one active
household there has that head. Anything less certain is left unlinked and
listed with why, for a person to decide.

Finding the village, head and ID number inside an answer needs the household
form's field names; `household_facts` is the one place that knows them (the
submission path itself knows none).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiosqlite

from server import audit
from server.db import Database, query
from server.needs_sync import link_needs

FORM_ID = "household"  # the form whose fields household_facts knows
BATCH = 500


@dataclass(frozen=True)
class Facts:
    """What an old answer says about its household."""

    village_code: str | None
    head_name: str | None
    head_id_numbers: tuple[str, ...]  # household_key first, then the head member's


def household_facts(answers: Any, household_key: str | None, village_code: str | None) -> Facts:
    """The household form's village, head's name and head's ID number of an answer."""
    section = answers.get("household") if isinstance(answers, dict) else None
    section = section if isinstance(section, dict) else {}
    members = answers.get("members") if isinstance(answers, dict) else None
    head_ids = [household_key]
    for member in members if isinstance(members, list) else []:
        if isinstance(member, dict) and member.get("relation") == "head":
            head_ids.append(member.get("id_number"))
    ids = tuple(dict.fromkeys(i.strip().upper() for i in head_ids if isinstance(i, str) and i))
    village = section.get("village_code") or village_code
    name = section.get("head_name")
    return Facts(
        village if isinstance(village, str) else None,
        name.strip() if isinstance(name, str) and name.strip() else None,
        ids,
    )


@dataclass(frozen=True)
class RosterHousehold:
    id: str
    village_code: str
    head_name: str
    head_id_number: str | None


@dataclass(frozen=True)
class Outcome:
    """An unlinked answer and what to do with it: link it (`household_id`), or why not."""

    submission_id: str
    village_code: str | None
    head_name: str | None
    household_id: str | None = None
    by: str = ""  # "head_id" or "village_head_name"
    why_zh: str = ""
    why_en: str = ""


def plan_links(
    answers: Iterable[tuple[str, Facts]], roster: Iterable[RosterHousehold]
) -> list[Outcome]:
    """For each (answer id, facts), the household it belongs to, or why none is certain."""
    by_id: dict[str, RosterHousehold] = {}
    by_name: dict[tuple[str, str], list[RosterHousehold]] = {}
    for household in roster:
        if household.head_id_number:
            by_id[household.head_id_number.upper()] = household
        by_name.setdefault((household.village_code, household.head_name), []).append(household)
    outcomes = []
    for submission_id, facts in answers:
        found = Outcome(submission_id, facts.village_code, facts.head_name)
        holder = next((by_id[i] for i in facts.head_id_numbers if i in by_id), None)
        if holder is not None and holder.village_code == facts.village_code:
            outcomes.append(_link(found, holder.id, "head_id"))
            continue
        named = by_name.get((facts.village_code or "", facts.head_name or ""), [])
        if holder is not None:
            outcomes.append(
                _why(
                    found,
                    f"户主证件号码对应的户在另一个村（{holder.village_code}），请人工核对",
                    f"the head's ID number belongs to a household of another village"
                    f" ({holder.village_code}); check by hand",
                )
            )
        elif len(named) == 1:
            outcomes.append(_link(found, named[0].id, "village_head_name"))
        elif len(named) > 1:
            outcomes.append(
                _why(
                    found,
                    f"村中有 {len(named)} 户户主都叫{facts.head_name}，证件号码又对不上",
                    f"{len(named)} households of the village have a head named"
                    f" {facts.head_name}, and no ID number matches",
                )
            )
        elif not facts.village_code and not facts.head_id_numbers:
            outcomes.append(
                _why(found, "答案中没有村代码和户主证件号码", "the answer names no village nor ID")
            )
        else:
            outcomes.append(
                _why(
                    found,
                    "花名册中没有此户：户主证件号码未找到，村中也没有同名户主",
                    "not on the roster: no household has the head's ID number, and none in the"
                    " village has a head of that name",
                )
            )
    return outcomes


def _link(outcome: Outcome, household_id: str, by: str) -> Outcome:
    return Outcome(outcome.submission_id, outcome.village_code, outcome.head_name, household_id, by)


def _why(outcome: Outcome, zh: str, en: str) -> Outcome:
    return Outcome(
        outcome.submission_id, outcome.village_code, outcome.head_name, why_zh=zh, why_en=en
    )


async def link_answers(
    db: Database, actor: audit.Actor | str, *, report_only: bool = False
) -> list[Outcome]:
    """Link every unlinked answer of the household form that can be; every outcome.

    With `report_only` nothing changes. Each link is audited (`submission.link`).
    Batches of answers are linked in a transaction each, so a second run finds
    only what is still unlinked.
    """
    outcomes: list[Outcome] = []
    after = ""
    while True:
        rows = await db.fetch_all(
            "SELECT id, household_key, village_code, answers FROM submissions"
            " WHERE form_id = ? AND household_id IS NULL AND id > ? ORDER BY id LIMIT ?",
            (FORM_ID, after, BATCH),
        )
        if not rows:
            return outcomes
        after = rows[-1]["id"]
        batch = [
            (
                r["id"],
                household_facts(json.loads(r["answers"]), r["household_key"], r["village_code"]),
            )
            for r in rows
        ]
        planned = plan_links(batch, await _candidates(db, [f for _, f in batch]))
        outcomes += planned
        links = [o for o in planned if o.household_id]
        if links and not report_only:
            await db.write(partial(_store, actor=actor, links=links))


async def _candidates(db: Database, facts: list[Facts]) -> list[RosterHousehold]:
    """The active roster households an answer of this batch could be: by ID, or by village."""
    ids = sorted({i for f in facts for i in f.head_id_numbers})
    villages = sorted({f.village_code for f in facts if f.village_code})
    found: dict[str, RosterHousehold] = {}
    # Each condition as the indexes have it: head_id_number's is partial, on these statuses.
    for column, status, values in (
        ("head_id_number", "status IN ('active', 'proposed')", ids),
        ("village_code", "status = 'active'", villages),
    ):
        for start in range(0, len(values), BATCH):
            chunk = values[start : start + BATCH]
            rows = await db.fetch_all(
                "SELECT id, village_code, head_name, head_id_number, status FROM households"
                f" WHERE {column} IN ({','.join('?' * len(chunk))}) AND {status}",
                tuple(chunk),
            )
            for r in (r for r in rows if r["status"] == "active"):
                found[r["id"]] = RosterHousehold(
                    r["id"], r["village_code"], r["head_name"], r["head_id_number"]
                )
    return list(found.values())


async def _store(
    conn: aiosqlite.Connection, *, actor: audit.Actor | str, links: list[Outcome]
) -> int:
    linked = 0
    for link in links:
        assert link.household_id is not None  # only links are stored
        rows = await query(
            conn,
            "UPDATE submissions SET household_id = ? WHERE id = ? AND household_id IS NULL"
            " RETURNING id",
            (link.household_id, link.submission_id),
        )
        if rows:
            linked += 1
            await link_needs(conn, link.submission_id, link.household_id)
            await audit.record(
                conn,
                actor,
                "submission.link",
                f"submission:{link.submission_id}",
                household_id=link.household_id,
                by=link.by,
            )
    return linked
