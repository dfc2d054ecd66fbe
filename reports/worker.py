"""Rendering reports off the event loop, once per distinct report, cached on disk.

A render holds a core for seconds and WeasyPrint's memory grows with every
render in a process, so renders run in a pool of worker processes (at most
`workers` at once) and each process is replaced after RENDERS_PER_PROCESS
renders; its successor starts and warms up straight away, before the next
request. The first worker is started and warmed WARM_DELAY seconds after the
server starts, so the first report does not pay for it either. Two requests
for the same report share one render (single-flight), and a report whose
data, parameters, template and poverty line are unchanged is served from the
cache folder, which is kept within its budget (see `reports.cache`).

The queue is bounded and forgets what nobody wants. At most `queue_limit`
distinct reports are queued or rendering; past that a request for another is
refused with an estimate of when to come back (ReportBusy), because a request
that would wait minutes is better told so at once. A queued render whose last
requester has gone (a phone that lost its signal, a closed tab) is dropped
before it reaches a worker: 30 abandoned requests were once all rendered, and
the next real one waited 50 s behind them.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import importlib
import json
import logging
import math
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reports.cache import prune, touch
from reports.draw import Period, Scope, connect_readonly, fingerprint_row
from reports.lifeline import die_with_server
from reports.summary import SummaryRequest

log = logging.getLogger(__name__)
R = TypeVar("R")

RENDERS_PER_PROCESS = 1
# Seconds between the server starting and the first worker being started and
# warmed: start-up and the first health checks get the CPU first, and an app
# that lives less long (a test) never starts a worker it does not use.
WARM_DELAY = 2.0
CACHE_BYTES = 500 * 1024 * 1024
QUEUE_LIMIT = 8
# Seconds a render holds a worker, assumed until one is measured: a 300-household
# village takes about 3 s, a county roll-up longer (bench/report_bench.py).
TYPICAL_RENDER_SECONDS = 5.0


@dataclass(frozen=True)
class ReportRequest:
    """What identifies one rendered report."""

    scope: Scope
    period: Period
    lang: str = "zh"
    sort: str = "incidence"
    generated_by: str = "minsheng"  # named on the cover, so part of what is cached

    def filename(self) -> str:
        start, end = self.period.params()
        span = f"_{start or 'start'}_{end or 'end'}" if start or end else ""
        return f"{self.scope.kind}_{self.scope.code}{span}_{self.lang}.pdf"


@dataclass(frozen=True)
class RenderResult:
    path: Path
    pages: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0  # the worker's own CPU time: what a busy machine does not blur


def worker_context() -> multiprocessing.context.BaseContext:
    """Where render workers come from: forked from a clean server process that has
    already imported WeasyPrint and the report modules.

    Not forked from the web server itself (its event loop and threads must not be
    copied), and not spawned: a spawned worker lays the same village out in about
    3.4 s where a worker forked from the preloaded server takes 2.7-2.9 s.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["reports.worker", "reports.figures", "reports.pdf", "reports.summary_pdf", "weasyprint"]
    )
    return context


def _warm() -> None:
    """Pay for imports, template compiling, the stylesheet and font set-up before the
    first real render: the pool starts a worker before anyone asks for a report."""
    from weasyprint import HTML

    from reports.pdf import STATIC, _environment, asset_fetcher

    importlib.import_module("reports.figures")  # its imports, before a request waits on them

    for lang in ("zh", "en"):
        env = _environment(lang)
        for name in ("village.html", "county.html", "empty.html", "summary.html"):
            env.get_template(name)
    HTML(
        string='<link rel="stylesheet" href="report.css"><h2>预热</h2><p>warm 预热 <b>粗体</b></p>',
        base_url=STATIC.as_uri() + "/",
        url_fetcher=asset_fetcher(),
    ).write_pdf()


