"""Database size per stored answer, and how long `minsheng db backup` takes.

Two throw-away databases: the demo (`minsheng load-demo`: answers stored through
the API's own write path, with their needs, steps and audit entries) and
report_bench's county (100 villages, --per-village households each answered
twice, a year apart, inserted directly). For each it prints the file's size
after a checkpoint, the answers stored, the bytes per answer for the whole file
and for the submissions table with its indexes alone (SQLite's dbstat), and the
time of an online backup of it (server.backup, as `minsheng db backup` runs it).

Run: .venv/bin/python -m bench.db_size [--per-village 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.report_bench import build_db, county_villages
from server.backup import backup
from server.db import Database
from server.demo import load_demo


async def _demo(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        await load_demo(db, 1)
    finally:
        await db.close()


def report(name: str, db_path: Path, folder: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        answers = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
        table = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema"
            " WHERE tbl_name = 'submissions')"
        ).fetchone()[0]
    finally:
        conn.close()
    size = db_path.stat().st_size
    done = backup(db_path, folder / f"{name}.backup.db")
    print(
        f"{name}: {size:,} bytes, {answers:,} answers: {size / answers:,.0f} bytes an answer"
        f" (the submissions table and its indexes: {table / answers:,.0f});"
        f" db backup {done.seconds:.2f} s ({size / done.seconds / 1e6:,.0f} MB/s)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--per-village", type=int, default=300, help="county households a village (default 300)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minsheng-db-size-") as tmp:
        folder = Path(tmp)
        demo = folder / "demo.db"
        asyncio.run(_demo(demo))
        report("demo (load-demo, seed 1)", demo, folder)
        county = folder / "county.db"
        started = time.perf_counter()
        count = build_db(county, county_villages(100), per_village=args.per_village)
        print(f"built {count:,} households in {time.perf_counter() - started:.0f} s", flush=True)
        report(f"county (100 villages x {args.per_village} households, 2 rounds)", county, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
