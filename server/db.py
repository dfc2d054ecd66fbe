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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from server.errors import AppError
from server.migrate import DatabaseUnusable, check_file, check_open, migrate, migrations, unusable
from server.storage import Health, now_iso, retry_later, storage_error

# What the rest of the server reaches through this module.
__all__ = [
    "Database",
    "DatabaseUnusable",
    "check_file",
    "migrations",
    "now_iso",
    "query",
    "rows",
    "storage_error",
]

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


async def query(
    conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
) -> list[Any]:
    """Every row of one statement on `conn` (inside a write, say), in one round trip."""
    return list(await conn.execute_fetchall(sql, params))


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
            await check_open(conn, path)
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
            raise unusable(path, exc) from exc
        opened: list[aiosqlite.Connection] = []
        try:
            await migrate(writer)
            for _ in range(readers):
                opened.append(await _connect(path, readonly=True))
        except BaseException as exc:
            for conn in [*opened, writer]:
                await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise unusable(path, exc) from exc
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
                failure = exc if len(batch) == 1 else retry_later()
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
