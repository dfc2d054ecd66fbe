"""The needs ledger (需求台账): items, the steps taken on them, and who works on them.

A need raised on a visit is an item of its household's ledger (server/needs_sync.py
keeps the items in step with the answers). What happens to it afterwards is a
chain of steps: 待办 open, 已转办 referred to a responsible unit, 办理中 in progress,
then closed as 已解决 solved, 当场解决 solved on the spot or 无法解决已解释 cannot
solve, explained, with the household's satisfaction. Steps are only ever added,
each with who, when and a note, so an item's status on any day is its latest step
up to that day; the item's row keeps today's for lists and pages. Like answers, a
step is keyed by the client's UUID: resending it is safe.

An item not closed is overdue once it has been open longer than its urgency allows
(`MINSHENG_OVERDUE_URGENT_DAYS`, `MINSHENG_OVERDUE_NORMAL_DAYS`; long-term needs
never are), counted from the survey that raised it.

This module reads: an item and its history, lists, the workload. Recording a step is
server/need_steps.py.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from reports.labels import CLOSING_STATUSES, FOLLOWUP_STATUSES, SATISFACTION
from server.auth import Principal
from server.authz import Need as NeedResource
from server.authz import allowed, area_sql, require
from server.db import Database
from server.errors import AppError, not_found, zh_en

STATUS_NAMES = {code: (zh, en) for code, zh, en in FOLLOWUP_STATUSES}
SATISFACTION_NAMES = {code: (zh, en) for code, zh, en in SATISFACTION}
URGENCY_ORDER = ("urgent", "normal", "long_term")
_CLOSING_SQL = "(" + ", ".join(f"'{s}'" for s in CLOSING_STATUSES) + ")"


@dataclass(frozen=True)
class Overdue:
    """Days an item may stay open, by urgency, and the day counted to."""

    urgent_days: int
    normal_days: int
    today: date

    def params(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "urgent_days": self.urgent_days,
            "normal_days": self.normal_days,
        }


# SQL over an item `n`, with the parameters of Overdue.params().
DAYS_OPEN = "CAST(julianday(coalesce(n.closed_on, :today)) - julianday(n.raised_on) AS INTEGER)"
_OPEN_FOR = "CAST(julianday(:today) - julianday(n.raised_on) AS INTEGER)"
OVERDUE = (
    f"(n.status NOT IN {_CLOSING_SQL} AND ((n.urgency = 'urgent' AND {_OPEN_FOR} > :urgent_days)"
    f" OR (n.urgency = 'normal' AND {_OPEN_FOR} > :normal_days)))"
)
URGENCY_RANK = (
    "CASE n.urgency "
    + " ".join(f"WHEN '{u}' THEN {i}" for i, u in enumerate(URGENCY_ORDER))
    + f" ELSE {len(URGENCY_ORDER)} END"
)


class NeedStep(msgspec.Struct):
    id: str  # the client's UUID
    need_id: int
    status: str
    happened_on: str
    responsible_unit: str | None
    note: str | None
    satisfaction: str | None
    recorded_at: str
    recorded_by: str
    recorded_by_name: str | None = None


class NeedListing(msgspec.Struct):
    """An answer that listed the need, and what it wrote then."""

    submission_id: str
    path: str
    listed_on: str
    description: str | None
    urgency: str | None
    current: bool  # False once that answer was corrected


class Need(msgspec.Struct):
    id: int
    household_id: str | None
    head_name: str | None
    group_name: str | None
    village_code: str | None
    village_name: str | None
    township_name: str | None
    form_id: str
    category: str
    item: str
    description: str | None
    urgency: str | None
    raised_on: str
    raised_by: str | None
    raised_in: str
    last_listed_in: str
    last_listed_on: str
    cadre_id: int | None
    cadre_name: str | None
    status: str
    responsible_unit: str | None
    status_on: str | None
    closed_on: str | None
    satisfaction: str | None
    step_count: int
    days_open: int  # to today; for a closed item, to the day it closed
    overdue: bool
    attention: str | None  # not_listed / listed_again: the cadre is asked
    attention_in: str | None
    attention_on: str | None
    withdrawn_by: str | None
    created_at: str
    updated_at: str


class NeedDetail(Need):
    steps: list[NeedStep] = []
    listings: list[NeedListing] = []


class NeedPage(msgspec.Struct):
    items: list[Need]
    next: str | None = None  # pass as `after` for the next page


class Workload(msgspec.Struct):
    """One cadre's or responsible unit's items: open, overdue, closed and how."""

    key: str | None  # the cadre's id, or the unit; None: no cadre / not referred
    name: str | None
    open: int
    overdue: int
    closed: int
    mean_days_to_close: float | None
    satisfied: int
    basically_satisfied: int
    dissatisfied: int


@dataclass(frozen=True)
class NeedFilter:
    under: str | None = None  # a place's code prefix (2 to 12 digits)
    village: str | None = None
    category: str | None = None
    status: str | None = None  # a status, or "unclosed" / "closed"
    unit: str | None = None
    cadre: int | None = None
    household: str | None = None
    overdue: bool | None = None
    attention: bool | None = None


STATUS_GROUPS = ("unclosed", "closed")


# ---------------------------------------------------------------- reading


_SELECT = f"""
SELECT n.*, h.head_name, h.group_name, v.name AS village_name, v.township_name,
       u.name AS cadre_name, a.survey_date AS attention_on,
       {DAYS_OPEN} AS days_open, {OVERDUE} AS is_overdue, {URGENCY_RANK} AS urgency_rank
