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
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import importlib
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reports.cache import prune, touch
from reports.draw import Period, Scope, connect_readonly, fingerprint_row

log = logging.getLogger(__name__)
R = TypeVar("R")

RENDERS_PER_PROCESS = 1
# Seconds between the server starting and the first worker being started and
# warmed: start-up and the first health checks get the CPU first, and an app
# that lives less long (a test) never starts a worker it does not use.
WARM_DELAY = 2.0
CACHE_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True)
class ReportRequest:
    """What identifies one rendered report."""

    scope: Scope
    period: Period
    lang: str = "zh"
    sort: str = "incidence"

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


def worker_context() -> multiprocessing.context.BaseContext:
    """Where render workers come from: forked from a clean server process that has
    already imported WeasyPrint and the report modules.

    Not forked from the web server itself (its event loop and threads must not be
    copied), and not spawned: a spawned worker lays the same village out in about
    3.4 s where a worker forked from the preloaded server takes 2.7-2.9 s.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["reports.worker", "reports.figures", "reports.pdf", "weasyprint"]
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
        for name in ("village.html", "county.html"):
            env.get_template(name)
    HTML(
        string='<link rel="stylesheet" href="report.css"><h2>预热</h2><p>warm 预热 <b>粗体</b></p>',
        base_url=STATIC.as_uri() + "/",
        url_fetcher=asset_fetcher(),
    ).write_pdf()


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


def render_to_file(
    db_path: Path, request: ReportRequest, poverty_line: float, out: Path, generated_by: str
) -> RenderResult:
    """Compute the figures and write the PDF to `out` atomically. Runs in a worker."""
    from reports.figures import build_report
    from reports.pdf import render_pdf

    started = time.perf_counter()
    # A layout allocates millions of short-lived objects, and the cyclic collector
    # kept walking them: with it off a 300-household village renders in about
    # 2.7 s instead of 3.4-4.0 s. The worker is replaced after each render
    # (RENDERS_PER_PROCESS), so what cycles leave behind goes with the process.
    gc.freeze()
    gc.disable()
    try:
        report = build_report(db_path, request.scope, request.period, poverty_line)
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
    )


def cache_key(
    db_path: Path, request: ReportRequest, poverty_line: float, template_version: str
) -> str:
    """A hash of everything the PDF is made from; cheap (index-only reads)."""
    conn = connect_readonly(db_path)
    try:
        data = fingerprint_row(conn, request.scope, request.period)
        column = "code" if request.scope.kind == "village" else "county_code"
        places = conn.execute(
            f"SELECT group_concat(code || name || township_name || county_name || city_name"
            f" || ifnull(households_registered, '-'), '|') FROM villages WHERE {column} = ?",
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
            poverty_line,
            template_version,
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


class ReportService:
    """The server's report renderer: a process pool, single-flight, and a disk cache."""

    def __init__(
        self,
        db_path: Path,
        cache_dir: Path,
        poverty_line: float,
        workers: int = 1,
        cache_bytes: int = CACHE_BYTES,
    ):
        self.db_path = db_path
        self.cache_dir = cache_dir
        self.poverty_line = poverty_line
        self.workers = workers
        self.cache_bytes = cache_bytes
        self.renders = 0  # renders started, for tests and logs
        self._pool: ProcessPoolExecutor | None = None
        self._inflight: dict[str, asyncio.Future[Path]] = {}

    def start(self) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=worker_context(),
            initializer=_warm,
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
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def get(self, request: ReportRequest, generated_by: str = "minsheng") -> Path:
        """The path of the PDF for `request`, rendering it unless cached or in flight.

        Raises reports.pdf.CJKFontMissing before any work when no CJK font is
        installed, and reports.figures.UnknownScope for an unknown code.
        """
        from reports.pdf import TEMPLATE_VERSION, find_cjk_font

        await asyncio.to_thread(find_cjk_font)
        key = await asyncio.to_thread(
            cache_key, self.db_path, request, self.poverty_line, TEMPLATE_VERSION
        )
        path = self.cache_dir / f"{key}.pdf"
        if touch(path):  # served from the cache: now its most recent use
            return path
        running = self._inflight.get(key)
        if running is None:
            # The render is a task of its own: a requester that goes away (a phone that
            # lost its signal) must not cancel it for the others waiting on this report.
            running = asyncio.ensure_future(self._render_and_prune(request, path, generated_by))
            self._inflight[key] = running
            running.add_done_callback(lambda task: self._settle(key, task))
        return await asyncio.shield(running)

    def _settle(self, key: str, task: asyncio.Future[Path]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not warn when every requester left

    async def _render_and_prune(
        self, request: ReportRequest, path: Path, generated_by: str
    ) -> Path:
        result = await self._render(request, path, generated_by)
        await self._prune(keep=result)
        return result

    async def _prune(self, keep: Path) -> None:
        """Bring the cache folder back within its budget after a report was written."""
        try:
            removed = await asyncio.to_thread(prune, self.cache_dir, self.cache_bytes, (keep,))
        except OSError:
            log.warning("could not prune the report cache %s", self.cache_dir, exc_info=True)
            return
        if removed:
            log.info("removed %d cached reports from %s", len(removed), self.cache_dir)

    async def _render(self, request: ReportRequest, path: Path, generated_by: str) -> Path:
        if self._pool is None:
            raise RuntimeError("ReportService.start() was not called")
        self.renders += 1
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
                )
                return result.path
            except BrokenProcessPool:
                # A worker died (the OOM killer, a crash in a C library): the pool is
                # unusable from now on, so put a new one in its place and try once more.
                log.warning("report worker died rendering %s (try %d)", request, attempt)
                self._replace(pool)
        raise RenderFailed(f"the report worker died twice rendering {request.filename()}")

    def _replace(self, broken: ProcessPoolExecutor | None) -> None:
        if self._pool is broken:  # concurrent renders that saw the same break replace it once
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            self.start()
