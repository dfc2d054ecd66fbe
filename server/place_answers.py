"""Village questions on the server: the villages a person may choose, and the check of a
village an answer names.

A form asks "which village?" with `"x-widget": "village"` (forms/places.py). The page
offers each visitor the villages they may answer for, and an answer naming another one is
refused at its question: a code not on the list of places (`village_unknown`), or a
village the sender does not work in (`village_not_yours`, the `village.answer` rule of
server/authz.py). The list and the rule agree: an official's area, a cadre's villages
(paired whole or through a household), a household link's own village, any for an admin.
"""

from __future__ import annotations

from typing import Any

from forms.issues import Issue
from forms.places import VillageChoice, village_answers
from server.auth import Principal
from server.authz import Place, allowed
from server.db import Database
from server.pairings import villages_of
from server.places import Village, level_of, list_villages, place_names


def _choice(v: Village) -> VillageChoice:
    return VillageChoice(v.code, v.name, v.township_code, v.township_name)


async def answerable_villages(db: Database, principal: Principal) -> list[VillageChoice]:
    """The villages `principal` may name in a village question, by code (so by township)."""
    if principal.role == "admin":
        found = await list_villages(db)
    elif principal.role == "official" and principal.place_prefix:
        found = await list_villages(db, principal.place_prefix)
    elif principal.role == "cadre" and principal.user_id is not None:
        found = await villages_of(db, principal.user_id)
    elif principal.kind == "link" and principal.household_id:
        row = await db.fetch_one(
            "SELECT village_code FROM households WHERE id = ?", (principal.household_id,)
        )
        found = await list_villages(db, row["village_code"]) if row else []
    else:
        found = []
    return [_choice(v) for v in found]


async def example_villages(db: Database, limit: int = 20) -> list[VillageChoice]:
    """The first villages of the list of places: what a form's preview offers, to show how
    its village questions look (whoever will answer it sees their own)."""
    rows = await db.fetch_all("SELECT * FROM villages ORDER BY code LIMIT ?", (limit,))
    return [_choice(Village(**dict(r))) for r in rows]


async def village_issues(
    db: Database,
    principal: Principal,
    schema: dict[str, Any],
    answers: dict[str, Any],
    schema_key: str | None = None,
) -> list[Issue]:
    """An issue at each village question naming a village not on the list of places, or
    one `principal` may not answer for; none for a form without village questions."""
    named = village_answers(schema, answers, schema_key)
    if not named:
        return []
    known = await place_names(db, {code for _, code in named})
    issues: list[Issue] = []
    for path, code in named:
        if code not in known or len(code) != 12 or level_of(code) != "village":
            issues.append(
                Issue(
                    path,
                    "village_unknown",
                    words={
                        "zh": f"村代码 {code} 不在地区名录中",
                        "en": f"village {code} is not on the list of places",
                    },
                )
            )
        elif not await allowed(db, principal, "village.answer", Place(code)):
            issues.append(
                Issue(
                    path,
                    "village_not_yours",
                    words={
                        "zh": f"{known[code]}（{code}）不是你负责的村，请从列表中选择",
                        "en": f"{known[code]} ({code}) is not one of your villages; choose"
                        " one from the list",
                    },
                )
            )
    return issues
