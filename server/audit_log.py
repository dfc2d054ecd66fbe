"""Reading the audit log: who did what to what, when, from where.

The log is written by the write functions themselves (`server.audit.record`);
this module only reads it, for administrators: filtered by actor, action
(a prefix: `login` finds `login` and `login.fail`), target, address and a range
of days, newest first, a page at a time. Pages are keyed on the entry id, which
grows with every entry, so a page does not shift while new entries arrive. An
account appears as `user:<id>` in the log and by its person's name here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from server.auth import Principal
from server.authz import require
from server.db import Database
from server.errors import AppError, documented_errors, zh_en
from server.settings import Settings

PAGE = 50
_ACCOUNT = re.compile(r"user:(\d{1,18})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AuditEntry(msgspec.Struct):
    id: int
    at: str
    actor: str
    actor_name: str | None  # the person's name when the actor is an account (`user:12`)
    action: str
    target: str
    target_name: str | None  # likewise for a target `user:12`
    detail: dict[str, Any]
    address: str | None


class AuditPage(msgspec.Struct):
    """Newest first; pass `next_before` as `before` for the next (older) page."""

    items: list[AuditEntry]
    next_before: int | None


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; every part given must match. `since`/`until` are UTC instants
    as the log stores them (`until` excluded)."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    address: str | None = None
    since: str | None = None
    until: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = ["1 = 1"], []
        for column in ("actor", "target", "address"):
            value = getattr(self, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.action:
            # A range rather than LIKE: no wildcard to escape, and the action index serves it.
            clauses.append("action >= ? AND action < ?")
            params += [self.action, self.action + "\U0010ffff"]
        if self.since:
            clauses.append("at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("at < ?")
            params.append(self.until)
        return " AND ".join(clauses), params


def _day(name: str, value: str | None) -> date | None:
    if not value:
        return None
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise AppError(
        400,
        "bad_date",
        zh_en(
            f"{name} 应为日期，格式为 年-月-日（YYYY-MM-DD），而不是 {value[:40]!r}",
            f"{name} must be a date as YYYY-MM-DD, not {value[:40]!r}",
        ),
    )


def _utc(day: date, zone: str) -> str:
    try:
        at = datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of Greenwich is in year 0, which Python lacks
        return "0000-01-01T00:00:00.000Z"
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_time(at: str, zone: str) -> str:
    """A logged instant as the clock on the wall showed it where the surveys are made."""
    instant = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


async def audit_filter(
    db: Database,
    settings: Settings,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    address: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> AuditFilter:
    """The filter a person typed: a username for an actor becomes `user:<id>`; `start`
    and `end` are days, both included, on the local calendar (MINSHENG_TZ)."""
    first, last = _day("from", start), _day("to", end)
    if first and last and first > last:
        raise AppError(  # each day well formed, but none between them
            422,
            "bad_period",
            zh_en("起始日期 from 不能晚于截止日期 to", "from must not be after to"),
        )
    actor = (actor or "").strip() or None
    if actor and not _ACCOUNT.fullmatch(actor):
        row = await db.fetch_one("SELECT id FROM users WHERE username = ?", (actor,))
        actor = f"user:{row['id']}" if row else actor
    return AuditFilter(
        actor=actor,
        action=(action or "").strip() or None,
        target=(target or "").strip() or None,
        address=(address or "").strip() or None,
        since=_utc(first, settings.timezone) if first else None,
        until=_utc(last + timedelta(days=1), settings.timezone) if last else None,
    )


async def search(
    db: Database, wanted: AuditFilter, *, limit: int = PAGE, before: int | None = None
) -> AuditPage:
    """A page of the entries matching `wanted`, newest first."""
    where, params = wanted.where()
    if before is not None:
        where += " AND id < ?"
        params.append(before)
    rows = await db.fetch_all(
        f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ?", (*params, limit + 1)
    )
    page = rows[:limit]
    names = await account_names(db, {w for r in page for w in (r["actor"], r["target"])})
    items = [
        AuditEntry(
            id=r["id"],
            at=r["at"],
            actor=r["actor"],
            actor_name=names.get(r["actor"]),
            action=r["action"],
            target=r["target"],
            target_name=names.get(r["target"]),
            detail=json.loads(r["detail"]),
            address=r["address"],
        )
        for r in page
    ]
    return AuditPage(items, page[-1]["id"] if len(rows) > limit else None)


async def account_names(db: Database, whos: set[str]) -> dict[str, str]:
    """`user:<id>` -> the person's name, for the accounts among `whos` (as the log names
    them: an actor, a target, who proposed a household)."""
    ids = sorted({int(m.group(1)) for w in whos if (m := _ACCOUNT.fullmatch(w))})
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = await db.fetch_all(f"SELECT id, name FROM users WHERE id IN ({marks})", tuple(ids))
    return {f"user:{r['id']}": r["name"] for r in rows}


Text = Annotated[str | None, QueryParameter(max_length=200)]
# A day, or empty as the audit page's form sends an unfilled one (no limit then).
DAY_OR_EMPTY: dict[str, Any] = {"anyOf": [{"format": "date"}, {"maxLength": 0}]}


class AuditController(Controller):
    tags = ("audit",)

    @get(
        "/api/audit",
        responses=documented_errors(
            {
                400: "a bad date",
                401: "not logged in",
                403: "not an administrator",
                422: "`from` after `to` (`bad_period`)",
            }
        ),
    )
    async def entries(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        actor: Annotated[
            str | None,
            QueryParameter(
                description="a username, or the log's own name (`user:12`, `link:3`, `cli`)",
                max_length=200,
            ),
        ] = None,
        action: Annotated[
            str | None,
            QueryParameter(description="an action or its prefix: `login`, `user.`", max_length=80),
        ] = None,
        target: Annotated[
            str | None,
            QueryParameter(description="exactly, e.g. `user:12`, `household:<id>`"),
        ] = None,
        address: Text = None,
        start: Annotated[
            str | None,
            QueryParameter(
                name="from", description="first day, YYYY-MM-DD", schema_extra=DAY_OR_EMPTY
            ),
        ] = None,
        end: Annotated[
            str | None,
            QueryParameter(
                name="to",
                description="last day, YYYY-MM-DD (included)",
                schema_extra=DAY_OR_EMPTY,
            ),
        ] = None,
        before: Annotated[
            int | None,
            QueryParameter(description="the `next_before` of the previous page", ge=1),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = PAGE,
    ) -> AuditPage:
        """The audit log, newest first, filtered (administrators)."""
        await require(db, principal, "audit.read")
        wanted = await audit_filter(
            db,
            settings,
            actor=actor,
            action=action,
            target=target,
            address=address,
            start=start,
            end=end,
        )
        return await search(db, wanted, limit=limit, before=before)
