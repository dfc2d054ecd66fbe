"""The 双联 pairing: which cadre works with which households and villages.

A pairing starts on a day and ends on a day; ended pairings are kept, so the
question "who was this household's cadre in May" keeps its answer. A cadre's
home page (我的联系户) lists the households paired with them now, with what
the roster and their last answer say, so the next visit starts from there.
"""

from __future__ import annotations

from typing import Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from server import audit
from server.auth import Principal
from server.authz import forget_pairings, require
from server.db import Database, now_iso, query
from server.errors import AppError, documented_errors, not_found, zh_en
from server.http import documented_body, json_body
from server.places import Village
from server.settings import Settings


class PairingCreate(msgspec.Struct, forbid_unknown_fields=True):
    cadre: str  # username
    household_id: str | None = None
    village_code: str | None = None


class PairingRecord(msgspec.Struct):
    id: int
    cadre_id: int
    cadre: str
    household_id: str | None
    village_code: str | None
    since: str
    until: str | None


class MyHousehold(msgspec.Struct):
    """One line of a cadre's 我的联系户."""

    id: str
    head_name: str
    village_code: str
    village_name: str
    township_name: str
    group_name: str | None
    category: str
    member_count: int
    surveyed_this_round: bool
    last_answer_id: str | None
    last_survey_date: str | None
    last_visit: str | None  # the later of the last survey and the last follow-up step
    open_needs: int
    status: str = "active"  # or "proposed": found missing from the roster, not yet confirmed
    updated_at: str = ""  # when its roster entry last changed (the phone refreshes its copy)


def _pairing(row: Any) -> PairingRecord:
    return PairingRecord(
        id=row["id"],
        cadre_id=row["cadre_id"],
        cadre=row["username"],
        household_id=row["household_id"],
        village_code=row["village_code"],
        since=row["since"],
        until=row["until"],
    )


async def pair(
    db: Database,
    actor: audit.Actor | str,
    cadre_id: int,
    *,
    household_id: str | None = None,
    village_code: str | None = None,
) -> tuple[PairingRecord, bool]:
    """Pair a cadre with a household or a village; (the pairing, True if new)."""
    if (household_id is None) == (village_code is None):
        raise AppError(
            422,
            "invalid_pairing",
            zh_en("须指定一户或一个村", "name one household or one village"),
        )

    async def work(conn: aiosqlite.Connection) -> tuple[PairingRecord, bool]:
        cadre = await query(conn, "SELECT role FROM users WHERE id = ?", (cadre_id,))
        if not cadre or cadre[0]["role"] != "cadre":
            raise AppError(
                422, "not_a_cadre", zh_en("只能为帮扶干部结对", "only a cadre can be paired")
            )
        if household_id is not None and not await query(
            conn, "SELECT 1 FROM households WHERE id = ?", (household_id,)
        ):
            raise not_found(f"户 {household_id!r}", f"household {household_id!r}")
        if village_code is not None and not await query(
            conn, "SELECT 1 FROM places WHERE code = ? AND level = 'village'", (village_code,)
        ):
            raise not_found(f"村 {village_code!r}", f"village {village_code!r}")
        column, value = (
            ("household_id", household_id) if household_id else ("village_code", village_code)
        )
        existing = await query(
            conn,
            "SELECT p.*, u.username FROM pairings p JOIN users u ON u.id = p.cadre_id"
            f" WHERE p.cadre_id = ? AND p.{column} = ? AND p.until IS NULL",
            (cadre_id, value),
        )
        if existing:
            return _pairing(existing[0]), False
        rows = await query(
            conn,
            f"INSERT INTO pairings (cadre_id, {column}, since) VALUES (?, ?, ?) RETURNING id",
            (cadre_id, value, now_iso()),
        )
        found = await query(
            conn,
            "SELECT p.*, u.username FROM pairings p JOIN users u ON u.id = p.cadre_id"
            " WHERE p.id = ?",
            (rows[0]["id"],),
        )
        await audit.record(conn, actor, "pairing.create", f"user:{cadre_id}", **{column: value})
        return _pairing(found[0]), True

    result = await db.write(work)
    forget_pairings(cadre_id)
    return result


