"""The needs ledger as pages: officials' needs of their area, a need's history, and the
cadre's own needs on the phone.

Plain HTML that works without JavaScript on a 360 px phone. `/needs` lists the needs an
official (or admin) may read, filtered by village, category, status, responsible unit
and cadre, overdue first, each with its history, and the workload per cadre and per
responsible unit. `/needs/mine` is the cadre's list: the needs they are asked about
first, then the most urgent and oldest, each with a form to record a step. Without
JavaScript the form is a POST answered with a redirect; with it (forms/static/needs.js)
a step is queued on the phone and sent when there is a network, exactly once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from forms.needs import needs_fields
from reports.labels import FOLLOWUP_STATUSES, SATISFACTION, labels_from_schema
from server.audit_log import local_time
from server.auth import Principal
from server.authz import area_sql, require
from server.db import Database
from server.errors import AppError
from server.html import render_page
from server.http import request_lang
from server.need_steps import NeedStepCreate, create_step
from server.needs import (
    CLOSING_STATUSES,
    NeedFilter,
    get_need,
    list_needs,
    may_step,
    my_needs,
    workload,
)
from server.needs_api import overdue_of
from server.reviews import DECISIONS, my_reviews
from server.settings import Settings

PAGE = 30


@dataclass(frozen=True)
class NeedWords:
    """The names of needs' categories, items and urgencies, and of steps' statuses, in
    the forms' own words (zh, en), from the newest version of every form with needs."""

    category: dict[str, tuple[str, str]]
    item: dict[str, tuple[str, str]]
    urgency: dict[str, tuple[str, str]]
    status: dict[str, tuple[str, str]]
    satisfaction: dict[str, tuple[str, str]]

    def name(self, kind: str, code: str | None, lang: str) -> str:
        pair = getattr(self, kind).get(code or "")
        if pair is None:
            return code or ""
        return pair[1] if lang == "en" else pair[0]


_WORDS: dict[str, NeedWords] = {}


async def need_words(db: Database) -> NeedWords:
    rows = await db.fetch_all(
        "SELECT v.form_id, v.version, v.schema_hash FROM form_versions v WHERE v.version ="
        " (SELECT max(version) FROM form_versions WHERE form_id = v.form_id) ORDER BY v.form_id"
    )
    key = "|".join(r["schema_hash"] for r in rows)
    found = _WORDS.get(key)
    if found is None:
        kinds: dict[str, dict[str, tuple[str, str]]] = {"category": {}, "item": {}, "urgency": {}}
        for row in rows:
            text = await db.fetch_one(
                "SELECT schema FROM form_versions WHERE form_id = ? AND version = ?",
                (row["form_id"], row["version"]),
            )
            schema = json.loads(text[0])
            labels = labels_from_schema(schema)
            for field in needs_fields(schema):
                for kind, names in kinds.items():
                    for code, pair in labels.options.get(f"{field}.{kind}", {}).items():
                        names.setdefault(code, pair)
        found = NeedWords(
            **kinds,
            status={c: (zh, en) for c, zh, en in FOLLOWUP_STATUSES},
            satisfaction={c: (zh, en) for c, zh, en in SATISFACTION},
        )
        _WORDS.clear()
        _WORDS[key] = found
    return found


async def _choices(db: Database, principal: Principal) -> dict[str, Any]:
    """What the filters offer: the villages, units and cadres of the asker's needs."""
    area, params = area_sql(principal, "n.village_code", "n.household_id")
    units = await db.fetch_all(
        f"SELECT DISTINCT n.responsible_unit FROM needs n WHERE {area}"
        " AND n.responsible_unit IS NOT NULL ORDER BY 1",
        tuple(params),
    )
    cadres = await db.fetch_all(
        f"SELECT DISTINCT u.id, u.name FROM needs n JOIN users u ON u.id = n.cadre_id"
        f" WHERE {area} ORDER BY u.name",
        tuple(params),
    )
    # The villages that have needs, not every village of a province for an administrator.
    villages = await db.fetch_all(
        "SELECT v.code, v.name, v.township_name FROM villages v WHERE v.code IN"
        f" (SELECT DISTINCT n.village_code FROM needs n WHERE {area}) ORDER BY v.code",
        tuple(params),
    )
    return {
        "villages": villages,
        "units": [r[0] for r in units],
        "cadres": [(r["id"], r["name"]) for r in cadres],
    }


def _step_form(settings: Settings) -> dict[str, Any]:
    """What the step form needs besides its need: the choices and today's date."""
    return {
        "statuses": FOLLOWUP_STATUSES,
        "satisfactions": SATISFACTION,
        "today": settings.today().isoformat(),
        "closing": CLOSING_STATUSES,
        "when": lambda at: local_time(at, settings.timezone)[:16],
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


async def _steps_of(db: Database, ids: list[int]) -> dict[int, list[Any]]:
    """The steps of each need, in the order they happened, with who recorded them."""
    if not ids:
        return {}
    rows = await db.fetch_all(
        "SELECT s.*, u.name AS recorded_by_name FROM need_steps s"
        " LEFT JOIN users u ON 'user:' || u.id = s.recorded_by"
        f" WHERE s.need_id IN ({','.join('?' * len(ids))}) ORDER BY s.happened_on, s.id",
        tuple(ids),
    )
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row["need_id"], []).append(row)
    return found


