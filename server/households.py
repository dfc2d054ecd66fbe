"""The household roster (建档立卡户): every household answers are about.

A household is its id. Its head, the head's ID number and its name can all
change (the head dies, the spouse takes over, a typo is fixed) and it stays the
same household: answers, needs and pairings point at the id. Households come
from the county's roster (import) or are proposed by a cadre who met one the
roster lacks and confirmed by an official; until then a proposed household
can be surveyed by the cadre who proposed it but is not counted in reports.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Annotated, Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from server import audit
from server.auth import Principal
from server.authz import Household, Place, area_sql, forget_pairings, require
from server.db import Database, now_iso, query
from server.errors import AppError, documented_errors, not_found, zh_en
from server.http import documented_body, json_body
from server.subjects import forget_households

CATEGORIES = {
    "not_out": ("未脱贫", "not yet out of poverty"),
    "out": ("已脱贫", "out of poverty"),
    "monitored": ("返贫监测", "monitored for relapse"),
    "general": ("一般户", "general household"),
}
HOUSEHOLD_FIELDS = (
    "roster_no",
    "village_code",
    "group_name",
    "head_name",
    "head_id_number",
    "category",
    "members",
    "phone",
)


class Member(msgspec.Struct, forbid_unknown_fields=True):
    """A member as the roster knows them (what a survey can be filled in from)."""

    name: str
    relation: str | None = None
    id_number: str | None = None
    sex: str | None = None


class HouseholdRecord(msgspec.Struct):
    id: str
    roster_no: str | None
    village_code: str
    group_name: str | None
    head_name: str
    head_id_number: str | None
    category: str
    members: list[Member]
    member_count: int
    phone: str | None
    status: str
    created_at: str
    updated_at: str
    proposed_by: str | None = None  # who proposed it, for a household not from the roster


class HouseholdCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A household a cadre found missing from the roster, proposed for confirmation."""

    id: uuid.UUID
    village_code: str
    head_name: str
    category: str
    group_name: str | None = None
    head_id_number: str | None = None
    members: list[Member] = msgspec.field(default_factory=list)
    phone: str | None = None


class Review(msgspec.Struct, forbid_unknown_fields=True):
    decision: str  # "confirm" or "reject"
    note: str | None = None


class HouseholdPage(msgspec.Struct):
    items: list[HouseholdRecord]
    next_after: str | None