async def unpair(db: Database, actor: audit.Actor | str, pairing_id: int) -> PairingRecord:
    """End a pairing today; it stays in the history."""

    async def work(conn: aiosqlite.Connection) -> PairingRecord:
        rows = await query(
            conn,
            "UPDATE pairings SET until = ? WHERE id = ? AND until IS NULL RETURNING cadre_id",
            (now_iso(), pairing_id),
        )
        if not rows:
            raise not_found(f"结对 {pairing_id}", f"pairing {pairing_id}")
        found = await query(
            conn,
            "SELECT p.*, u.username FROM pairings p JOIN users u ON u.id = p.cadre_id"
            " WHERE p.id = ?",
            (pairing_id,),
        )
        await audit.record(conn, actor, "pairing.end", f"user:{rows[0]['cadre_id']}", id=pairing_id)
        return _pairing(found[0])

    ended = await db.write(work)
    forget_pairings(ended.cadre_id)
    return ended


async def list_pairings(db: Database, cadre_id: int | None = None) -> list[PairingRecord]:
    where, params = ("WHERE p.cadre_id = ?", (cadre_id,)) if cadre_id else ("", ())
    rows = await db.fetch_all(
        "SELECT p.*, u.username FROM pairings p JOIN users u ON u.id = p.cadre_id"
        f" {where} ORDER BY p.until IS NOT NULL, u.username, p.id",
        params,
    )
    return [_pairing(r) for r in rows]


class PairingLine(msgspec.Struct):
    """A pairing as an administrator reads it: whom, where, since when, until when."""

    id: int
    household_id: str | None
    head_name: str | None
    village_code: str
    village_name: str | None
    township_name: str | None
    since: str
    until: str | None


async def pairings_of(db: Database, cadre_id: int) -> list[PairingLine]:
    """A cadre's pairings, current ones first, then the ended ones, latest ended first."""
    rows = await db.fetch_all(
        "SELECT p.id, p.household_id, h.head_name,"
        " coalesce(p.village_code, h.village_code) AS village_code,"
        " v.name AS village_name, v.township_name, p.since, p.until"
        " FROM pairings p LEFT JOIN households h ON h.id = p.household_id"
        " LEFT JOIN villages v ON v.code = coalesce(p.village_code, h.village_code)"
        " WHERE p.cadre_id = ?"
        " ORDER BY p.until IS NOT NULL, p.until DESC, p.household_id IS NOT NULL,"
        " village_code, h.head_name, p.id",
        (cadre_id,),
    )
    return [PairingLine(**dict(r)) for r in rows]


async def villages_of(db: Database, cadre_id: int) -> list[Village]:
    """The villages a cadre works in now: paired whole, or through some of their households."""
    codes = {p.village_code for p in await pairings_of(db, cadre_id) if p.until is None}
    if not codes:
        return []
    marks = ", ".join("?" * len(codes))
    rows = await db.fetch_all(
        f"SELECT * FROM villages WHERE code IN ({marks}) ORDER BY code", tuple(sorted(codes))
    )
    return [Village(**dict(r)) for r in rows]


class CadreSummary(msgspec.Struct):
    id: int
    username: str
    name: str
    unit: str | None
    active: bool
    households: int  # paired one by one, now
    villages: int  # paired as a whole village, now


async def cadres(db: Database, search: str | None = None) -> list[CadreSummary]:
    """Every cadre (by name; `search` in name or username) with their current pairings."""
    where, params = "u.role = 'cadre'", []
    if search:
        where += " AND (u.name LIKE ? OR u.username LIKE ?)"
        params += [f"%{search}%", f"%{search}%"]
    rows = await db.fetch_all(
        "SELECT u.id, u.username, u.name, u.unit, u.active,"
        " count(p.household_id) AS households, count(p.village_code) AS villages"
        " FROM users u LEFT JOIN pairings p ON p.cadre_id = u.id AND p.until IS NULL"
        f" WHERE {where} GROUP BY u.id ORDER BY u.active DESC, u.name, u.username",
        tuple(params),
    )
    return [CadreSummary(**{**dict(r), "active": bool(r["active"])}) for r in rows]