async def _fields(request: Request[Any, Any, Any]) -> dict[str, str]:
    data = await request.form()
    return {k: v.strip() for k, v in data.items() if isinstance(v, str)}


def _back_to(target: str | None, need_id: int) -> str:
    """Where a step's form returns: the cadre's list or the need's page, nowhere else."""
    return target if target in ("/needs/mine", f"/needs/{need_id}") else f"/needs/{need_id}"


class NeedPages(Controller):
    include_in_schema = False

    @get("/needs")
    async def ledger(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """An official's needs of their area: filtered, overdue first, with history and
        the workload per cadre and per responsible unit."""
        await require(db, principal, "need.list")
        q = request.query_params
        asked = {k: (q.get(k) or "").strip() for k in ("village", "category", "status", "unit")}
        cadre = _int(q.get("cadre"))
        overdue_only = q.get("overdue") == "1"
        status = asked["status"] or "unclosed"
        if status == "all":
            status = ""
        wanted = NeedFilter(
            village=asked["village"] or None,
            category=asked["category"] or None,
            status=status or None,
            unit=asked["unit"] or None,
            cadre=cadre,
            overdue=True if overdue_only else None,
        )
        overdue = overdue_of(settings)
        try:
            page = await list_needs(
                db, principal, wanted, overdue, limit=PAGE, after=q.get("after") or None
            )
        except AppError as error:
            if error.status != 400:
                raise
            page = await list_needs(
                db, principal, NeedFilter(status="unclosed"), overdue, limit=PAGE
            )
            status, asked = "unclosed", dict.fromkeys(asked, "")
        under = asked["village"] or None
        kept = {
            **asked,
            "status": status or "all",
            "cadre": str(cadre or ""),
            "overdue": "1" if overdue_only else "",
        }
        more = None
        if page.next:
            more = "?" + urlencode(
                {
                    **{k: v for k, v in kept.items() if v},
                    "after": page.next,
                    "lang": request_lang(request),
                }
            )
        return render_page(
            request,
            "needs.html",
            needs=page.items,
            steps=await _steps_of(db, [n.id for n in page.items]),
            more=more,
            asked=kept,
            choices=await _choices(db, principal),
            words=await need_words(db),
            by_cadre=await workload(db, principal, "cadre", overdue, under),
            by_unit=await workload(db, principal, "unit", overdue, under),
            overdue_days=settings.overdue_days,
            first_page=not q.get("after"),
            **_step_form(settings),
        )

    @get("/needs/mine")
    async def mine(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """The cadre's needs to work on, each with a form to record a step (offline too)."""
        await require(db, principal, "account.self")
        needs = await my_needs(db, principal, overdue_of(settings))
        reviews = (
            [
                r
                for r in await my_reviews(db, principal, limit=50)
                if r.review.decision != "approved" and r.corrected_by is None
            ]
            if principal.role == "cadre"
            else []
        )
        return render_page(
            request,
            "needs_mine.html",
            asked=[n for n in needs if n.attention],
            working=[n for n in needs if not n.attention],
            reviews=reviews,
            decisions=DECISIONS,
            words=await need_words(db),
            new_id=lambda: str(uuid.uuid4()),
            overdue_days=settings.overdue_days,
            done=request.query_params.get("done", ""),
            **_step_form(settings),
        )

    @get("/needs/{need_id:int}")
    async def need(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        need_id: FromPath[int],
    ) -> Response[str]:
        """One need: what was asked, every answer that listed it, every step taken."""
        found = await get_need(db, principal, need_id, overdue_of(settings))
        return render_page(
            request,
            "need.html",
            need=found,
            words=await need_words(db),
            may_step=await may_step(db, principal, found),
            new_id=str(uuid.uuid4()),
            done=request.query_params.get("done", ""),
            **_step_form(settings),
        )

    @post("/needs/{need_id:int}/steps", status_code=303)
    async def step(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        need_id: FromPath[int],
    ) -> Response[Any]:
        """A step sent as a plain form: stored, then back to where it came from. The form
        carries a UUID made when the page was, so sending it twice stores it once."""
        fields = await _fields(request)
        back = _back_to(fields.get("next"), need_id)
        lang = request_lang(request)
        try:
            body = msgspec.convert(
                {
                    "id": fields.get("_id") or str(uuid.uuid4()),
                    "status": fields.get("status", ""),
                    "happened_on": fields.get("happened_on", ""),
                    **{
                        k: fields[k]
                        for k in ("responsible_unit", "note", "satisfaction")
                        if fields.get(k)
                    },
                },
                NeedStepCreate,
            )
        except msgspec.ValidationError:
            body = NeedStepCreate(uuid.uuid4(), fields.get("status", ""), "")
        try:
            await create_step(
                db, need_id, body, principal=principal, overdue=overdue_of(settings), lang=lang
            )
        except AppError as error:
            if error.status != 422:
                raise
            found = await get_need(db, principal, need_id, overdue_of(settings))
            return render_page(
                request,
                "need.html",
                status_code=422,
                need=found,
                words=await need_words(db),
                may_step=True,
                new_id=str(body.id),
                errors=error.errors or [],
                typed=fields,
                done="",
                **_step_form(settings),
            )
        return Redirect(f"{back}?{urlencode({'lang': lang, 'done': 'step'})}", status_code=303)
