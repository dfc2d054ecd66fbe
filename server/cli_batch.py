"""`minsheng report batch county CODE`: every village report of a county, with progress.

The rendering, the worker pool and the cache are reports.batch's; this reads the
settings and the arguments, prints a line per village as it is done and a
summary, and exits 1 if any village failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from server.settings import Settings


def cmd_batch(args: argparse.Namespace) -> int:
    from reports.batch import Batch, NoSuchCounty, county_villages, render_county
    from reports.draw import Period
    from reports.pdf import CJKFontMissing
    from server.db import check_file

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    settings = Settings.from_env(db_path=args.db)
    check_file(settings.db_path)
    try:
        period = Period(
            args.start and date.fromisoformat(args.start), args.end and date.fromisoformat(args.end)
        )
    except ValueError as exc:
        print(f"minsheng: --from/--to must be dates as YYYY-MM-DD: {exc}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("minsheng: --workers must be at least 1", file=sys.stderr)
        return 2
    batch = Batch(
        db_path=settings.db_path,
        county_code=args.code,
        period=period,
        out_dir=args.output,
        cache_dir=settings.report_cache_dir,
        poverty_line=settings.poverty_line,
        lang=args.lang,
        workers=args.workers,
        generated_by="cli",
        overdue_days=settings.overdue_days,
        cache_bytes=settings.report_cache_mb * 1024 * 1024,
    )
    started = time.perf_counter()
    villages = []
    done = failed = cached = 0
    # Ctrl-C sets a flag the batch looks at, instead of raising wherever the main thread
    # happens to be (inside the process pool's locks, a KeyboardInterrupt hung the exit).
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        villages = county_villages(settings.db_path, args.code)
        print(
            f"county {args.code}: {len(villages)} villages,"
            f" {args.workers} workers, into {args.output}",
            flush=True,
        )
        for result in render_county(batch, villages, stop):
            done += 1
            where = f"[{done}/{len(villages)}] {result.village.code} {result.village.name}"
            if result.error:
                failed += 1
                print(f"{where} FAILED: {result.error}", flush=True)
            else:
                cached += result.cached
                how = "cached" if result.cached else f"{result.seconds:.1f} s"
                print(f"{where} {how}", flush=True)
    except NoSuchCounty as exc:
        print(f"minsheng: {exc}", file=sys.stderr)
        return 1
    except CJKFontMissing as exc:
        print(f"minsheng: {exc}", file=sys.stderr)
        return 3
    finally:
        signal.signal(signal.SIGINT, previous)
    if stop.is_set():
        print(f"minsheng: stopped after {done} of {len(villages)} villages", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - started
    print(
        f"county {args.code}: {done - failed - cached} rendered, {cached} cached,"
        f" {failed} failed, in {seconds:.1f} s"
    )
    if failed:
        print(f"minsheng: {failed} of {len(villages)} villages failed", file=sys.stderr)
    return 1 if failed else 0


def add_parser(
    report_sub: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    """`minsheng report batch county CODE`."""
    batch = report_sub.add_parser("batch", help="every village report of a place, with progress")
    batch_sub = batch.add_subparsers(dest="batch_kind", required=True)
    p = with_db(
        batch_sub.add_parser(
            "county",
            help="every village report of a county",
            description="Render the report of every village of the county (the places"
            " table) into DIR, one file per village, reusing the rendered-report cache;"
            " a village that fails is reported and the others go on.",
        )
    )
    p.add_argument("code", metavar="CODE", help="6-digit county code")
    p.add_argument("-o", "--output", type=Path, default=Path("."), metavar="DIR")
    p.add_argument("--from", dest="start", metavar="DATE", help="first survey date YYYY-MM-DD")
    p.add_argument("--to", dest="end", metavar="DATE", help="last survey date YYYY-MM-DD")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="render processes at once (default: the number of CPUs)",
    )
    p.set_defaults(func=cmd_batch)
