"""Recording what was done about a need: one step at a time, never overwritten.

A step says what happened to an item of the needs ledger on a day -- referred to a
responsible unit, in progress, solved, solved on the spot, cannot solve (explained),
or open again -- who recorded it, a note, and the household's satisfaction when it
closes the item. Steps are only added; the item's row keeps the status they give
today (`standing`) for lists and pages, and recording one answers whatever the cadre
was asked about the item. Like answers, a step is keyed by the client's UUID, so a
phone may send it again safely: the same body is 200, another body 409.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiosqlite
import msgspec

from reports.labels import CLOSING_STATUSES
from server import audit
from server.auth import Principal
from server.db import Database, now_iso, query
from server.errors import AppError, zh_en
from server.needs import (
    SATISFACTION_NAMES,
    STATUS_NAMES,
    NeedStep,
    Overdue,
    readable,
    step_of,
)

UNIT_MAX = 100
NOTE_MAX = 500
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class NeedStepCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    status: str
    happened_on: str
    responsible_unit: str | None = None
    note: str | None = None
    satisfaction: str | None = None


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def step_hash(need_id: int, body: NeedStepCreate) -> str:
    material = {
        "need_id": need_id,
        "status": body.status,
        "happened_on": body.happened_on,
        "responsible_unit": _clean(body.responsible_unit),
        "note": _clean(body.note),
        "satisfaction": body.satisfaction,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _names(pairs: dict[str, tuple[str, str]], codes: tuple[str, ...], lang: str) -> str:
    i = 1 if lang == "en" else 0
    return ("、" if lang == "zh" else ", ").join(pairs[c][i] for c in codes)


def check_step(
    body: NeedStepCreate, raised_on: str | None, today: date, lang: str
) -> list[dict[str, str]]:
    """Every problem with a step, as `{path, code, message}` in `lang`."""
    errors: list[dict[str, str]] = []

    def add(path: str, code: str, zh: str, en: str) -> None:
        errors.append({"path": path, "code": code, "message": en if lang == "en" else zh})

    if body.status not in STATUS_NAMES:
        choices = _names(STATUS_NAMES, tuple(STATUS_NAMES), lang)
        add("/status", "enum", f"办理状态应为：{choices}", f"Status must be one of: {choices}")
    happened: date | None = None
    if _DATE.fullmatch(body.happened_on):
        with contextlib.suppress(ValueError):  # 2026-02-30 matches but is no date
            happened = date.fromisoformat(body.happened_on)
    if happened is None:
        add(
            "/happened_on",
            "format",
            "应为日期（年-月-日），如 2026-05-01",
            "Must be a date (YYYY-MM-DD), e.g. 2026-05-01",
        )
    elif happened > today:
        add(
            "/happened_on",
            "date.future",
            f"办理日期不能晚于今天（{today.isoformat()}）",
            f"Must not be after today ({today.isoformat()})",
        )
    elif raised_on and body.happened_on < raised_on:
        add(
            "/happened_on",
            "date.before_raised",
            f"办理日期不能早于提出这项需求的入户调查日期（{raised_on}）",
            f"Must not be before the survey that raised the need ({raised_on})",
        )
    if body.satisfaction is not None:
        if body.satisfaction not in SATISFACTION_NAMES:
            choices = _names(SATISFACTION_NAMES, tuple(SATISFACTION_NAMES), lang)
            add(
                "/satisfaction",
                "enum",
                f"群众满意度应为：{choices}",
                f"Satisfaction must be one of: {choices}",
            )
        elif body.status in STATUS_NAMES and body.status not in CLOSING_STATUSES:
            closing = _names(STATUS_NAMES, CLOSING_STATUSES, lang)
            add(
                "/satisfaction",
                "satisfaction.not_closed",
                f"只有办结（{closing}）时才填写群众满意度",
                f"Satisfaction is recorded only when a need is closed ({closing})",
            )
    if body.status == "referred" and _clean(body.responsible_unit) is None:
        add(
            "/responsible_unit",
            "required",
            "已转办的须填写责任单位",
            "A referred need must name the responsible unit",
        )
    for path, text, limit in (
        ("/responsible_unit", body.responsible_unit, UNIT_MAX),
        ("/note", body.note, NOTE_MAX),
    ):
        if text is not None and len(text) > limit:
            add(path, "maxLength", f"最多 {limit} 个字", f"Must be at most {limit} characters")
    return errors


@dataclass(frozen=True)
class Standing:
    """An item's status as its steps give it."""

    status: str
    status_on: str | None
    responsible_unit: str | None
    closed_on: str | None
    satisfaction: str | None
    steps: int


