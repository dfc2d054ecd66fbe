"""Places: the administrative tree province > city > county > township > village.

Each place is stored under its 12-digit statistical code with its level and
parent; `prefix` is the part of the code that names it (6 digits for a
county), and everything under a place has a village code starting with it.
Answers, households and reports hang off villages; officials are given a place
and read everything under it. Names are not personal data: anyone logged in
may list them (the phone caches them for its village picker).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import aiosqlite
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from server import audit
from server.auth import Principal
from server.authz import require
from server.db import Database, query
from server.errors import NOT_FOUND, AppError, documented_errors, zh_en

LEVELS = ("province", "city", "county", "township", "village")
WIDTHS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


class Place(msgspec.Struct):
    code: str
    level: str
    name: str
    parent_code: str | None
    prefix: str
    households_registered: int | None = None
    population_registered: int | None = None


class Village(msgspec.Struct):
    code: str
    name: str
    township_code: str
    township_name: str
    county_code: str
    county_name: str
    city_name: str
    households_registered: int | None
    population_registered: int | None = None


@dataclass(frozen=True)
class PlaceRow:
    """One place to store: its full code, level and name (the parent follows from the code)."""

    code: str
    level: str
    name: str
    households_registered: int | None = None
    population_registered: int | None = None


def level_of(code: str) -> str:
    """The level a 12-digit code names, by where its trailing zeros begin."""
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "county"
    if code[9:] == "000":
        return "township"
    return "village"


def parent_of(code: str, level: str) -> str | None:
    if level == "province":
        return None
    width = WIDTHS[LEVELS[LEVELS.index(level) - 1]]
    return code[:width].ljust(12, "0")


def full_code(prefix: str) -> str:
    return prefix.ljust(12, "0")


def tree_rows(villages: Iterable[dict[str, Any]]) -> list[PlaceRow]:
    """Every place a list of villages (in the old villages-table shape) implies, top down."""
    rows: dict[str, PlaceRow] = {}
    for v in villages:
        code = v["code"]
        rows.setdefault(
            full_code(code[:2]), PlaceRow(full_code(code[:2]), "province", _province(code[:2]))
        )
        rows.setdefault(full_code(code[:4]), PlaceRow(full_code(code[:4]), "city", v["city_name"]))
        rows.setdefault(
            full_code(v["county_code"]),
            PlaceRow(full_code(v["county_code"]), "county", v["county_name"]),
        )
        rows.setdefault(
            full_code(v["township_code"]),
            PlaceRow(full_code(v["township_code"]), "township", v["township_name"]),
        )
        rows[code] = PlaceRow(
            code,
            "village",
            v["name"],
            v.get("households_registered"),
            v.get("population_registered"),
        )
    return sorted(rows.values(), key=lambda r: (LEVELS.index(r.level), r.code))


_PROVINCES = {
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "61": "陕西省",
    "65": "新疆维吾尔自治区",
}


def _province(two: str) -> str:
    return _PROVINCES.get(two, two)


async def upsert_places(db: Database, actor: audit.Actor | str, rows: Iterable[PlaceRow]) -> int:
    """Store places (parents before children); a known code gets the new name. Returns count."""
    created, changed, _ = await store_places(db, actor, rows)
    return created + changed


async def store_places(
    db: Database, actor: audit.Actor | str, rows: Iterable[PlaceRow], *, dry_run: bool = False
) -> tuple[int, int, int]:
    """Store places, parents first: (created, changed, unchanged).

    A known code takes the row's name, and its household and population counts when
    the row has them. A parent must be stored already or come in `rows`. With `dry_run` the
    same is worked out on a reader and nothing is written.
    """
    ordered = sorted(rows, key=lambda r: (LEVELS.index(r.level), r.code))

    async def work(conn: aiosqlite.Connection) -> tuple[int, int, int]:
        created = changed = same = 0
        new: set[str] = set()  # created in this run (a dry run stores nothing to look up)
        for row in ordered:
            parent = parent_of(row.code, row.level)
            if (
                parent is not None
                and parent not in new
                and not await query(conn, "SELECT 1 FROM places WHERE code = ?", (parent,))
            ):
                raise AppError(
                    422,
                    "unknown_parent",
                    zh_en(
                        f"{row.code} {row.name} 的上级 {parent} 不存在",
                        f"the parent {parent} of {row.code} does not exist",
                    ),
                )
            found = await query(
                conn,
                "SELECT name, households_registered, population_registered FROM places"
                " WHERE code = ?",
                (row.code,),
            )
            if not found:
                created += 1
                new.add(row.code)
            elif found[0]["name"] != row.name or any(
                given is not None and found[0][column] != given
                for column, given in (
                    ("households_registered", row.households_registered),
                    ("population_registered", row.population_registered),
                )
            ):
                changed += 1
            else:
                same += 1
                continue
            if dry_run:
                continue
            await conn.execute(
                "INSERT INTO places (code, level, name, parent_code, prefix,"
                " households_registered, population_registered) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name,"
                " households_registered = coalesce(excluded.households_registered,"
                "   places.households_registered),"
                " population_registered = coalesce(excluded.population_registered,"
                "   places.population_registered)",
                (
                    row.code,
                    row.level,
                    row.name,
                    parent,
                    row.code[: WIDTHS[row.level]],
                    row.households_registered,
                    row.population_registered,
                ),
            )
        if (created or changed) and not dry_run:
            await audit.record(
                conn, actor, "place.upsert", "places", created=created, changed=changed
            )
        return created, changed, same

    return await (db.read(work) if dry_run else db.write(work))


async def upsert_villages(
    db: Database, villages: Iterable[dict[str, Any]], actor: audit.Actor | str
) -> int:
    """Store villages given with their township, county and city names (demo, benches)."""
    return await upsert_places(db, actor, tree_rows(villages))


async def list_villages(db: Database, under: str | None = None) -> list[Village]:
    if under:
        rows = await db.fetch_all(
            "SELECT * FROM villages WHERE code >= ? AND code < ? ORDER BY code",
            (under, under + ":"),
        )
    else:
        rows = await db.fetch_all("SELECT * FROM villages ORDER BY code")
    return [Village(**dict(r)) for r in rows]


async def get_place(db: Database, code: str) -> Place | None:
    row = await db.fetch_one(
        "SELECT * FROM places WHERE code = ? OR prefix = ? LIMIT 1", (code, code)
    )
    return None if row is None else Place(**dict(row))


async def children(db: Database, parent: str | None) -> list[Place]:
    if parent is None:
        rows = await db.fetch_all("SELECT * FROM places WHERE parent_code IS NULL ORDER BY code")
    else:
        rows = await db.fetch_all(
            "SELECT * FROM places WHERE parent_code = ? ORDER BY code", (parent,)
        )
    return [Place(**dict(r)) for r in rows]


async def place_names(db: Database, codes: Iterable[str]) -> dict[str, str]:
    """code -> name of the places among `codes` (villages named with their township)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = await db.fetch_all(
        "SELECT p.code, CASE WHEN p.level = 'village' THEN t.name || ' ' || p.name"
        " ELSE p.name END AS name FROM places p LEFT JOIN places t ON t.code = p.parent_code"
        f" WHERE p.code IN ({marks})",
        tuple(wanted),
    )
    return {r["code"]: r["name"] for r in rows}