def _record(row: Any) -> HouseholdRecord:
    return HouseholdRecord(
        id=row["id"],
        roster_no=row["roster_no"],
        village_code=row["village_code"],
        group_name=row["group_name"],
        head_name=row["head_name"],
        head_id_number=row["head_id_number"],
        category=row["category"],
        members=msgspec.convert(json.loads(row["members"]), list[Member]),
        member_count=row["member_count"],
        phone=row["phone"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        proposed_by=row["proposed_by"],
    )


async def get_household(db: Database, household_id: str) -> HouseholdRecord | None:
    row = await db.fetch_one("SELECT * FROM households WHERE id = ?", (household_id,))
    return None if row is None else _record(row)


async def household_in_scope(
    db: Database, principal: Principal, verb: str, household_id: str
) -> HouseholdRecord:
    """The household, if `principal` may `verb` it; 404 as if absent otherwise."""
    found = await get_household(db, household_id)
    if found is None:
        await require(db, principal, verb, Household(household_id, ""))  # 401 before 404
        raise not_found(f"户 {household_id!r}", f"household {household_id!r}")
    await require(db, principal, verb, Household(found.id, found.village_code))
    return found


async def list_households(
    db: Database,
    principal: Principal,
    *,
    under: str | None = None,
    status: str = "active",
    search: str | None = None,
    limit: int = 100,
    after: str | None = None,
) -> HouseholdPage:
    """The households `principal` may read, by village then head's name; keyset pages."""
    where, params = area_sql(principal, "village_code", "id")
    clauses, values = [where, "status = ?"], [*params, status]
    if under:
        clauses.append("village_code >= ? AND village_code < ?")
        values += [under, under + ":"]
    if search:
        clauses.append("(head_name LIKE ? OR roster_no = ? OR head_id_number = ?)")
        values += [f"%{search}%", search, search]
    if after:
        village, _, hid = after.partition("|")
        clauses.append("(village_code, id) > (?, ?)")
        values += [village, hid]
    rows = await db.fetch_all(
        f"SELECT * FROM households WHERE {' AND '.join(clauses)} ORDER BY village_code, id LIMIT ?",
        (*values, limit + 1),
    )
    items = [_record(r) for r in rows[:limit]]
    more = len(rows) > limit
    return HouseholdPage(items, f"{items[-1].village_code}|{items[-1].id}" if more else None)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    members = values.get("members") or []
    return {
        **values,
        "members": json.dumps(
            [msgspec.to_builtins(m) if isinstance(m, Member) else m for m in members],
            ensure_ascii=False,
        ),
        "member_count": len(members),
    }


def _problems(values: dict[str, Any]) -> list[dict[str, str]]:
    problems = []
    if values.get("category") not in CATEGORIES:
        choices = "、".join(f"{k}（{v[0]}）" for k, v in CATEGORIES.items())
        problems.append({"path": "/category", "code": "enum", "message": f"应为 {choices}"})
    if not (values.get("head_name") or "").strip():
        problems.append({"path": "/head_name", "code": "required", "message": "户主姓名必填"})
    idn = values.get("head_id_number")
    if idn is not None and not (len(idn) == 18 and idn[:17].isascii() and idn[:17].isdigit()):
        problems.append(
            {"path": "/head_id_number", "code": "pattern", "message": "身份证号应为 18 位"}
        )
    return problems


async def upsert_households(
    db: Database,
    actor: audit.Actor | str,
    rows: Iterable[dict[str, Any]],
    *,
    dry_run: bool = False,
) -> tuple[int, int, int]:
    """Store roster rows: (created, changed, unchanged).

    A row names its household by `id`, else by `roster_no`, else by the head's ID
    number; a known household takes the row's values, an unknown one is created.
    With `dry_run` the counts are worked out on a reader and nothing is written.
    """

    async def work(conn: aiosqlite.Connection) -> tuple[int, int, int]:
        created = changed = same = 0
        at = now_iso()
        for row in rows:
            values = _clean({k: row.get(k) for k in HOUSEHOLD_FIELDS})
            found = await _find(conn, row)
            if found is None and dry_run:
                created += 1
                continue
            if found is None:
                hid = row.get("id") or str(uuid.uuid4())
                await conn.execute(
                    "INSERT INTO households (id, roster_no, village_code, group_name, head_name,"
                    " head_id_number, category, members, member_count, phone, status,"
                    " created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
                    (
                        hid,
                        values["roster_no"],
                        values["village_code"],
                        values["group_name"],
                        values["head_name"],
                        values["head_id_number"],
                        values["category"],
                        values["members"],
                        values["member_count"],
                        values["phone"],
                        at,
                        at,
                    ),
                )
                created += 1
                continue
            fields = [*HOUSEHOLD_FIELDS, "member_count"]
            differs = [f for f in fields if found[f] != values[f]]
            if not differs and found["status"] == "active":
                same += 1
                continue
            changed += 1
            if dry_run:
                continue
            sets = ", ".join(f"{f} = ?" for f in differs)
            await conn.execute(
                f"UPDATE households SET {sets + ', ' if sets else ''}status = 'active',"
                " updated_at = ? WHERE id = ?",
                (*(values[f] for f in differs), at, found["id"]),
            )
        if (created or changed) and not dry_run:
            await audit.record(
                conn, actor, "household.import", "households", created=created, changed=changed
            )
        return created, changed, same

    if dry_run:
        return await db.read(work)
    counts = await db.write(work)
    forget_households()
    return counts


async def _find(conn: aiosqlite.Connection, row: dict[str, Any]) -> Any:
    # By the head's ID number, only a household on the roster or proposed counts: those are
    # the ones the unique index covers (and what it lets SQLite search instead of scan).
    for column, live in (("id", ""), ("roster_no", ""), ("head_id_number", _LIVE)):
        value = row.get(column)
        if value:
            found = await query(
                conn, f"SELECT * FROM households WHERE {column} = ?{live}", (value,)
            )
            if found:
                return found[0]
    return None


_LIVE = " AND status IN ('active', 'proposed')"


async def propose_household(
    db: Database, principal: Principal, body: HouseholdCreate
) -> tuple[HouseholdRecord, bool]:
    """A household missing from the roster: proposed (confirmed at once for an official)."""
    values = {**msgspec.to_builtins(body), "id": str(body.id), "roster_no": None}
    problems = _problems(values)
    if problems:
        raise AppError(
            422, "invalid_household", zh_en("户信息有误", "the household is invalid"), problems
        )
    status = "active" if principal.role in ("admin", "official") else "proposed"
    values = _clean(values)

    async def work(conn: aiosqlite.Connection) -> tuple[HouseholdRecord, bool]:
        existing = await query(conn, "SELECT * FROM households WHERE id = ?", (values["id"],))
        if existing:
            return _record(existing[0]), False
        if not await query(
            conn, "SELECT 1 FROM places WHERE code = ? AND level = 'village'", (body.village_code,)
        ):
            raise AppError(
                422,
                "unknown_village",
                zh_en(f"没有村 {body.village_code}", f"no village {body.village_code}"),
                [{"path": "/village_code", "code": "unknown", "message": body.village_code}],
            )
        if values["head_id_number"] and await query(
            conn,
            "SELECT 1 FROM households"
            " WHERE head_id_number = ? AND status IN ('active', 'proposed')",
            (values["head_id_number"],),
        ):
            raise AppError(
                409,
                "household_exists",
                zh_en(
                    "花名册中已有此户主身份证号的户，请在花名册中查找",
                    "a household with this head's ID number is on the roster already",
                ),
            )
        at = now_iso()
        rows = await query(
            conn,
            "INSERT INTO households (id, village_code, group_name, head_name, head_id_number,"
            " category, members, member_count, phone, status, proposed_by, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                values["id"],
                body.village_code,
                values["group_name"],
                values["head_name"],
                values["head_id_number"],
                values["category"],
                values["members"],
                values["member_count"],
                values["phone"],
                status,
                principal.actor.name,
                at,
                at,
            ),
        )
        if principal.role == "cadre" and principal.user_id is not None:
            # The cadre who met the household works with it from now on.
            await conn.execute(
                "INSERT INTO pairings (cadre_id, household_id, since) VALUES (?, ?, ?)",
                (principal.user_id, values["id"], at),
            )
        await audit.record(
            conn, principal.actor, "household.propose", f"household:{values['id']}", status=status
        )
        return _record(rows[0]), True

    record, created = await db.write(work)
    forget_households()
    forget_pairings(principal.user_id)
    return record, created


