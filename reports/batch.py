"""Rendering every village report of a county in one run, as a round ends.

A county has a hundred villages or more, each report seconds of CPU, so the
villages are rendered by a pool of worker processes made exactly as the
server's (`reports.worker`: forked from a preloaded fork server, warmed, one
render per process, ending with the process that started them), through the
same `render_to_file`. Each render goes into the rendered-report cache under
the same key the server computes, so a village whose data, period, language
and template are unchanged since the last run is copied from there instead of
rendered again. A village that fails is reported with its reason and the others
go on. Every file is written under a temporary name and renamed when whole, so a
batch that is interrupted leaves complete PDFs and nothing that looks like one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.cache import prune, touch
from reports.draw import Period, Scope, connect_readonly
from reports.worker import (
    CACHE_BYTES,
    RENDERS_PER_PROCESS,
    RenderResult,
    ReportRequest,
    _start_worker,
    cache_key,
    render_to_file,
    worker_context,
)

STOP_CHECK = 0.2  # seconds between looks at the stop flag while renders run


@dataclass(frozen=True)
class Village:
    code: str
    name: str


@dataclass(frozen=True)
class VillageDone:
    """One village of the batch: written to `path`, or failed with `error`."""

    village: Village
    path: Path | None
    seconds: float
    cached: bool = False
    error: str | None = None


@dataclass(frozen=True)
class Batch:
    """What a batch renders, and with what."""

    db_path: Path
    county_code: str
    period: Period
    out_dir: Path
    cache_dir: Path
    poverty_line: float
    lang: str = "zh"
    workers: int = 1
    generated_by: str = "minsheng"
    overdue_days: dict[str, int] | None = None
    cache_bytes: int = CACHE_BYTES


class NoSuchCounty(LookupError):
    """No village of the places table lies in that county."""


def county_villages(db_path: Path, county_code: str) -> list[Village]:
    """The villages of `county_code` in the places table, by code."""
    conn = connect_readonly(db_path)
    try:
        rows = conn.execute(
            "SELECT code, name FROM villages WHERE county_code = ? ORDER BY code", (county_code,)
        ).fetchall()
    finally:
        conn.close()
    if not rows:
        raise NoSuchCounty(f"county {county_code}: no villages in the places table")
    return [Village(code, name) for code, name in rows]


def _start_batch_worker(parent_pid: int) -> None:
    """A batch worker leaves Ctrl-C to the command, which stops the batch; it dies with
    the command whatever way that ends (reports.lifeline), then warms up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _start_worker(parent_pid)


def _copy_atomically(source: Path, target: Path) -> None:
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(source, partial)
        partial.replace(target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def render_county(
    batch: Batch, villages: list[Village] | None = None, stop: threading.Event | None = None
) -> Iterator[VillageDone]:
    """Render every village of the county, yielding each as it is done (in the order
    they finish). At most `batch.workers` renders run at once; the rest wait their
    turn here rather than in the pool, so stopping the batch drops them at once.

    Setting `stop` (from a signal handler, say) ends the batch within STOP_CHECK
    seconds: the renders in hand are killed and the iteration ends. A KeyboardInterrupt
    raised inside concurrent.futures' locks was seen to hang the pool's shutdown, so
    a command should catch Ctrl-C itself and set `stop`.

    Raises NoSuchCounty, and reports.pdf.CJKFontMissing before any work.
    """
    from reports.pdf import TEMPLATE_VERSION, find_cjk_font

    find_cjk_font()
    villages = county_villages(batch.db_path, batch.county_code) if villages is None else villages
    batch.out_dir.mkdir(parents=True, exist_ok=True)
    batch.cache_dir.mkdir(parents=True, exist_ok=True)
    waiting = [(village, 1) for village in reversed(villages)]  # (village, attempt)
    kept: list[Path] = []  # cached PDFs this batch used: not pruned at its end
    running: dict[
        Future[RenderResult], tuple[ProcessPoolExecutor, Village, int, Path, Path, float]
    ] = {}
    pool = _pool(batch.workers)

    def failed(village: Village, started: float, exc: BaseException) -> VillageDone:
        return VillageDone(village, None, time.perf_counter() - started, error=_reason(exc))

    try:
        while waiting or running:
            while waiting and len(running) < batch.workers:
                village, attempt = waiting.pop()
                started = time.perf_counter()
                scope = Scope("village", village.code)
                wanted = ReportRequest(
                    scope, batch.period, batch.lang, generated_by=batch.generated_by
                )
                out = batch.out_dir / wanted.filename()
                try:
                    key = cache_key(
                        batch.db_path,
                        wanted,
                        batch.poverty_line,
                        TEMPLATE_VERSION,
                        batch.overdue_days,
                    )
                    cached = batch.cache_dir / f"{key}.pdf"
                    if touch(cached):
                        _copy_atomically(cached, out)
                        kept.append(cached)
                        yield VillageDone(village, out, time.perf_counter() - started, True)
                        continue
                except (OSError, sqlite3.Error) as exc:
                    yield failed(village, started, exc)
                    continue
                future = pool.submit(
                    render_to_file,
                    batch.db_path,
                    wanted,
                    batch.poverty_line,
                    cached,
                    batch.generated_by,
                    batch.overdue_days,
                )
                running[future] = (pool, village, attempt, cached, out, started)
            finished, _ = wait(running, timeout=STOP_CHECK, return_when=FIRST_COMPLETED)
            if stop is not None and stop.is_set():
                _kill_workers(pool)
                return
            for future in finished:
                owner, village, attempt, cached, out, started = running.pop(future)
                try:
                    future.result()
                    _copy_atomically(cached, out)
                except BrokenProcessPool as exc:
                    # A worker died (killed, out of memory), failing every render in the
                    # pool: make another once, and give each of them one more try.
                    if owner is pool:  # the others it failed find it replaced already
                        pool.shutdown(wait=False, cancel_futures=True)
                        pool = _pool(batch.workers)
                    if attempt == 1:
                        waiting.append((village, 2))
                    else:
                        yield failed(village, started, exc)
                    continue
                except Exception as exc:  # this village only; the batch goes on
                    yield failed(village, started, exc)
                    continue
                kept.append(cached)
                yield VillageDone(village, out, time.perf_counter() - started)
    except BaseException:  # the caller gave up on the batch: so do its renders
        _kill_workers(pool)
        raise
    finally:
        # Wait for the pool's manager thread: CPython 3.11's shutdown(wait=False) clears
        # the pool's process table while that thread may still be replacing a worker
        # that ended after its one render (max_tasks_per_child), and the thread dies on
        # a TypeError, leaving a worker that multiprocessing then joins at exit forever.
        # Nothing is running here, or the workers were just killed, so this is quick.
        pool.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(OSError):
            prune(batch.cache_dir, batch.cache_bytes, kept)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """End the renders in hand now, rather than wait for them at exit.

    A worker killed while writing leaves only a `.part` in the cache, which the
    cache's pruning removes once stale; nothing is copied into the output folder.
    """
    processes: dict[int, Any] = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.kill()


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes made as the server's (reports.worker), one render each."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=worker_context(),
        initializer=_start_batch_worker,
        initargs=(os.getpid(),),
        max_tasks_per_child=RENDERS_PER_PROCESS,
    )