FROM needs n
LEFT JOIN households h ON h.id = n.household_id
LEFT JOIN villages v ON v.code = n.village_code
LEFT JOIN users u ON u.id = n.cadre_id
LEFT JOIN submissions a ON a.id = n.attention_in"""


_ROW_FIELDS = tuple(f for f in Need.__struct_fields__ if f not in ("step_count", "overdue"))


def need_fields(row: Any) -> dict[str, Any]:
    fields = {f: row[f] for f in _ROW_FIELDS}
    fields["step_count"] = row["steps"]
    fields["overdue"] = bool(row["is_overdue"])
    return fields


def step_of(row: Any) -> NeedStep:
    return NeedStep(
        id=row["client_id"],
        need_id=row["need_id"],
        status=row["status"],
        happened_on=row["happened_on"],
        responsible_unit=row["responsible_unit"],
        note=row["note"],
        satisfaction=row["satisfaction"],
        recorded_at=row["recorded_at"],
        recorded_by=row["recorded_by"],
        recorded_by_name=row["recorded_by_name"] if "recorded_by_name" in set(row.keys()) else None,
    )


async def _row(db: Database, need_id: int, overdue: Overdue) -> Any:
    return await db.fetch_one(f"{_SELECT} WHERE n.id = :id", {**overdue.params(), "id": need_id})


async def readable(
    db: Database, principal: Principal, need_id: int, verb: str, overdue: Overdue
) -> Any:
    """The item's row if `principal` may `verb` it; 404 as if absent otherwise."""
    row = await _row(db, need_id, overdue)
    resource = NeedResource(
        need_id, *(row["household_id"], row["village_code"]) if row else (None, None)
    )
    await require(db, principal, verb, resource)
    if row is None:
        raise not_found(f"需求 {need_id}", f"need {need_id}")
    return row


