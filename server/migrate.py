"""The database file: checked before use, and brought up to date by numbered migrations.

A file that is not SQLite, or is damaged, is refused with one line naming it
before anything is written to it. Migrations are the numbered files in
server/migrations, each applied once inside a transaction and recorded in
schema_migrations.
"""

from __future__ import annotations

import contextlib
import sqlite3
from importlib import resources
from pathlib import Path

import aiosqlite

from server.storage import now_iso


class DatabaseUnusable(Exception):
    """The database file cannot be used at all (not SQLite, damaged, unreadable)."""


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped, in order."""
    found = []
    for entry in resources.files("server.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def check_open(conn: aiosqlite.Connection, path: Path) -> None:
    """Refuse a file that is not a sound SQLite database, before anything is written to it."""
    try:
        rows = await conn.execute_fetchall("PRAGMA quick_check(3)")
    except sqlite3.Error as exc:
        raise unusable(path, exc) from exc
    _judge(path, [row[0] for row in rows])


def _judge(path: Path, verdict: list[str]) -> None:
    if verdict != ["ok"]:
        # One row may hold several lines ("*** in database main ***\nPage 3: ...").
        found = [line.strip() for row in verdict for line in row.splitlines()]
        problems = [line for line in found if line and not line.startswith("***")]
        raise DatabaseUnusable(
            f"{path}: not a usable SQLite database (damaged: {'; '.join(problems[:3])[:300]})"
        )


def unusable(path: Path, exc: sqlite3.Error) -> DatabaseUnusable:
    """One line naming the file: what start-up and the command line print."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or any(
        phrase in text for phrase in ("not a database", "malformed")
    ):
        return DatabaseUnusable(f"{path}: not a usable SQLite database ({text})")
    return DatabaseUnusable(f"{path}: cannot open the database ({text})")


def check_file(path: Path) -> None:
    """Raise DatabaseUnusable unless `path` is a sound SQLite database; never writes to it.

    For commands that only read (a report from the command line): the server
    checks the same way when it opens the database.
    """
    if not path.is_file():
        raise DatabaseUnusable(f"{path}: no such database file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise unusable(path, exc) from exc
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        verdict = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.Error as exc:
        raise unusable(path, exc) from exc
    finally:
        conn.close()
    _judge(path, verdict)


async def migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT number, name FROM schema_migrations") as cursor:
        applied = {row[0]: row[1] for row in await cursor.fetchall()}
    shipped = migrations()
    same_history(applied, {number: name for number, name, _ in shipped})
    for number, name, sql in shipped:
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
            with contextlib.suppress(sqlite3.OperationalError):  # BEGIN may not have run
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")


def same_history(applied: dict[int, str], shipped: dict[int, str]) -> None:
    """Refuse a database whose recorded migrations are not this server's: made by a newer
    minsheng, or by a branch that numbered a migration otherwise. Applying the rest would
    skip a migration under a number already taken and fail, or worse, half-way."""
    for number, name in sorted(applied.items()):
        if shipped.get(number) != name:
            ours = shipped.get(number, "nothing")
            raise DatabaseUnusable(
                f"the database records migration {number} as {name}, where this minsheng has"
                f" {ours}: it was made by another version; use that version, or a copy made"
                " by this one"
            )


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
