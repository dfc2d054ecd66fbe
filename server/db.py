"""The SQLite database: one writer, separate readers, numbered migrations.

Every write goes through `Database.write`, which serialises writers on one
connection and runs each in `BEGIN IMMEDIATE` ... `COMMIT`; the caller's await
returns only after the commit, so an answer is acknowledged only once it is
durable (WAL with synchronous=FULL). Reads use their own connection and see
only committed data.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)


def now_iso() -> str:
    """UTC time as stored everywhere: ISO 8601 with milliseconds and a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped, in order."""
    found = []
    for entry in resources.files("server.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def _connect(path: Path, *, readonly: bool = False) -> aiosqlite.Connection:
    if readonly:
        conn = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    else:
        conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    for pragma in PRAGMAS if not readonly else PRAGMAS[2:]:
        await conn.execute(pragma)
    return conn


class Database:
    """The application's handle on its SQLite file."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) and migrate the database at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await _migrate(writer)
            reader = await _connect(path, readonly=True)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        async with self._write_lock:
            await self._writer.close()

    async def write(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run `work` as one transaction on the single write connection.

        Writers queue on a lock (FIFO), so transactions never interleave. The
        transaction commits before this returns; any error rolls it back and
        is raised to the caller.
        """
        async with self._write_lock:
            conn = self._writer
            try:
                await conn.execute("BEGIN IMMEDIATE")
                result = await work(conn)
                await conn.execute("COMMIT")
            except BaseException:
                # Also when cancelled during BEGIN or COMMIT: the statement still runs on
                # aiosqlite's thread, so end whatever transaction it left open.
                await _rollback(conn)
                raise
            return result

    async def fetch_all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Any]:
        async with self._reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        async with self._reader.execute(sql, params) as cursor:
            return await cursor.fetchone()


async def _rollback(conn: aiosqlite.Connection) -> None:
    # OperationalError: no transaction was open (BEGIN never ran, or COMMIT already had).
    with contextlib.suppress(sqlite3.OperationalError):
        await conn.execute("ROLLBACK")


async def _migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT number FROM schema_migrations") as cursor:
        applied = {row[0] for row in await cursor.fetchall()}
    for number, name, sql in migrations():
        if number in applied:
            continue
        # executescript would commit on its own; run statements inside one transaction.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process (init-db beside serve) may have applied it since we looked.
            async with conn.execute(
                "SELECT 1 FROM schema_migrations WHERE number = ?", (number,)
            ) as cursor:
                if await cursor.fetchone() is not None:
                    await conn.execute("COMMIT")
                    continue
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                (number, name, now_iso()),
            )
        except BaseException:
            await _rollback(conn)
            raise
        await conn.execute("COMMIT")


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, using SQLite's own notion of completeness."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in current.splitlines()
    ):
        raise ValueError(f"unterminated statement in migration: {current[:80]!r}")
    return statements