async def get_need(
    db: Database, principal: Principal, need_id: int, overdue: Overdue
) -> NeedDetail:
    """One item with its steps (in the order they happened) and every answer that listed it."""
    row = await readable(db, principal, need_id, "need.read", overdue)
    steps = await db.fetch_all(
        "SELECT s.*, u.name AS recorded_by_name FROM need_steps s"
        " LEFT JOIN users u ON 'user:' || u.id = s.recorded_by"
        " WHERE s.need_id = ? ORDER BY s.happened_on, s.id",
        (need_id,),
    )
    listings = await db.fetch_all(
        "SELECT l.*, s.corrected_by IS NULL AS current FROM need_listings l"
        " JOIN submissions s ON s.id = l.submission_id WHERE l.need_id = ?"
        " ORDER BY l.listed_on, s.received_at, s.rowid",
        (need_id,),
    )
    return NeedDetail(
        **need_fields(row),
        steps=[step_of(s) for s in steps],
        listings=[
            NeedListing(
                listing["submission_id"],
                listing["path"],
                listing["listed_on"],
                listing["description"],
                listing["urgency"],
                bool(listing["current"]),
            )
            for listing in listings
        ],
    )


def _where(principal: Principal, asked: NeedFilter) -> tuple[list[str], dict[str, Any]]:
    area, area_params = area_sql(principal, "n.village_code", "n.household_id")
    # area_sql speaks in ? placeholders; give them names beside the others.
    names = [f"area{i}" for i in range(len(area_params))]
    for name in names:
        area = area.replace("?", f":{name}", 1)
    clauses = ["n.withdrawn_by IS NULL", area]
    params: dict[str, Any] = dict(zip(names, area_params, strict=True))
    if asked.under:
        clauses.append("n.village_code >= :under AND n.village_code < :under || ':'")
        params["under"] = asked.under
    for column, value in (
        ("village_code", asked.village),
        ("category", asked.category),
        ("responsible_unit", asked.unit),
        ("cadre_id", asked.cadre),
        ("household_id", asked.household),
    ):
        if value is not None and value != "":
            clauses.append(f"n.{column} = :{column}")
            params[column] = value
    if asked.status == "unclosed":
        clauses.append(f"n.status NOT IN {_CLOSING_SQL}")
    elif asked.status == "closed":
        clauses.append(f"n.status IN {_CLOSING_SQL}")
    elif asked.status:
        clauses.append("n.status = :status")
        params["status"] = asked.status
    if asked.overdue is not None:
        clauses.append(OVERDUE if asked.overdue else f"NOT {OVERDUE}")
    if asked.attention is not None:
        clauses.append("n.attention IS NOT NULL" if asked.attention else "n.attention IS NULL")
    return clauses, params


def check_filter(asked: NeedFilter) -> None:
    """400 for a filter no item could match because it is misspelt."""
    if asked.status and asked.status not in (*STATUS_NAMES, *STATUS_GROUPS):
        choices = ", ".join((*STATUS_NAMES, *STATUS_GROUPS))
        raise AppError(
            400,
            "bad_status",
            zh_en(f"status 应为：{choices}", f"status must be one of: {choices}"),
        )
    if asked.under and not re.fullmatch(r"\d{2}|\d{4}|\d{6}|\d{9}|\d{12}", asked.under):
        raise AppError(
            400,
            "bad_place",
            zh_en(
                "under 应为 2、4、6、9 或 12 位地区代码",
                "under must be a 2, 4, 6, 9 or 12-digit code",
            ),
        )


# Listing order: overdue first, then the most urgent, then the oldest (over _SELECT's row).
_ORDER = "1 - is_overdue, urgency_rank, raised_on, id"