async def review_household(
    db: Database, principal: Principal, household_id: str, review: Review
) -> HouseholdRecord:
    if review.decision not in ("confirm", "reject"):
        raise AppError(
            422,
            "invalid_review",
            zh_en("decision 应为 confirm 或 reject", "decision must be confirm or reject"),
        )
    found = await household_in_scope(db, principal, "household.review", household_id)
    if found.status != "proposed":
        raise AppError(
            409,
            "not_proposed",
            zh_en("此户不是待确认的新增户", "this household is not awaiting confirmation"),
        )
    status = "active" if review.decision == "confirm" else "rejected"

    async def work(conn: aiosqlite.Connection) -> HouseholdRecord:
        rows = await query(
            conn,
            "UPDATE households SET status = ?, reviewed_by = ?, updated_at = ? WHERE id = ?"
            " RETURNING *",
            (status, principal.actor.name, now_iso(), household_id),
        )
        await audit.record(
            conn,
            principal.actor,
            f"household.{review.decision}",
            f"household:{household_id}",
            note=review.note,
        )
        return _record(rows[0])

    reviewed = await db.write(work)
    forget_households()
    return reviewed


_ERRORS = documented_errors(
    {401: "not logged in", 403: "not allowed", 404: "no such household (or not yours)"}
)


class HouseholdController(Controller):
    path = "/api/households"
    tags = ("households",)

    @get("/", responses=_ERRORS)
    async def list(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        under: Annotated[
            str | None,
            QueryParameter(description="a place's code prefix", pattern="^[0-9]{2,12}$"),
        ] = None,
        status: Annotated[
            str, QueryParameter(pattern="^(active|proposed|rejected|removed)$")
        ] = "active",
        q: Annotated[str | None, QueryParameter(max_length=40)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        after: Annotated[str | None, QueryParameter(max_length=80)] = None,
    ) -> HouseholdPage:
        """The roster households you may read (an official's area, a cadre's pairing)."""
        await require(db, principal, "household.list")
        return await list_households(
            db, principal, under=under, status=status, search=q, limit=limit, after=after
        )

    @get("/{household_id:str}", responses=_ERRORS)
    async def read(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        household_id: FromPath[str],
    ) -> HouseholdRecord:
        """One household of the roster, with its members as the roster knows them."""
        return await household_in_scope(db, principal, "household.read", household_id)

    @post(
        "/",
        status_code=201,
        responses={
            **_ERRORS,
            **documented_errors(
                {
                    409: "a household with this head's ID number is on the roster already",
                    422: "a bad value (`errors` names each field), or no such village",
                }
            ),
            200: ResponseSpec(HouseholdRecord, description="this id was already proposed, alike"),
        },
        operation_class=documented_body(HouseholdCreate),
    )
    async def propose(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> Response[HouseholdRecord]:
        """Propose a household missing from the roster; an official confirms it."""
        body = await json_body(request, HouseholdCreate)
        await require(db, principal, "household.propose", Place(body.village_code))
        record, created = await propose_household(db, principal, body)
        return Response(record, status_code=201 if created else 200)

    @post(
        "/{household_id:str}/review",
        status_code=200,
        responses={
            **_ERRORS,
            **documented_errors(
                {409: "no longer proposed", 422: "decision is not confirm or reject"}
            ),
        },
        operation_class=documented_body(Review),
    )
    async def review(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        household_id: FromPath[str],
    ) -> HouseholdRecord:
        """Confirm or reject a proposed household: `{"decision": "confirm"|"reject"}`."""
        review = await json_body(request, Review)
        return await review_household(db, principal, household_id, review)