def standing(steps: list[Any]) -> Standing:
    """The status of an item with these steps (rows with status, happened_on, id, ...):
    the latest by day (then by the order recorded); closed on the first closing day."""
    ordered = sorted(steps, key=lambda s: (s["happened_on"], s["id"]))
    if not ordered:
        return Standing("open", None, None, None, None, 0)
    latest = ordered[-1]
    units = [s["responsible_unit"] for s in ordered if s["responsible_unit"]]
    closing = [s for s in ordered if s["status"] in CLOSING_STATUSES]
    closed = latest["status"] in CLOSING_STATUSES
    return Standing(
        latest["status"],
        latest["happened_on"],
        units[-1] if units else None,
        closing[0]["happened_on"] if closed else None,
        closing[-1]["satisfaction"] if closed else None,
        len(ordered),
    )


def _same_or_conflict(row: Any, client_id: str, digest: str) -> NeedStep:
    if row["body_hash"] != digest:
        raise AppError(
            409,
            "id_conflict",
            zh_en(
                f"编号 {client_id} 已存有另一条办理记录；新记录须用新编号",
                f"step {client_id} already holds a different record; a new record needs a new id",
            ),
        )
    return step_of(row)


async def create_step(
    db: Database,
    need_id: int,
    body: NeedStepCreate,
    *,
    principal: Principal,
    overdue: Overdue,
    lang: str = "zh",
) -> tuple[NeedStep, bool]:
    """Check and store one step taken on an item; (stored step, True if it is new).

    Raises AppError 404 (no such item, or not one `principal` may step on), 409 (the
    UUID holds another step) or 422 (the step is invalid; nothing is stored).
    """
    client_id = str(body.id)
    digest = step_hash(need_id, body)
    row = await readable(db, principal, need_id, "need.step", overdue)
    existing = await db.fetch_one("SELECT * FROM need_steps WHERE client_id = ?", (client_id,))
    if existing is not None:
        return _same_or_conflict(existing, client_id, digest), False
    errors = check_step(body, row["raised_on"], overdue.today, lang)
    if errors:
        raise AppError(
            422,
            "invalid_step",
            zh_en("办理记录有误，请按提示修改", "the step is invalid; see errors"),
            errors,
        )

    async def work(conn: aiosqlite.Connection) -> tuple[NeedStep, bool]:
        now = now_iso()
        inserted = await query(
            conn,
            "INSERT INTO need_steps (client_id, body_hash, need_id, status, responsible_unit,"
            " note, satisfaction, happened_on, recorded_at, recorded_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING"
            " RETURNING *",
            (
                client_id,
                digest,
                need_id,
                body.status,
                _clean(body.responsible_unit),
                _clean(body.note),
                body.satisfaction,
                body.happened_on,
                now,
                principal.actor.name,
            ),
        )
        if not inserted:  # a racing request stored this id first: same step, or a conflict
            stored = await query(conn, "SELECT * FROM need_steps WHERE client_id = ?", (client_id,))
            return _same_or_conflict(stored[0], client_id, digest), False
        now_standing = standing(
            await query(conn, "SELECT * FROM need_steps WHERE need_id = ?", (need_id,))
        )
        # The cadre has given their word: whatever the item was asked about is answered.
        await conn.execute(
            "UPDATE needs SET status = ?, status_on = ?, responsible_unit = ?, closed_on = ?,"
            " satisfaction = ?, steps = ?, attention = NULL, attention_in = NULL,"
            " updated_at = ? WHERE id = ?",
            (
                now_standing.status,
                now_standing.status_on,
                now_standing.responsible_unit,
                now_standing.closed_on,
                now_standing.satisfaction,
                now_standing.steps,
                now,
                need_id,
            ),
        )
        await audit.record(
            conn,
            principal.actor,
            "need.step.create",
            f"need:{need_id}",
            step=client_id,
            status=body.status,
            happened_on=body.happened_on,
        )
        return step_of(inserted[0]), True

    return await db.write(work)
