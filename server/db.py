"""The SQLite database: one writer that commits in groups, a pool of readers, migrations.

Writes are queued to a single write connection, which owns every write. The
writer takes whatever is queued (up to MAX_BATCH writes) and runs it as one
`BEGIN IMMEDIATE` ... `COMMIT`, each write inside its own savepoint so one that
fails rolls back alone. A caller's await returns only after that COMMIT, so an
answer is acknowledged only once it is durable (WAL with synchronous=FULL), and
answers that arrive together share one fsync instead of paying one each.

Reads take a connection of their own from a small pool for the length of one
read. A connection shared by concurrent reads keeps the snapshot of whichever
statement is still open, so a request could miss the answer it had just
stored, and the WAL could not be checkpointed behind it; a read that has its
connection to itself sees every commit made before it started.

When the disk fails (full, read-only, I/O error) writes raise an AppError with
a clear status, the database's health says so, and the next write that
succeeds (or a probe from /healthz) clears it: no restart is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from server.errors import AppError, zh_en

T = TypeVar("T")
log = logging.getLogger("minsheng")

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    # A checkpointed WAL is cut back to this size instead of keeping its high-water mark.
    "PRAGMA journal_size_limit=16777216",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)
READ_PRAGMAS = ("PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000")
MAX_BATCH = 128  # writes committed together at most; bounds one transaction's work
READERS = 4


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


async def query(
    conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
) -> list[Any]:
    """Every row of one statement on `conn` (inside a write, say), in one round trip."""
    return list(await conn.execute_fetchall(sql, params))


class DatabaseUnusable(Exception):
    """The database file cannot be used at all (not SQLite, damaged, unreadable)."""


# ---------------------------------------------------------------- storage failures

_STORAGE = {
    # sqlite error name prefix -> (status, code, zh, en)
    "SQLITE_FULL": (507, "storage_full", "服务器存储空间已满，答案未保存，请稍后重试",
                    "the server's storage is full; nothing was stored, try again later"),
    "SQLITE_READONLY": (503, "storage_read_only", "服务器数据库目前只读，答案未保存，请稍后重试",
                        "the database is read-only; nothing was stored, try again later"),
    "SQLITE_IOERR": (503, "storage_error", "服务器存储读写出错，答案未保存，请稍后重试",
                     "the server's storage failed; nothing was stored, try again later"),
    "SQLITE_CANTOPEN": (503, "storage_error", "服务器无法打开数据库，请稍后重试",
                        "the server cannot open its database; try again later"),
    "SQLITE_CORRUPT": (503, "storage_corrupt", "服务器数据库已损坏，请联系管理员",
                       "the database is damaged; tell the administrator"),
    "SQLITE_BUSY": (503, "storage_busy", "服务器数据库繁忙，请稍后重试",
                    "the database is busy; try again later"),
}  # fmt: skip


def storage_error(exc: BaseException) -> AppError | None:
    """The AppError a failing disk or database file stands for; None for other errors."""
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    # aiosqlite and older sqlite3 builds may lose the error name; the message still says it.
    if not name:
        name = next(
            (
                key
                for key, phrase in (
                    ("SQLITE_FULL", "disk is full"),
                    ("SQLITE_READONLY", "readonly database"),
                    ("SQLITE_IOERR", "disk i/o error"),
                    ("SQLITE_CORRUPT", "malformed"),
                    ("SQLITE_BUSY", "database is locked"),
                )
                if phrase in text
            ),
            "",
        )
    for prefix, (status, code, zh, en) in _STORAGE.items():
        if name.startswith(prefix):
            retry = {"Retry-After": "30"} if status == 503 else None
            return AppError(status, code, zh_en(zh, en), headers=retry)
    return None


@dataclass
class Health:
    """How the storage was at the last write: "ok" or the code of the failure."""

    state: str = "ok"
    since: str = field(default_factory=now_iso)
    detail: str = ""

    def fail(self, code: str, detail: str) -> None:
        if self.state != code:
            self.state, self.since = code, now_iso()
            log.error("storage failure: %s (%s)", code, detail)
        self.detail = detail

    def recover(self) -> None:
        if self.state != "ok":
            log.warning("storage recovered after %s since %s", self.state, self.since)
            self.state, self.since, self.detail = "ok", now_iso(), ""


# ---------------------------------------------------------------- connections


async def _connect(
    path: Path, *, readonly: bool = False, check: bool = False
) -> aiosqlite.Connection:
    if readonly:
        conn = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    else:
        conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute("PRAGMA busy_timeout=5000")
        if check:  # before journal_mode=WAL, which would write to a file that is not ours
            await _check(conn, path)
        for pragma in READ_PRAGMAS if readonly else PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


class _Readers:
    """Read connections handed out first come, first served.

    A connection given back goes straight to the longest waiter: with an
    asyncio.Queue a busy task that asks again at once could take it first, and
    a request could wait behind others indefinitely.
    """

    def __init__(self, connections: list[aiosqlite.Connection]):
        self.all = connections
        self._free = list(connections)
        self._waiting: deque[asyncio.Future[aiosqlite.Connection]] = deque()

    async def acquire(self) -> aiosqlite.Connection:
        if self._free and not self._waiting:
            return self._free.pop()
        turn: asyncio.Future[aiosqlite.Connection] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release(turn.result())  # handed over just as its caller gave up
            else:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(turn)
            raise

    def release(self, connection: aiosqlite.Connection) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(connection)
                return
        self._free.append(connection)


@dataclass
class _Write:
    work: Any  # async (aiosqlite.Connection) -> T, or (sqlite3.Connection) -> T with `now`
    done: asyncio.Future[Any]
    now: bool = False  # a plain function, run in the writer's thread in one go


class Database:
    """The application's handle on its SQLite file."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, readers: list[aiosqlite.Connection]
    ):
        self.path = path
        self.health = Health()
        self._writer = writer
        self._readers = _Readers(readers)
        self._loop = asyncio.get_running_loop()
        self._queue: deque[_Write] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._write_loop = asyncio.create_task(self._run_writes(), name="minsheng-writer")
        self.batches = 0  # transactions committed, for benches and tests
        self.writes = 0  # writes committed (several to a transaction when they queue)

    @classmethod
    async def open(cls, path: Path, readers: int = READERS, *, check: bool = True) -> Database:
        """Open (creating if needed), check and migrate the database at `path`.

        Raises DatabaseUnusable, naming the file, when it is not a SQLite
        database, is damaged, or cannot be opened. The check (quick_check) reads
        every page, seconds for a database of gigabytes: `check=False` skips it
        for a file this process has just checked.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnusable(
                f"{path}: cannot create its folder ({exc.strerror or exc})"
            ) from exc
        try:
            writer = await _connect(path, check=check)
        except sqlite3.Error as exc:
            raise _unusable(path, exc) from exc
        opened: list[aiosqlite.Connection] = []
        try:
            await _migrate(writer)
            for _ in range(readers):
                opened.append(await _connect(path, readonly=True))
        except BaseException as exc:
            for conn in [*opened, writer]:
                await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise _unusable(path, exc) from exc
            raise
        return cls(path, writer, opened)

    async def close(self) -> None:
        """Finish the queued writes, then close every connection."""
        self._closing = True
        self._wake.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._write_loop
        for reader in self._readers.all:
            await reader.close()
        await self._writer.close()

    # ------------------------------------------------------------ writing

    async def write(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run `work` on the write connection inside a transaction; return once committed.

        Writes queue (FIFO) for the single writer, which may commit several
        together; each runs in its own savepoint, so an error rolls back only
        that write and is raised to its caller. A failing disk raises the
        AppError of `storage_error`. A caller cancelled before its write
        started leaves it unrun; cancelled later, the write still commits.
        """
        if self._closing:
            raise RuntimeError("the database is closed")
        if asyncio.get_running_loop() is not self._loop:
            return await self._on_own_loop(self.write(work))
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Write(work, done))
        self._wake.set()
        return await done

    async def write_now(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """As `write`, for a plain function of a sqlite3 connection: run in the writer's
        own thread, with the other such writes queued beside it, in one go.

        Each statement of an async write is a round trip between the event loop and the
        writer's thread, and on a busy server every round trip waits its turn on the
        loop: the hot path's writes (answers) are plain functions, so a whole group of
        them is one round trip.
        """
        if self._closing:
            raise RuntimeError("the database is closed")
        if asyncio.get_running_loop() is not self._loop:
            return await self._on_own_loop(self.write_now(work))
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Write(work, done, now=True))
        self._wake.set()
        return await done

    async def _run_writes(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch: list[_Write] = []
                while self._queue and len(batch) < MAX_BATCH:
                    job = self._queue.popleft()
                    if not job.done.cancelled():
                        batch.append(job)
                if batch:
                    await self._commit(batch)
            if self._closing:
                return

    async def _commit(self, batch: list[_Write]) -> None:
        conn = self._writer
        outcomes: list[tuple[_Write, Any, BaseException | None]] = []
        try:
            if all(job.now for job in batch):
                results = await conn._execute(_commit_now, conn._conn, [j.work for j in batch])
                outcomes = [(job, *result) for job, result in zip(batch, results, strict=True)]
            else:
                await conn.execute("BEGIN IMMEDIATE")
                for job in batch:
                    outcomes.append(await self._one(conn, job, alone=len(batch) == 1))
                    if not conn.in_transaction:  # SQLite rolled it all back (disk full, I/O)
                        raise outcomes[-1][2] or sqlite3.OperationalError("transaction lost")
                await conn.execute("COMMIT")
        except BaseException as exc:
            await _rollback(conn)
            failure: BaseException | None = self._storage_failure(exc)
            if failure is None:
                # One write's own error, or (rarely) a transaction SQLite gave up on: the
                # others were fine and may simply be sent again.
                failure = exc if len(batch) == 1 else _retry_later()
            for job in batch:
                _settle(job.done, None, failure)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self.batches += 1
        self.writes += len(batch)
        self.health.recover()
        for job, result, error in outcomes:
            _settle(job.done, result, error)

    async def _one(
        self, conn: aiosqlite.Connection, job: _Write, *, alone: bool
    ) -> tuple[_Write, Any, BaseException | None]:
        async def run() -> Any:
            if job.now:
                return await conn._execute(job.work, conn._conn)
            return await job.work(conn)

        if alone:  # nothing to protect: an error rolls the transaction back
            return job, await run(), None
        await conn.execute("SAVEPOINT job")
        try:
            result = await run()
        except Exception as exc:
            if storage_error(exc) is not None or not conn.in_transaction:
                raise
            await conn.execute("ROLLBACK TO job")
            await conn.execute("RELEASE job")
            return job, None, exc
        await conn.execute("RELEASE job")
        return job, result, None

    def _storage_failure(self, exc: BaseException) -> AppError | None:
        error = storage_error(exc)
        if error is not None:
            self.health.fail(error.code, str(exc))
        return error

    async def probe(self) -> Health:
        """Try a tiny durable write, so a recovered disk is noticed without waiting for one."""

        async def touch(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO health_probe (id, at) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                (now_iso(),),
            )

        with contextlib.suppress(AppError):
            await self.write(touch)
        return self.health

    async def _on_own_loop(self, call: Awaitable[T]) -> T:
        """Run a call on the loop that owns the connections (a test client runs the
        app on a loop of its own and the test on another)."""

        async def run() -> T:
            return await call

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), self._loop))

    # ------------------------------------------------------------ reading

    async def fetch_all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Any]:
        """All rows of one query, on a reader of its own: it sees every earlier commit."""
        if asyncio.get_running_loop() is not self._loop:
            return await self._on_own_loop(self.fetch_all(sql, params))
        reader = await self._readers.acquire()
        try:
            return await query(reader, sql, params)
        except sqlite3.Error as exc:
            raise self._storage_failure(exc) or exc from exc
        finally:
            self._readers.release(reader)

    async def fetch_one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def read(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run several reads on one snapshot (a deferred transaction on one reader)."""
        if asyncio.get_running_loop() is not self._loop:
            return await self._on_own_loop(self.read(work))
        reader = await self._readers.acquire()
        try:
            await reader.execute("BEGIN")
            try:
                return await work(reader)
            finally:
                await _rollback(reader)
        except sqlite3.Error as exc:
            raise self._storage_failure(exc) or exc from exc
        finally:
            self._readers.release(reader)


def _commit_now(
    conn: sqlite3.Connection, works: list[Callable[[sqlite3.Connection], Any]]
) -> list[tuple[Any, BaseException | None]]:
    """Run plain-function writes as one transaction, in the writer's thread: each in its
    own savepoint, so one that fails rolls back alone; (result, error) of each. An error
    that loses the transaction (a full disk) or breaks COMMIT is raised, nothing kept."""
    outcomes: list[tuple[Any, BaseException | None]] = []
    alone = len(works) == 1
    conn.execute("BEGIN IMMEDIATE")
    try:
        for work in works:
            if alone:
                outcomes.append((work(conn), None))
                continue
            conn.execute("SAVEPOINT job")
            try:
                result = work(conn)
            except Exception as exc:
                if storage_error(exc) is not None or not conn.in_transaction:
                    raise
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((None, exc))
                continue
            conn.execute("RELEASE job")
            outcomes.append((result, None))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


def rows(
    conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
) -> list[Any]:
    """Every row of one statement, inside a plain-function write (see Database.write_now)."""
    return conn.execute(sql, params).fetchall()


def _retry_later() -> AppError:
    return AppError(
        503,
        "storage_busy",
        zh_en("服务器数据库繁忙，答案未保存，请稍后重试", "the database is busy; try again later"),
        headers={"Retry-After": "5"},
    )


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # its caller was cancelled meanwhile; the write stands all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


async def _rollback(conn: aiosqlite.Connection) -> None:
    # OperationalError: no transaction was open (BEGIN never ran, or COMMIT already had).
    with contextlib.suppress(sqlite3.OperationalError):
        await conn.execute("ROLLBACK")


async def _check(conn: aiosqlite.Connection, path: Path) -> None:
    """Refuse a file that is not a sound SQLite database, before anything is written to it."""
    try:
        rows = await conn.execute_fetchall("PRAGMA quick_check(3)")
    except sqlite3.Error as exc:
        raise _unusable(path, exc) from exc
    _judge(path, [row[0] for row in rows])


def _judge(path: Path, verdict: list[str]) -> None:
    if verdict != ["ok"]:
        # One row may hold several lines ("*** in database main ***\nPage 3: ...").
        found = [line.strip() for row in verdict for line in row.splitlines()]
        problems = [line for line in found if line and not line.startswith("***")]
        raise DatabaseUnusable(
            f"{path}: not a usable SQLite database (damaged: {'; '.join(problems[:3])[:300]})"
        )


def _unusable(path: Path, exc: sqlite3.Error) -> DatabaseUnusable:
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
        raise _unusable(path, exc) from exc
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        verdict = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.Error as exc:
        raise _unusable(path, exc) from exc
    finally:
        conn.close()
    _judge(path, verdict)


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
