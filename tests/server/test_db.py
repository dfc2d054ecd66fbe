from __future__ import annotations

import asyncio
import sqlite3
from functools import partial
from pathlib import Path

import pytest

from server.db import Database, DatabaseUnusable, migrations
from server.errors import AppError


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


async def _insert_form(conn, form_id: str) -> str:
    await conn.execute(
        "INSERT INTO forms (id, title, created_at) VALUES (?, 't', '2026-01-01')", (form_id,)
    )
    return form_id


async def test_writes_that_arrive_together_commit_together(settings) -> None:
    db = await Database.open(settings.db_path)
    try:
        before = db.batches
        results = await asyncio.gather(
            *(db.write(partial(_insert_form, form_id=f"f{i}")) for i in range(50))
        )
        assert results == [f"f{i}" for i in range(50)]
        assert (await db.fetch_one("SELECT count(*) FROM forms"))[0] == 50
        assert db.batches - before < 50  # grouped: fewer commits (fsyncs) than writes
    finally:
        await db.close()


async def test_a_failing_write_in_a_group_rolls_back_alone(settings) -> None:
    db = await Database.open(settings.db_path)

    async def half(conn):
        await _insert_form(conn, "bad")
        raise RuntimeError("boom")

    try:
        outcomes = await asyncio.gather(
            db.write(lambda conn: _insert_form(conn, "a")),
            db.write(half),
            db.write(lambda conn: _insert_form(conn, "b")),
            return_exceptions=True,
        )
        assert outcomes[0] == "a" and outcomes[2] == "b"
        assert isinstance(outcomes[1], RuntimeError)
        rows = await db.fetch_all("SELECT id FROM forms ORDER BY id")
        assert [r[0] for r in rows] == ["a", "b"]
    finally:
        await db.close()


async def test_a_read_right_after_a_write_sees_it_while_other_reads_run(settings) -> None:
    db = await Database.open(settings.db_path)
    stop = asyncio.Event()

    async def busy_reader() -> None:
        while not stop.is_set():
            await db.fetch_all("SELECT * FROM forms")

    readers = [asyncio.create_task(busy_reader()) for _ in range(8)]
    try:
        for i in range(200):
            await db.write(partial(_insert_form, form_id=f"f{i}"))
            row = await db.fetch_one("SELECT id FROM forms WHERE id = ?", (f"f{i}",))
            assert row is not None, f"f{i} written but not read back"
    finally:
        stop.set()
        await asyncio.gather(*readers)
        await db.close()


async def test_full_storage_answers_507_and_recovers_without_restart(settings) -> None:
    db = await Database.open(settings.db_path)
    try:
        pages = (await db.fetch_one("PRAGMA page_count"))[0]

        async def cap(conn, limit):
            await conn.execute(f"PRAGMA max_page_count = {limit}")

        await db.write(lambda conn: cap(conn, pages))

        async def fill(conn):
            await conn.execute(
                "INSERT INTO audit_log (at, actor, action, target) VALUES ('t', 'a', 'x', ?)",
                ("x" * 200_000,),
            )

        with pytest.raises(AppError) as caught:
            await db.write(fill)
        assert (caught.value.status, caught.value.code) == (507, "storage_full")
        assert db.health.state == "storage_full"
        with pytest.raises(AppError):  # still full: still refused, nothing half-written
            await db.write(fill)
        assert (await db.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'x'"))[0] == 0
        # The cause goes away (here: the cap is lifted); the next write works again.
        await db.write(lambda conn: cap(conn, 1073741823))
        assert db.health.state == "ok"
        await db.write(fill)
        assert (await db.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'x'"))[0] == 1
    finally:
        await db.close()


def test_a_file_that_is_not_sqlite_is_refused_naming_it(tmp_path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database" * 200)
    with pytest.raises(DatabaseUnusable, match=str(path)) as caught:
        asyncio.run(Database.open(path))
    assert "\n" not in str(caught.value)
    assert path.read_bytes().startswith(b"these are my notes")  # left as it was


def test_a_damaged_database_is_found_at_start(tmp_path) -> None:
    path = tmp_path / "damaged.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.execute("CREATE INDEX t_x ON t(x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(f"{i:08}" * 40,) for i in range(3000)])
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 3, len(data) - page, page * 7):  # scribble over some pages
        data[offset + 100 : offset + 400] = b"\xff" * 300
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseUnusable, match=r"not a usable SQLite database \(") as caught:
        asyncio.run(Database.open(path))
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)
    # Refused before anything was written: not even the switch to WAL.
    assert path.read_bytes() == bytes(data)


