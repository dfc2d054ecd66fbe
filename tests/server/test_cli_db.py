"""`minsheng db backup` and `minsheng db restore`: a backup taken while answers keep
arriving holds every answer acknowledged before it began, and a restore refuses what
it must not put in place."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_villages
from server.backup import backup
from server.cli import main
from server.testing import live_server
from tests.world import answers_for, put_on_roster, seed_file


def _answer_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM submissions")}
    finally:
        conn.close()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


async def test_backup_while_answers_arrive_holds_every_acknowledged_answer(
    client, world, settings, tmp_path, capsys
) -> None:
    answers = answers_for(demo_villages()[0], seed=31, count=40)
    households = await put_on_roster(client.app.state.db, world, answers)
    loop = asyncio.get_running_loop()
    acknowledged: list[tuple[float, str]] = []  # (when its 201 came back, id)

    async def answer(body: dict[str, Any], household_id: str) -> None:
        sid = str(uuid.uuid4())
        response = await client.post(
            "/api/forms/household/submissions",
            json={"id": sid, "version": 1, "answers": body, "household_id": household_id},
        )
        assert response.status_code == 201, response.text
        acknowledged.append((loop.time(), sid))

    pending = list(zip(answers, households, strict=True))
    for body, household_id in pending[:20]:
        await answer(body, household_id)
    target = tmp_path / "backups" / "minsheng.db"
    target.parent.mkdir()
    steps: list[int] = []
    began = loop.time()
    # One page a step, each step its own transaction on the copy: the backup spans many
    # steps in its thread while answers keep being stored.
    copying = asyncio.ensure_future(
        asyncio.to_thread(
            backup, settings.db_path, target, step=1, progress=lambda n, _: steps.append(n)
        )
    )
    later = itertools.cycle(pending[20:])  # a household may be surveyed again
    while not copying.done():
        await answer(*next(later))
        # The test client's request does not give the loop a turn, so the thread's
        # result would never be seen: give it one.
        await asyncio.sleep(0.001)
    done = await copying
    ended = loop.time()
    for _ in range(5):
        await answer(*next(later))
    assert len(steps) > 20 and done.pages == steps[-1]
    before = {sid for at, sid in acknowledged if at <= began}
    during = {sid for at, sid in acknowledged if began < at <= ended}
    after = {sid for at, sid in acknowledged if at > ended}
    assert len(before) == 20 and during and len(after) == 5

    fresh = tmp_path / "elsewhere" / "minsheng.db"
    assert main(["db", "restore", str(target), "--db", str(fresh)]) == 0
    assert f"{fresh}: restored from {target}" in capsys.readouterr().out
    restored = _answer_ids(fresh)
    assert before <= restored
    assert not after & restored
    assert _integrity(fresh) == "ok"


def _demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    db = tmp_path / "minsheng.db"
    assert main(["load-demo", "--db", str(db), "--seed", "3"]) == 0
    capsys.readouterr()
    return db


def test_backup_command_writes_a_checked_copy_and_restore_keeps_the_old_database(
    tmp_path, capsys
) -> None:
    db = _demo(tmp_path, capsys)
    copy = tmp_path / "copy.db"
    assert main(["db", "backup", str(copy), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{copy}: backup of {db},") and "integrity ok" in out
    assert not list(tmp_path.glob("*.part"))
    answers = _answer_ids(db)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM submissions WHERE rowid IN (SELECT rowid FROM submissions LIMIT 5)")
    conn.commit()
    conn.close()

    assert main(["db", "restore", str(copy), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    kept = next(tmp_path.glob("minsheng.db.before-restore-*"))
    assert f"kept as {kept}" in out
    assert _answer_ids(db) == answers
    assert len(_answer_ids(kept)) == len(answers) - 5
    assert copy.exists()  # the backup itself is left as it was


def _unchanged(db: Path) -> Any:
    return db.read_bytes(), sorted(p.name for p in db.parent.iterdir())


def test_restore_refuses_a_damaged_backup_leaving_the_database_untouched(tmp_path, capsys) -> None:
    db = _demo(tmp_path, capsys)
    copy = tmp_path / "copy.db"
    assert main(["db", "backup", str(copy), "--db", str(db)]) == 0
    capsys.readouterr()
    damaged = bytearray(copy.read_bytes())
    page_size = int.from_bytes(damaged[16:18], "big")
    for page in range(3, 40):  # b-tree pages well inside the file: scribbled over
        damaged[page * page_size + 8 : page * page_size + 200] = b"\xa5" * 192
    copy.write_bytes(bytes(damaged))
    before = _unchanged(db)

    assert main(["db", "restore", str(copy), "--db", str(db)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"minsheng: {copy}: the backup ")
    assert _unchanged(db) == before


def test_restore_refuses_a_backup_of_another_migration_history(tmp_path, capsys) -> None:
    db = _demo(tmp_path, capsys)
    other = tmp_path / "other.db"
    assert main(["db", "backup", str(other), "--db", str(db)]) == 0
    capsys.readouterr()
    conn = sqlite3.connect(other)
    conn.execute("UPDATE schema_migrations SET name = '0002_from_a_branch.sql' WHERE number = 2")
    conn.commit()
    conn.close()
    before = _unchanged(db)

    assert main(["db", "restore", str(other), "--db", str(db)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"minsheng: {other}: refused: the database records migration 2")
    assert _unchanged(db) == before


def test_restore_refuses_while_the_database_is_open(tmp_path, capsys) -> None:
    db = _demo(tmp_path, capsys)
    copy = tmp_path / "copy.db"
    assert main(["db", "backup", str(copy), "--db", str(db)]) == 0
    capsys.readouterr()
    server = sqlite3.connect(db)  # what a running server holds: an open WAL connection
    server.execute("PRAGMA journal_mode=WAL")
    server.execute("SELECT count(*) FROM submissions").fetchone()
    try:
        before = _unchanged(db)
        assert main(["db", "restore", str(copy), "--db", str(db)]) == 1
        err = capsys.readouterr().err.strip()
        assert err == (
            f"minsheng: {db}: in use (a server or another command has it open); stop it"
            " before restoring"
        )
        assert _unchanged(db) == before
    finally:
        server.close()
    assert main(["db", "restore", str(copy), "--db", str(db)]) == 0


def test_backup_names_a_missing_database(tmp_path, capsys) -> None:
    missing = tmp_path / "none.db"
    assert main(["db", "backup", str(tmp_path / "b.db"), "--db", str(missing)]) == 1
    assert capsys.readouterr().err.strip() == f"minsheng: {missing}: no such database file"


@pytest.mark.e2e
def test_restore_refuses_while_the_real_server_runs(tmp_path, household, capsys) -> None:
    db = tmp_path / "served.db"
    seed_file(db, household)
    copy = tmp_path / "copy.db"
    with live_server(db):
        assert main(["db", "backup", str(copy), "--db", str(db)]) == 0
        capsys.readouterr()
        assert main(["db", "restore", str(copy), "--db", str(db)]) == 1
        assert capsys.readouterr().err.startswith(f"minsheng: {db}: in use (")
        assert not list(tmp_path.glob("served.db.before-restore-*"))
    assert main(["db", "restore", str(copy), "--db", str(db)]) == 0
