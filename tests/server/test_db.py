from __future__ import annotations

import sqlite3

import pytest

from server.db import Database, migrations


async def test_migrations_are_applied_once_and_recorded(settings) -> None:
    db = await Database.open(settings.db_path)
    await db.close()
    db = await Database.open(settings.db_path)
    try:
        rows = await db.fetch_all("SELECT number, name FROM schema_migrations ORDER BY number")
        assert [(r[0], r[1]) for r in rows] == [(n, name) for n, name, _ in migrations()]
    finally:
        await db.close()


async def test_database_is_wal_with_foreign_keys(settings) -> None:
    db = await Database.open(settings.db_path)
    try:
        assert (await db.fetch_one("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1
    finally:
        await db.close()


async def test_failed_write_rolls_back_everything(settings) -> None:
    db = await Database.open(settings.db_path)

    async def half(conn):
        await conn.execute(
            "INSERT INTO forms (id, title, created_at) VALUES ('f', 't', '2026-01-01')"
        )
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError):
            await db.write(half)
        assert (await db.fetch_one("SELECT count(*) FROM forms"))[0] == 0

        # The writer is usable again after a rollback.
        async def ok(conn):
            await conn.execute(
                "INSERT INTO forms (id, title, created_at) VALUES ('g', 't', '2026-01-01')"
            )

        await db.write(ok)
        assert (await db.fetch_one("SELECT count(*) FROM forms"))[0] == 1
    finally:
        await db.close()


async def test_committed_write_is_visible_to_another_connection(settings) -> None:
    db = await Database.open(settings.db_path)

    async def insert(conn):
        await conn.execute(
            "INSERT INTO forms (id, title, created_at) VALUES ('f', 't', '2026-01-01')"
        )

    try:
        await db.write(insert)
        with sqlite3.connect(settings.db_path) as other:
            assert other.execute("SELECT count(*) FROM forms").fetchone()[0] == 1
    finally:
        await db.close()


async def test_submission_must_name_an_existing_version(settings) -> None:
    db = await Database.open(settings.db_path)

    async def orphan(conn):
        await conn.execute(
            "INSERT INTO submissions (id, form_id, form_version, received_at, body_hash, answers)"
            " VALUES ('s', 'nope', 1, '2026-01-01', 'h', '{}')"
        )

    try:
        with pytest.raises(sqlite3.IntegrityError):
            await db.write(orphan)
    finally:
        await db.close()


async def test_writer_syncs_every_commit_to_disk(settings) -> None:
    db = await Database.open(settings.db_path)
    try:

        async def mode(conn):
            async with conn.execute("PRAGMA synchronous") as cursor:
                return (await cursor.fetchone())[0]

        assert await db.write(mode) == 2  # FULL: WAL frames are fsynced at each commit
    finally:
        await db.close()