def _start_worker(server_pid: int) -> None:
    """A worker's initializer: it dies with the server, then warms up."""
    die_with_server(server_pid)
    _warm()


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# What a worker renders: a village report or county roll-up, or a form's summary.
Renderable = ReportRequest | SummaryRequest


def render_to_file(
    db_path: Path,
    request: Renderable,
    poverty_line: float,
    out: Path,
    generated_by: str,
    overdue_days: dict[str, int] | None = None,
) -> RenderResult:
    """Compute the figures and write the PDF to `out` atomically. Runs in a worker."""
    from reports.figures import build_report
    from reports.pdf import render_pdf
    from reports.summary_pdf import render_summary

    started, cpu_started = time.perf_counter(), time.process_time()
    # A layout allocates millions of short-lived objects, and the cyclic collector
    # kept walking them: with it off a 300-household village renders in about
    # 2.7 s instead of 3.4-4.0 s. The worker is replaced after each render
    # (RENDERS_PER_PROCESS), so what cycles leave behind goes with the process.
    gc.freeze()
    gc.disable()
    try:
        if isinstance(request, SummaryRequest):
            pdf, _ = render_summary(db_path, request)
        else:
            report = build_report(
                db_path, request.scope, request.period, poverty_line, overdue_days=overdue_days
            )
            pdf = render_pdf(report, request.lang, generated_by=generated_by, sort=request.sort)
    finally:
        gc.enable()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(pdf)
    partial.replace(out)
    return RenderResult(
        out,
        pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page"),
        time.perf_counter() - started,
        _peak_rss_mb(),
        time.process_time() - cpu_started,
    )


