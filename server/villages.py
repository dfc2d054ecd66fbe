"""Villages: the administrative divisions answers and reports are grouped by."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiosqlite
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from server import audit
from server.db import Database

COLUMNS = (
    "code",
    "name",
    "township_code",
    "township_name",
    "county_code",
    "county_name",
    "city_name",
    "households_registered",
)


class Village(msgspec.Struct):
    code: str
    name: str
    township_code: str
    township_name: str
    county_code: str
    county_name: str
    city_name: str
    households_registered: int | None


async def upsert_villages(db: Database, villages: Iterable[dict[str, Any]], actor: str) -> int:
    rows = [tuple(v[c] for c in COLUMNS) for v in villages]
    placeholders = ", ".join("?" for _ in COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])

    async def work(conn: aiosqlite.Connection) -> int:
        await conn.executemany(
            f"INSERT INTO villages ({', '.join(COLUMNS)}) VALUES ({placeholders})"
            f" ON CONFLICT (code) DO UPDATE SET {updates}",
            rows,
        )
        await audit.record(conn, actor, "village.upsert", "villages", count=len(rows))
        return len(rows)

    return await db.write(work)


async def list_villages(db: Database) -> list[Village]:
    rows = await db.fetch_all(f"SELECT {', '.join(COLUMNS)} FROM villages ORDER BY code")
    return [Village(**dict(r)) for r in rows]


class VillageController(Controller):
    path = "/api/villages"
    tags = ("villages",)

    @get("/")
    async def list(self, db: NamedDependency[Database]) -> list[Village]:
        """Every village known to this server, with its township and county."""
        return await list_villages(db)
