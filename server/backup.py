"""Backing up the live database, and putting a backup back.

A backup is taken with SQLite's online backup API while the server runs. The
copy reads inside one read transaction on its own connection, so it is the
database as it stood when the backup began -- every answer acknowledged before
then, none half-written -- and, the database being in WAL mode, writers go on
committing meanwhile (only the WAL's checkpoint waits, so the WAL grows for the
length of the backup). The pages are copied in steps of BACKUP_STEP pages to a
temporary file beside the target, which is checked with `PRAGMA
integrity_check` and only then renamed to its name: an interrupted or failed
backup leaves no file that looks whole.

A restore is refused while anything has the database open: every connection to
a WAL database holds a shared lock on the file for as long as it is open, so an
exclusive lock that cannot be taken at once means a server (or another command)
is using it. The backup must pass `integrity_check` and carry this server's
migration history (server.migrate); the current database is kept beside it as
`<name>.before-restore-<timestamp>` and a copy of the backup is put in its
place. Every refusal is one line naming the file, like DatabaseUnusable's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from server.migrate import DatabaseUnusable, migrations, same_history

BACKUP_STEP = 4096  # pages per step (16 MB with 4 KB pages)


@dataclass(frozen=True)
class BackupDone:
    path: Path
    bytes: int
    pages: int
    seconds: float


@dataclass(frozen=True)
class RestoreDone:
    path: Path
    kept: Path | None  # the database that was there before, or None if there was none


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _integrity(conn: sqlite3.Connection, path: Path, what: str) -> None:
    """Raise DatabaseUnusable naming `path` unless the full integrity check passes."""
    try:
        verdict = [row[0] for row in conn.execute("PRAGMA integrity_check(3)")]
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"{path}: {what} is not a usable SQLite database ({exc})") from exc
    if verdict != ["ok"]:
        problems = [line.strip() for row in verdict for line in row.splitlines()]
        found = "; ".join(p for p in problems if p and not p.startswith("***"))
        raise DatabaseUnusable(f"{path}: {what} is damaged ({found[:300]})")


def backup(
    db_path: Path,
    target: Path,
    *,
    step: int = BACKUP_STEP,
    progress: Callable[[int, int], None] | None = None,
) -> BackupDone:
    """Copy the database at `db_path` to `target`, safely while the server writes to it.

    `progress(copied, total)` is called after each step, in pages.
    """
    if not db_path.is_file():
        raise DatabaseUnusable(f"{db_path}: no such database file")
    if target.resolve() == db_path.resolve():
        raise DatabaseUnusable(f"{target}: is the database itself; back up to another file")
    started = time.perf_counter()
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        source = sqlite3.connect(db_path, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"{db_path}: cannot open the database ({exc})") from exc
    try:
        source.execute("PRAGMA busy_timeout=5000")
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            # The read transaction pins the snapshot for every step: without it each step
            # would see the writers' latest commit and the copy would start over each time.
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_schema").fetchone()

            def step_done(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            source.backup(copy, pages=step, progress=step_done)
            source.execute("COMMIT")
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            # One self-contained file (the copied header says WAL): it can be read anywhere,
            # even from a read-only medium, without a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            _integrity(copy, target, "the backup")
        finally:
            copy.close()
        _fsync(partial)
        partial.replace(target)
        _fsync(target.parent)
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"{target}: backup of {db_path} failed ({exc})") from exc
    except OSError as exc:
        raise DatabaseUnusable(
            f"{target}: cannot write the backup ({exc.strerror or exc})"
        ) from exc
    finally:
        source.close()
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupDone(target, target.stat().st_size, pages, time.perf_counter() - started)


def check_backup(path: Path) -> None:
    """Refuse a file that is not a sound minsheng database of this server's migrations."""
    if not path.is_file():
        raise DatabaseUnusable(f"{path}: no such backup file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"{path}: the backup cannot be opened ({exc})") from exc
    try:
        _integrity(conn, path, "the backup")
        try:
            applied = dict(conn.execute("SELECT number, name FROM schema_migrations"))
        except sqlite3.Error as exc:
            raise DatabaseUnusable(
                f"{path}: the backup is not a minsheng database (no migration history)"
            ) from exc
    finally:
        conn.close()
    try:
        same_history(applied, {number: name for number, name, _ in migrations()})
    except DatabaseUnusable as exc:
        raise DatabaseUnusable(f"{path}: refused: {exc}") from exc


@contextlib.contextmanager
def _not_in_use(db_path: Path) -> Iterator[None]:
    """Hold the database exclusively, or refuse: someone has it open.

    A connection to a WAL database keeps a shared lock on the file while it is
    open, so `locking_mode=EXCLUSIVE` with `BEGIN EXCLUSIVE` and no busy wait
    fails at once if a server, a reader or another command has it. Held, the
    WAL is checkpointed into the file and truncated, and on close (the last
    connection) SQLite removes the -wal and -shm: the file alone is the
    database, ready to be set aside.
    """
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    try:
        try:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")  # the lock stays: locking_mode is EXCLUSIVE
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise DatabaseUnusable(
                    f"{db_path}: in use (a server or another command has it open); stop it"
                    " before restoring"
                ) from exc
            raise DatabaseUnusable(f"{db_path}: cannot open the database ({exc})") from exc
        yield
    finally:
        conn.close()


def restore(backup_file: Path, db_path: Path, *, now: datetime | None = None) -> RestoreDone:
    """Put a copy of `backup_file` in place of the database at `db_path`, keeping the old one."""
    check_backup(backup_file)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
    partial = db_path.with_name(f"{db_path.name}.restore-{os.getpid()}.part")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(backup_file, partial)  # the backup itself stays as it was
        _fsync(partial)
        if db_path.exists():
            with _not_in_use(db_path):
                pass
            for leftover in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
                if leftover.exists():  # someone opened it in the moment since: leave all as is
                    raise DatabaseUnusable(
                        f"{db_path}: in use ({leftover.name} appeared); stop the server"
                        " before restoring"
                    )
            db_path.replace(kept)
        partial.replace(db_path)
        _fsync(db_path.parent)
    except OSError as exc:
        raise DatabaseUnusable(f"{db_path}: restore failed ({exc.strerror or exc})") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return RestoreDone(db_path, kept if kept.exists() else None)