def _cursor(row: Any) -> str:
    key = [1 - row["is_overdue"], row["urgency_rank"], row["raised_on"], row["id"]]
    return base64.urlsafe_b64encode(("n" + json.dumps(key)).encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> list[Any]:
    with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key = json.loads(text[1:]) if text.startswith("n") else None
        if (
            isinstance(key, list)
            and len(key) == 4
            and all(isinstance(k, int) for k in (key[0], key[1], key[3]))
            and isinstance(key[2], str)
        ):
            return key
    raise AppError(
        400,
        "bad_cursor",
        zh_en(
            "after 不是本服务器给出的分页位置，请用上一页返回的 next",
            "after is not a cursor this server gave; pass the `next` of the page before",
        ),
    )


async def list_needs(
    db: Database,
    principal: Principal,
    asked: NeedFilter,
    overdue: Overdue,
    *,
    limit: int = 50,
    after: str | None = None,
) -> NeedPage:
    """The items `principal` may read that match `asked`: overdue first, then the most
    urgent, then the oldest; keyset pages."""
    check_filter(asked)
    clauses, params = _where(principal, asked)
    params.update(overdue.params())
    after_sql = "1 = 1"
    if after is not None:
        after_sql = f"({_ORDER}) > (:k0, :k1, :k2, :k3)"
        params.update({f"k{i}": v for i, v in enumerate(_uncursor(after))})
    rows = await db.fetch_all(
        f"SELECT * FROM ({_SELECT} WHERE {' AND '.join(clauses)})"
        f" WHERE {after_sql} ORDER BY {_ORDER} LIMIT :limit",
        {**params, "limit": limit + 1},
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return NeedPage([Need(**need_fields(r)) for r in rows], _cursor(rows[-1]) if more else None)


async def my_needs(db: Database, principal: Principal, overdue: Overdue) -> list[Need]:
    """A cadre's items to work on: those of the households paired with them now that are
    not closed, and closed ones they are asked about; asked ones first, then the most
    urgent, then the oldest."""
    if principal.role != "cadre" or principal.user_id is None:
        return []
    clauses, params = _where(principal, NeedFilter())
    clauses.append(f"(n.status NOT IN {_CLOSING_SQL} OR n.attention IS NOT NULL)")
    rows = await db.fetch_all(
        f"{_SELECT} WHERE {' AND '.join(clauses)}"
        " ORDER BY n.attention IS NULL, urgency_rank, n.raised_on, n.id LIMIT 1000",
        {**params, **overdue.params()},
    )
    return [Need(**need_fields(r)) for r in rows]


async def workload(
    db: Database, principal: Principal, by: str, overdue: Overdue, under: str | None = None
) -> list[Workload]:
    """Per cadre (`by="cadre"`) or responsible unit (`by="unit"`): the items `principal`
    may read, open, overdue and closed, mean days to close and satisfaction."""
    if by not in ("cadre", "unit"):
        raise AppError(400, "bad_by", zh_en("by 只能是 cadre 或 unit", "by must be cadre or unit"))
    asked = NeedFilter(under=under)
    check_filter(asked)
    clauses, params = _where(principal, asked)
    key = "CAST(n.cadre_id AS TEXT)" if by == "cadre" else "n.responsible_unit"
    name = "u.name" if by == "cadre" else "n.responsible_unit"
    rows = await db.fetch_all(
        f"""SELECT {key} AS key, min({name}) AS name,
                   total(n.status NOT IN {_CLOSING_SQL}) AS open, total({OVERDUE}) AS overdue,
                   total(n.status IN {_CLOSING_SQL}) AS closed,
                   avg(CASE WHEN n.status IN {_CLOSING_SQL}
                       THEN julianday(n.closed_on) - julianday(n.raised_on) END) AS mean_days,
                   total(n.satisfaction = 'satisfied') AS satisfied,
                   total(n.satisfaction = 'basically_satisfied') AS basically_satisfied,
                   total(n.satisfaction = 'dissatisfied') AS dissatisfied
            FROM needs n LEFT JOIN users u ON u.id = n.cadre_id
            WHERE {" AND ".join(clauses)}
            GROUP BY {key} ORDER BY overdue DESC, open DESC, name""",
        {**params, **overdue.params()},
    )
    return [
        Workload(
            key=r["key"],
            name=r["name"],
            open=int(r["open"]),
            overdue=int(r["overdue"]),
            closed=int(r["closed"]),
            mean_days_to_close=r["mean_days"],
            satisfied=int(r["satisfied"]),
            basically_satisfied=int(r["basically_satisfied"]),
            dissatisfied=int(r["dissatisfied"]),
        )
        for r in rows
    ]


async def may_step(db: Database, principal: Principal, need: Need) -> bool:
    return await allowed(
        db, principal, "need.step", NeedResource(need.id, need.household_id, need.village_code)
    )
