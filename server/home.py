"""The front page, by who is asking: each role sees the part of the world it works in.

- nobody logged in: what this is and the way to log in, nothing more;
- admin: the admin menu, the surveys, every report, exports of every answer;
- official: the reports of their area (the county roll-ups and each village under
  their place), exports of its answers, and the households proposed there that
  await their word;
- designer: the forms;
- cadre: their paired households (我的联系户), each a tap from its survey, with
  each village's QR sheet, the way to propose a household the roster lacks, and
  the reports of villages they are paired with. On the phone it works offline
  too (forms/static/home.js keeps the list);
- a household's link: its own form.
What a section lists is what `server.authz` lets that person open, so a link on
this page never leads to a 403.
"""

from __future__ import annotations

import json
import uuid
from itertools import groupby
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from server.auth import Principal
from server.authz import Place, allowed
from server.db import Database, now_iso
from server.form_versions import list_forms
from server.households import CATEGORIES, list_households
from server.html import render_page
from server.pairings import MyHousehold, my_households, villages_of
from server.places import Village, list_villages
from server.settings import Settings


async def _reports(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Each county with the reports `principal` may read: its roll-up and its villages."""
    under = principal.place_prefix if principal.role == "official" else None
    villages = await list_villages(db, under)
    counties = []
    for code, members in groupby(villages, key=lambda v: v.county_code):
        readable: list[Village] = [
            v for v in members if await allowed(db, principal, "report.read", Place(v.code))
        ]
        if readable:
            counties.append(
                {
                    "code": code,
                    "name": readable[0].county_name,
                    "rollup": await allowed(db, principal, "report.read", Place(code)),
                    "villages": readable,
                }
            )
    return counties


@get("/", include_in_schema=False)
async def home(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    principal: NamedDependency[Principal],
) -> Response[str]:
    """The front page of whoever is asking."""
    role = principal.role if principal.authenticated else "anonymous"
    context: dict[str, Any] = {"role": role, "forms": [], "counties": [], "mine": None}
    if role in ("admin", "designer", "cadre"):
        context["forms"] = await list_forms(db)
    elif role == "household":
        context["forms"] = [f for f in await list_forms(db) if f.id == principal.form_id]
    if role in ("admin", "official", "cadre"):
        context["counties"] = await _reports(db, principal)
    if await allowed(db, principal, "export.read"):
        context["exports"] = context["forms"] or await list_forms(db)
    if role in ("admin", "official"):
        waiting = await list_households(db, principal, status="proposed", limit=20)
        context["waiting"] = waiting.items
        context["more_waiting"] = waiting.next_after is not None
    if role == "cadre" and principal.user_id is not None:
        context.update(await cadre_home(db, principal, settings))
    response = render_page(request, "home.html", **context)
    if role == "anonymous":  # the service worker keeps the page of whoever logged in instead
        response.headers["X-Not-Offline"] = "1"
    return response


async def cadre_home(db: Database, principal: Principal, settings: Settings) -> dict[str, Any]:
    """我的联系户 and what the phone's script needs to keep it for use offline."""
    assert principal.user_id is not None
    mine = await my_households(db, principal.user_id, settings.round_start.isoformat())
    return {
        "mine": mine,
        # each village's households, the ones not surveyed this round first
        "by_village": [
            (code, list(lines)) for code, lines in groupby(sorted(mine, key=_village), _village)
        ],
        "villages": await villages_of(db, principal.user_id),
        "categories": CATEGORIES,
        "proposal": {"id": str(uuid.uuid4())},
        "visit": visit_json(principal),
    }


def _village(line: MyHousehold) -> str:
    return line.village_code


def visit_json(principal: Principal) -> str:
    """Who this page is for, for the phone's script (as on a form page: server/pages.py)."""
    visit = {
        "user": principal.username,
        "name": principal.name,
        "csrf": principal.csrf or "",
        "at": now_iso(),
    }
    return json.dumps(visit, ensure_ascii=False).replace("</", "<\\/")