async def my_households(db: Database, cadre_id: int, round_start: str) -> list[MyHousehold]:
    """The households paired with a cadre now (directly, or through a paired village)."""
    rows = await db.fetch_all(
        """
        WITH mine AS (
            SELECT household_id AS id FROM pairings
            WHERE cadre_id = :cadre AND until IS NULL AND household_id IS NOT NULL
            UNION
            SELECT h.id FROM pairings p JOIN households h ON h.village_code = p.village_code
            WHERE p.cadre_id = :cadre AND p.until IS NULL AND h.status = 'active'),
        last AS (
            SELECT household_id, id, survey_date,
                   row_number() OVER (PARTITION BY household_id
                                      ORDER BY survey_date DESC, received_at DESC) AS n
            FROM submissions
            WHERE household_id IN (SELECT id FROM mine) AND corrected_by IS NULL)
        SELECT h.id, h.head_name, h.village_code, v.name AS village_name,
               v.township_name, h.group_name, h.category, h.member_count, h.status,
               h.updated_at,
               l.id AS last_answer_id, l.survey_date AS last_survey_date,
               (SELECT count(*) FROM needs n WHERE n.household_id = h.id
                AND n.withdrawn_by IS NULL
                AND n.status NOT IN ('solved_on_spot', 'solved', 'cannot_solve')) AS open_needs,
               (SELECT max(s.happened_on) FROM needs n JOIN need_steps s ON s.need_id = n.id
                WHERE n.household_id = h.id) AS last_step
        FROM mine JOIN households h ON h.id = mine.id
        JOIN villages v ON v.code = h.village_code
        LEFT JOIN last l ON l.household_id = h.id AND l.n = 1
        WHERE h.status IN ('active', 'proposed')
        ORDER BY (l.survey_date >= :round) IS TRUE, v.code, h.head_name
        """,
        {"cadre": cadre_id, "round": round_start},
    )
    return [
        MyHousehold(
            id=r["id"],
            head_name=r["head_name"],
            village_code=r["village_code"],
            village_name=r["village_name"],
            township_name=r["township_name"],
            group_name=r["group_name"],
            category=r["category"],
            member_count=r["member_count"],
            surveyed_this_round=bool(
                r["last_survey_date"] and r["last_survey_date"] >= round_start
            ),
            last_answer_id=r["last_answer_id"],
            last_survey_date=r["last_survey_date"],
            last_visit=max(filter(None, (r["last_survey_date"], r["last_step"])), default=None),
            open_needs=r["open_needs"],
            status=r["status"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]


_ERRORS = documented_errors({401: "not logged in", 403: "not allowed"})


class PairingController(Controller):
    tags = ("pairings",)

    @get("/api/me/households", responses=_ERRORS)
    async def mine(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
    ) -> list[MyHousehold]:
        """我的联系户: the households paired with the cadre asking, neediest of a visit first."""
        await require(db, principal, "account.self")
        if principal.role != "cadre" or principal.user_id is None:
            return []
        return await my_households(db, principal.user_id, settings.round_start.isoformat())

    @get("/api/pairings", responses=_ERRORS)
    async def list(
        self, db: NamedDependency[Database], principal: NamedDependency[Principal]
    ) -> list[PairingRecord]:
        """Every pairing, current ones first (admin)."""
        await require(db, principal, "pairing.manage")
        return await list_pairings(db)

    @post(
        "/api/pairings",
        status_code=201,
        responses={
            **_ERRORS,
            **documented_errors(
                {
                    404: "no such cadre, household or village",
                    422: "neither a household nor a village named, or both",
                }
            ),
            200: ResponseSpec(PairingRecord, description="they are paired already: that pairing"),
        },
        operation_class=documented_body(PairingCreate),
    )
    async def create(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> Response[PairingRecord]:
        """Pair a cadre (by username) with a household or a village (admin)."""
        await require(db, principal, "pairing.manage")
        body = await json_body(request, PairingCreate)
        row = await db.fetch_one(
            "SELECT id FROM users WHERE username = ? AND role = 'cadre'", (body.cadre,)
        )
        if row is None:
            raise not_found(f"帮扶干部 {body.cadre!r}", f"cadre {body.cadre!r}")
        record, created = await pair(
            db,
            principal.actor,
            row["id"],
            household_id=body.household_id,
            village_code=body.village_code,
        )
        return Response(record, status_code=201 if created else 200)

    @delete(
        "/api/pairings/{pairing_id:int}",
        status_code=200,
        responses={**_ERRORS, **documented_errors({404: "no such pairing"})},
    )
    async def end(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        pairing_id: FromPath[int],
    ) -> PairingRecord:
        """End a pairing (it is kept with its end date)."""
        await require(db, principal, "pairing.manage")
        return await unpair(db, principal.actor, pairing_id)
