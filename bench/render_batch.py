"""Batch render benchmark: every village report of a 100-village county, with 1 and 2 workers.

Builds a throw-away county with bench/report_bench.py's build_db and
county_villages, then renders all its village reports the way `minsheng report
batch county` does (reports.batch.render_county: the server's worker processes,
one render a process), once with one worker and once with two, each into an
empty cache so every village is rendered. Prints the total seconds, the mean per
village, and the speed-up of two workers over one.

Households per village default to 60, not report_bench's 300, to keep the run
short: still about ten minutes on a shared 2-core machine (385 s with one
worker, 187 s with two, measured), because a village report's time is mostly
fixed (starting and warming its worker process, laying the pages out), not its
households (report_bench: a 300-household village takes about 2.7-3 s). The
output says which was used.

With one worker the speed-up can exceed 2: each render has a fresh process, and
with one worker the successor's start and warm-up wait between renders, while
with two it overlaps the other worker's render.

Run: .venv/bin/python -m bench.render_batch [--villages 100] [--per-village 60]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.report_bench import COUNTY, PERIOD, build_db, county_villages
from reports.batch import Batch, render_county
from reports.draw import Period


def run(db_path: Path, folder: Path, workers: int, villages: int, line: float) -> float:
    """Seconds to render every village with `workers` processes, each into a fresh cache."""
    batch = Batch(
        db_path=db_path,
        county_code=COUNTY,
        period=Period(*PERIOD),
        out_dir=folder / f"out-{workers}",
        cache_dir=folder / f"cache-{workers}",
        poverty_line=line,
        workers=workers,
        generated_by="bench",
    )
    started = time.perf_counter()
    for done, result in enumerate(render_county(batch), 1):
        if result.error:
            raise SystemExit(f"{result.village.code} failed: {result.error}")
        if result.cached:
            raise SystemExit(f"{result.village.code} came from the cache: not a render")
        if done % 10 == 0:
            print(f"  {workers} worker(s): {done}/{villages} villages", flush=True)
    return time.perf_counter() - started


def main() -> int:
    from server.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--villages", type=int, default=100, help="villages (default 100)")
    parser.add_argument(
        "--per-village", type=int, default=60, help="households per village (default 60)"
    )
    args = parser.parse_args()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    line = Settings().poverty_line
    with tempfile.TemporaryDirectory(prefix="minsheng-batch-bench-") as tmp:
        folder = Path(tmp)
        db_path = folder / "bench.db"
        started = time.perf_counter()
        count = build_db(db_path, county_villages(args.villages), per_village=args.per_village)
        print(
            f"built {count} households ({args.per_village} a village, report_bench uses 300)"
            f" in {args.villages} villages in {time.perf_counter() - started:.1f} s;"
            f" {os.cpu_count()} CPUs"
        )
        seconds = {}
        for workers in (1, 2):
            seconds[workers] = run(db_path, folder, workers, args.villages, line)
            print(
                f"{workers} worker(s): {args.villages} villages in {seconds[workers]:.1f} s,"
                f" {seconds[workers] / args.villages:.2f} s a village",
                flush=True,
            )
        print(f"speed-up of 2 workers over 1: {seconds[1] / seconds[2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