async def trail(db: Database, code: str | None) -> list[Place]:
    """A place and every place above it, top down (empty for none or an unknown code)."""
    found = await get_place(db, code) if code else None
    if found is None:
        return []
    rows = await db.fetch_all(
        "WITH RECURSIVE up(code) AS (SELECT ? UNION ALL"
        " SELECT p.parent_code FROM places p JOIN up ON p.code = up.code"
        " WHERE p.parent_code IS NOT NULL)"
        " SELECT places.* FROM places JOIN up USING (code) ORDER BY length(prefix)",
        (found.code,),
    )
    return [Place(**dict(r)) for r in rows]


class PlaceController(Controller):
    tags = ("places",)

    @get("/api/villages", responses=documented_errors({401: "not logged in"}))
    async def villages(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        under: Annotated[
            str | None,
            QueryParameter(
                description="a place's code prefix, e.g. a county's 6 digits",
                max_length=12,
                pattern="^[0-9]{2,12}$",
            ),
        ] = None,
    ) -> list[Village]:
        """Every village (under a place, with ?under=), with its township, county and city."""
        await require(db, principal, "place.read")
        return await list_villages(db, under)

    @get("/api/places", responses={**NOT_FOUND, **documented_errors({401: "not logged in"})})
    async def places(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        parent: Annotated[
            str | None,
            QueryParameter(
                description="the parent's 12-digit code; none for provinces", pattern="^[0-9]{12}$"
            ),
        ] = None,
    ) -> list[Place]:
        """The places directly under `parent` (the provinces without one)."""
        await require(db, principal, "place.read")
        return await children(db, parent)
