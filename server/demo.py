"""The demo: five villages of 甘谷县, their roster, the people who work there, a survey round.

Loads places, roster households, one account per role (admin, designer, an
official of the county, a cadre), the cadres who made the demo surveys paired
with the households they surveyed, the answers (through the same checks as any
answer) and the steps taken on the needs they raised. Everything is fixed by the seed, so
a second run stores nothing new. Demo only: the printed passwords are public.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

import msgspec

from forms.demo import (
    COUNTY_CODE,
    demo_households,
    demo_submission_id,
    demo_villages,
    roster_entry,
)
from forms.demo_needs import demo_followups
from forms.schema import shipped_forms
from server.auth import Principal, system_principal
from server.db import Database
from server.form_versions import publish_shipped
from server.households import upsert_households
from server.links import create_link
from server.need_steps import NeedStepCreate, create_step
from server.needs import Overdue
from server.pairings import pair
from server.places import upsert_villages
from server.submissions import SubmissionCreate, create_submission
from server.users import add_user, get_user

ACTOR = "cli:load-demo"
# (username, name, role, place, password): the accounts a newcomer logs in with.
DEMO_ACCOUNTS = (
    ("admin", "系统管理员", "admin", None, "demo-admin-2026"),
    ("designer", "表单设计员", "designer", None, "demo-designer-2026"),
    ("official", "县乡村振兴局干部", "official", COUNTY_CODE + "000000", "demo-official-2026"),
    ("cadre", "帮扶干部（演示）", "cadre", None, "demo-cadre-2026"),
)


@dataclass
class DemoLoaded:
    villages: int = 0
    households: int = 0
    answers_stored: int = 0
    answers_there: int = 0
    steps: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (user, role, password)
    household_link: str = ""


async def load_demo(db: Database, seed: int = 1, today: date | None = None) -> DemoLoaded:
    today = today or date.today()
    loaded = DemoLoaded()
    cli = system_principal(ACTOR)
    version, _ = await publish_shipped(db, "household", shipped_forms()["household"], ACTOR)
    villages = demo_villages()
    await upsert_villages(db, villages, actor=ACTOR)
    loaded.villages = len(villages)
    answers = list(demo_households(seed, villages))
    roster = [roster_entry(seed, i, a) for i, a in enumerate(answers)]
    await upsert_households(db, ACTOR, roster)
    loaded.households = len(roster)

    for username, name, role, place, password in DEMO_ACCOUNTS:
        if await get_user(db, username=username) is None:
            await add_user(
                db,
                cli.actor,
                username=username,
                name=name,
                role=role,
                password=password,
                place_code=place,
            )
            loaded.accounts.append((username, role, password))
        else:
            loaded.accounts.append((username, role, "(already set)"))

    # Every surveyor of the demo answers is a cadre paired with the households they
    # surveyed; the demo "cadre" account stands in for the first of them.
    cadres: dict[str, int] = {}
    for index, (entry, answer) in enumerate(zip(roster, answers, strict=True)):
        surveyor = answer["survey"]["surveyor"]
        if surveyor not in cadres:
            cadres[surveyor] = await _cadre(
                db, cli, surveyor, answer["survey"].get("surveyor_unit"), len(cadres)
            )
        await pair(db, cli.actor, cadres[surveyor], household_id=entry["id"])
        body = SubmissionCreate(
            id=uuid.UUID(demo_submission_id(seed, index)),
            version=version,
            answers=answer,
            household_id=entry["id"],
        )
        stored, new = await create_submission(db, "household", body, principal=cli, today=today)
        loaded.answers_stored += new
        loaded.answers_there += not new
        steps = demo_followups(
            seed, index, answer["survey"]["date"], answer.get("needs") or [], today
        )
        items = await _items(db, stored.id) if steps else {}
        for need_index, step in steps:
            _, new = await create_step(
                db,
                items[f"/needs/{need_index}"],
                msgspec.convert(step, NeedStepCreate),
                principal=cli,
                overdue=Overdue(30, 90, today),
            )
            loaded.steps += new
    _, token = await create_link(db, cli.actor, roster[0]["id"], "household")
    loaded.household_link = f"/h/{token}"
    return loaded


async def _items(db: Database, submission_id: str) -> dict[str, int]:
    """The items the needs of an answer became, by their place in it (/needs/0)."""
    rows = await db.fetch_all(
        "SELECT path, need_id FROM need_listings WHERE submission_id = ?", (submission_id,)
    )
    return {r["path"]: r["need_id"] for r in rows}


async def _cadre(db: Database, cli: Principal, name: str, unit: str | None, index: int) -> int:
    """The account of the cadre who made a demo survey (the first is the demo cadre)."""
    username = "cadre" if index == 0 else f"cadre{index:02d}"
    found = await get_user(db, username=username)
    if found is None:
        found = await add_user(
            db, cli.actor, username=username, name=name, role="cadre", password=None, unit=unit
        )
    return found.id