def cache_key(
    db_path: Path,
    request: Renderable,
    poverty_line: float,
    template_version: str,
    overdue_days: dict[str, int] | None = None,
) -> str:
    """A hash of everything the PDF is made from; cheap (index-only reads)."""
    if isinstance(request, SummaryRequest):
        from reports.summary import cache_material

        summary = [cache_material(db_path, request), repr(request), template_version]
        return hashlib.sha256(json.dumps(summary, default=str).encode()).hexdigest()[:32]
    conn = connect_readonly(db_path)
    try:
        data = fingerprint_row(conn, request.scope, request.period)
        column = "code" if request.scope.kind == "village" else "county_code"
        places = conn.execute(
            f"SELECT group_concat(code || name || township_name || county_name || city_name"
            f" || ifnull(households_registered, '-') || '/' || ifnull(population_registered, '-'),"
            f" '|') FROM villages WHERE {column} = ?",
            (request.scope.code,),
        ).fetchone()[0]
        versions = conn.execute("SELECT count(*), max(version) FROM form_versions").fetchone()
    finally:
        conn.close()
    material = json.dumps(
        [
            data,
            places,
            list(versions),
            request.filename(),
            request.sort,
            request.generated_by,
            poverty_line,
            template_version,
            sorted((overdue_days or {}).items()),
        ],
        default=str,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


async def _run(pool: ProcessPoolExecutor | None, fn: Callable[..., R], *args: Any) -> R:
    """Run `fn` in the pool without blocking the event loop, not even to start a worker.

    Submitting may start a process, and the first start waits for the fork server to
    import WeasyPrint (about a second): done on the loop's thread, that stalled every
    request meanwhile (a 367 ms submission was measured). So submit from a thread.
    """
    if pool is None:
        raise RuntimeError("ReportService.start() was not called")
    future = await asyncio.to_thread(pool.submit, fn, *args)
    return await asyncio.wrap_future(future)


class RenderFailed(RuntimeError):
    """The render worker died twice in a row (killed, out of memory); nothing was written."""


class ReportBusy(RuntimeError):
    """The queue is full of other reports; ask again in `retry_after` seconds."""

    def __init__(self, queued: int, retry_after: int):
        super().__init__(f"{queued} reports are queued or rendering; retry in {retry_after} s")
        self.queued = queued
        self.retry_after = retry_after


@dataclass(eq=False)
class _Render:
    """One distinct report, queued or rendering, and how many requests wait for it."""

    task: asyncio.Task[Path] = field(init=False)
    waiters: int = 0
    started: bool = False  # it holds a worker: from here on it runs to the end


class ReportService:
    """The server's report renderer: a process pool, a bounded queue, single-flight,
    and a disk cache."""

    def __init__(
        self,
        db_path: Path,
        cache_dir: Path,
        poverty_line: float,
        workers: int = 1,
        cache_bytes: int = CACHE_BYTES,
        queue_limit: int = QUEUE_LIMIT,
        overdue_days: dict[str, int] | None = None,
    ):
        self.db_path = db_path
        self.overdue_days = overdue_days  # needs overdue after so many days, by urgency
        self.cache_dir = cache_dir
        self.poverty_line = poverty_line
        self.workers = workers
        self.cache_bytes = cache_bytes
        self.queue_limit = queue_limit
        self.renders = 0  # renders started, for tests and logs
        self.render_seconds = TYPICAL_RENDER_SECONDS  # a moving average of measured renders
        self._pool: ProcessPoolExecutor | None = None
        self._inflight: dict[str, _Render] = {}
        # A render holds a slot from the moment it is handed to the pool until its
        # result is back; the others wait here, where leaving costs nothing.
        self._slots = asyncio.Semaphore(workers)

    def start(self) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=worker_context(),
            initializer=_start_worker,
            initargs=(os.getpid(),),
            max_tasks_per_child=RENDERS_PER_PROCESS,
        )

    async def warm(self) -> None:
        """Start one worker and let it warm up, WARM_DELAY seconds from now.

        Run as a task beside the server. The warm-up happens in the worker
        (the pool's initializer); this only asks the pool for a process with a
        no-op. That no-op counts as the process's one task, so the pool replaces
        it at once with a successor that warms up in turn and then waits, idle,
        for the first report: one warm worker, as after any render. Does nothing
        if a render came first, which leaves a warm successor of its own.
        """
        await asyncio.sleep(WARM_DELAY)
        if self._pool is None or self.renders:
            return  # a render already started a worker, and its successor is warming
        try:
            await _run(self._pool, os.getpid)
        except Exception:  # the next render reports the same failure to its requester
            log.warning("warming a report worker failed", exc_info=True)

    def stop(self) -> None:
        for render in self._inflight.values():
            render.task.cancel()
        self._inflight.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def queued(self) -> int:
        """Distinct reports queued or rendering."""
        return len(self._inflight)

    @property
    def waiting(self) -> int:
        """Requests waiting for a report to be rendered."""
        return sum(render.waiters for render in self._inflight.values())

    def retry_after(self) -> int:
        """Seconds until the renders now queued are likely done, at least 1."""
        rounds = self.queued / self.workers
        return max(1, math.ceil(rounds * self.render_seconds))

    async def get(self, request: Renderable) -> Path:
        """The path of the PDF for `request`, rendering it unless cached or in flight.

        Raises ReportBusy when `queue_limit` other reports are queued or rendering,
        reports.pdf.CJKFontMissing before any work when no CJK font is installed,
        reports.figures.UnknownScope for an unknown code and reports.summary.UnknownForm
        for a form (or version) never published. Cancelling the call
        (the requester left) drops the render if nobody else waits for it and it
        has not reached a worker yet.
        """
        from reports.pdf import TEMPLATE_VERSION, find_cjk_font

        await asyncio.to_thread(find_cjk_font)
        key = await asyncio.to_thread(
            cache_key,
            self.db_path,
            request,
            self.poverty_line,
            TEMPLATE_VERSION,
            self.overdue_days,
        )
        path = self.cache_dir / f"{key}.pdf"
        if touch(path):  # served from the cache: now its most recent use
            return path
        render = self._inflight.get(key)
        if render is None:
            if self.queued >= self.queue_limit:
                raise ReportBusy(self.queued, self.retry_after())
            render = self._enqueue(key, request, path, request.generated_by)
        render.waiters += 1
        try:
            # Shielded: one requester leaving must not cancel the render for the others.
            return await asyncio.shield(render.task)
        finally:
            render.waiters -= 1
            if render.waiters == 0 and not render.started:
                # Nobody wants it any more and no worker has it: drop it. One that
                # has started is left to finish (a pool cannot stop a worker cleanly
                # mid-render), and its PDF lands in the cache for whoever asks next.
                self._drop(key, render)

    def _enqueue(self, key: str, request: Renderable, path: Path, generated_by: str) -> _Render:
        render = _Render()
        # The render is a task of its own, owned by the service rather than by any
        # one requester.
        rendering = self._render_in_turn(render, request, path, generated_by)
        render.task = asyncio.ensure_future(rendering)
        render.task.add_done_callback(lambda _: self._drop(key, render))
        self._inflight[key] = render
        return render

    def _drop(self, key: str, render: _Render) -> None:
        """Forget `render` (done, or nobody waits for it), cancelling it if it is queued."""
        if self._inflight.get(key) is render:
            del self._inflight[key]
        if render.task.done():
            if not render.task.cancelled():
                render.task.exception()  # retrieved, so asyncio does not warn when all left
        else:
            render.task.cancel()

    async def _render_in_turn(
        self, render: _Render, request: Renderable, path: Path, generated_by: str
    ) -> Path:
        async with self._slots:  # queued until a worker is free
            render.started = True
            self.renders += 1
            started = time.monotonic()
            result = await self._render(request, path, generated_by)
            self._measured(time.monotonic() - started)
        await self._prune(keep=result)
        return result

    def _measured(self, seconds: float) -> None:
        """Fold one render's time in a worker slot into the typical render time."""
        self.render_seconds = 0.7 * self.render_seconds + 0.3 * seconds

    async def _prune(self, keep: Path) -> None:
        """Bring the cache folder back within its budget after a report was written."""
        try:
            removed = await asyncio.to_thread(prune, self.cache_dir, self.cache_bytes, (keep,))
        except OSError:
            log.warning("could not prune the report cache %s", self.cache_dir, exc_info=True)
            return
        if removed:
            log.info("removed %d cached reports from %s", len(removed), self.cache_dir)

    async def _render(self, request: Renderable, path: Path, generated_by: str) -> Path:
        if self._pool is None:
            raise RuntimeError("ReportService.start() was not called")
        for attempt in (1, 2):
            pool = self._pool
            try:
                result = await _run(
                    pool,
                    render_to_file,
                    self.db_path,
                    request,
                    self.poverty_line,
                    path,
                    generated_by,
                    self.overdue_days,
                )
                return result.path
            except BrokenProcessPool:
                # A worker died (the OOM killer, a crash in a C library): the pool is
                # unusable from now on, so put a new one in its place and try once more.
                log.warning("report worker died rendering %s (try %d)", request, attempt)
                self._replace(pool)
        raise RenderFailed(f"the report worker died twice rendering {request.filename()}")

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        """`fn(*args)` in a render worker, in turn with the reports, and not cached: a
        village's QR sheet (`reports.qr_sheet`), whose codes are secrets. Raises
        CJKFontMissing before any work, RenderFailed if the worker dies."""
        from reports.pdf import find_cjk_font

        await asyncio.to_thread(find_cjk_font)
        async with self._slots:
            self.renders += 1
            pool = self._pool
            try:
                return await _run(pool, fn, *args)
            except BrokenProcessPool as exc:
                log.warning("render worker died running %s", getattr(fn, "__name__", fn))
                self._replace(pool)
                raise RenderFailed("the render worker died") from exc

    def _replace(self, broken: ProcessPoolExecutor | None) -> None:
        if self._pool is broken:  # concurrent renders that saw the same break replace it once
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            self.start()