def _insert_form_now(conn: sqlite3.Connection, form_id: str) -> str:
    conn.execute(
        "INSERT INTO forms (id, title, created_at) VALUES (?, 't', '2026-01-01')", (form_id,)
    )
    return form_id


async def test_plain_function_writes_commit_together_and_fail_alone(settings) -> None:
    db = await Database.open(settings.db_path)

    def half(conn: sqlite3.Connection) -> None:
        _insert_form_now(conn, "bad")
        raise RuntimeError("boom")

    try:
        before = db.batches
        outcomes = await asyncio.gather(
            *(db.write_now(partial(_insert_form_now, form_id=f"f{i}")) for i in range(20)),
            db.write_now(half),
            db.write(partial(_insert_form, form_id="mixed")),  # an async write among them
            return_exceptions=True,
        )
        assert outcomes[:20] == [f"f{i}" for i in range(20)]
        assert isinstance(outcomes[20], RuntimeError) and outcomes[21] == "mixed"
        stored = {r[0] for r in await db.fetch_all("SELECT id FROM forms")}
        assert stored == {f"f{i}" for i in range(20)} | {"mixed"}
        assert db.batches - before < 20
    finally:
        await db.close()


async def test_a_full_disk_fails_every_plain_write_of_the_group(settings) -> None:
    db = await Database.open(settings.db_path)
    try:
        pages = (await db.fetch_one("PRAGMA page_count"))[0]
        await db.write_now(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}"))

        def big(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, target) VALUES ('t', 'a', 'x', ?)",
                ("x" * 200_000,),
            )

        outcomes = await asyncio.gather(
            db.write_now(big),
            db.write_now(partial(_insert_form_now, form_id="small")),
            return_exceptions=True,
        )
        assert isinstance(outcomes[0], AppError) and outcomes[0].status == 507, outcomes
        # Committed together with the failed one: failed with it, nothing of it kept.
        together = isinstance(outcomes[1], AppError)
        assert not isinstance(outcomes[1], AppError) or outcomes[1].status == 507
        kept = (await db.fetch_one("SELECT count(*) FROM forms WHERE id = 'small'"))[0]
        assert kept == (0 if together else 1)
        await db.write_now(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823"))
        assert await db.write_now(partial(_insert_form_now, form_id="after")) == "after"
        assert db.health.state == "ok"
    finally:
        await db.close()


def test_a_database_with_another_migration_history_is_refused(settings) -> None:
    asyncio.run(_open_close(settings.db_path))
    last, name, _ = migrations()[-1]
    with sqlite3.connect(settings.db_path) as conn:
        conn.execute(
            "UPDATE schema_migrations SET name = ? WHERE number = ?",
            (f"{last:04}_made_elsewhere.sql", last),
        )
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01')",
            (last + 1, f"{last + 1:04}_newer.sql"),
        )
    conn.close()
    with pytest.raises(DatabaseUnusable, match=f"migration {last} as {last:04}_made_elsewhere"):
        asyncio.run(Database.open(settings.db_path))
    with sqlite3.connect(settings.db_path) as conn:
        conn.execute("UPDATE schema_migrations SET name = ? WHERE number = ?", (name, last))
    conn.close()
    with pytest.raises(
        DatabaseUnusable, match=rf"{last + 1:04}_newer.sql, where this minsheng has nothing"
    ):
        asyncio.run(Database.open(settings.db_path))


async def _open_close(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


async def test_a_read_only_database_answers_503_and_recovers_without_restart(settings) -> None:
    db = await Database.open(settings.db_path)
    try:

        async def note(conn):
            await conn.execute(
                "INSERT INTO audit_log (at, actor, action, target) VALUES ('t', 'a', 'ro', 'x')"
            )

        # A stand-in for the disk remounted read-only: SQLite answers SQLITE_READONLY the same.
        await db._writer.execute("PRAGMA query_only = ON")
        with pytest.raises(AppError) as caught:
            await db.write(note)
        assert (caught.value.status, caught.value.code) == (503, "storage_read_only")
        assert db.health.state == "storage_read_only"
        assert (await db.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'ro'"))[0] == 0
        await db._writer.execute("PRAGMA query_only = OFF")
        await db.write(note)
        assert db.health.state == "ok"
        assert (await db.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'ro'"))[0] == 1
    finally:
        await db.close()
