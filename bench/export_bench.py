"""Export benchmark: time and peak memory of each format for 100,000 stored answers.

Builds a throw-away database of 100,000 household answers in ~3,000 villages of three
counties (bench/listing.py's builder: valid demo answers inserted straight into
SQLite, bypassing HTTP and validation), then:

- runs `minsheng export household --format F -o FILE` for each format, once for one
  county (~33,000 answers) and once for all 100,000, each in a fresh process, and
  prints its wall time, the process's peak RSS and the file's size. Memory that
  stays flat as the data grows shows as the same peak for both;
- starts the real server (`minsheng serve`) and downloads each format of all the
  answers over HTTP as an administrator, printing the time to the first byte, the
  total time, and the server process's peak RSS (VmHWM) after each download.

Run: .venv/bin/python -m bench.export_bench [--answers 100000] [--tmp DIR]
(~1 GB of temp disk; a few minutes on two cores)
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.listing import COUNTIES, build
from server.testing import live_server

FORMATS = ("csv", "xlsx", "jsonl")


def run_export(db_path: Path, fmt: str, out: Path, county: str | None) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) and the answers counted, of one `minsheng export` in a
    process of its own."""
    command = [sys.executable, "-m", "server.cli", "export", "household", "--format", fmt]
    command += ["-o", str(out), "--db", str(db_path)]
    if county:
        command += ["--county", county]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as said, tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=said, stderr=errors)
        # The child's own high-water mark, read until it exits: its rusage would count
        # the pages it shared with this process between fork and exec.
        peak = 0.0
        while process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                peak = max(peak, peak_rss_mb(process.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        said.seek(0)
        errors.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"{command} failed: {errors.read().decode()}")
        answers = said.read().decode().split(": ", 1)[1].split(" answers")[0]
    return seconds, peak, answers


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def over_http(db_path: Path, token: str, folder: Path) -> None:
    with live_server(db_path, timeout=120) as live:
        print(f"server after start: peak RSS {peak_rss_mb(live.process.pid):.0f} MB")
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
        with httpx.Client(base_url=live.base, headers=headers, timeout=900) as client:
            for fmt in FORMATS:
                started = time.perf_counter()
                first: float | None = None
                size = 0
                url = f"/api/forms/household/export?format={fmt}"
                with client.stream("GET", url) as response:
                    response.raise_for_status()
                    for chunk in response.iter_bytes():
                        if first is None:
                            first = time.perf_counter() - started
                        size += len(chunk)
                total = time.perf_counter() - started
                print(
                    f"HTTP {fmt:5} all answers: first byte {first or 0:.2f} s, done {total:.1f} s,"
                    f" {size / 1e6:.0f} MB; server peak RSS so far"
                    f" {peak_rss_mb(live.process.pid):.0f} MB"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--tmp", type=Path, help="folder for the database (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minsheng-export-", dir=args.tmp) as tmp:
        folder = Path(tmp)
        db_path = folder / "bench.db"
        started = time.perf_counter()
        token = build(db_path, args.answers)
        print(
            f"built {args.answers:,} answers in {time.perf_counter() - started:.0f} s"
            " (direct SQL, bypassing HTTP)"
        )
        for fmt in FORMATS:
            for county in (COUNTIES[-1], None):
                out = folder / f"out.{fmt}"
                seconds, rss, answers = run_export(db_path, fmt, out, county)
                scope = f"county {county}" if county else "all"
                print(
                    f"CLI  {fmt:5} {scope:13} ({answers:>7} answers): {seconds:6.1f} s,"
                    f" peak RSS {rss:4.0f} MB,"
                    f" file {out.stat().st_size / 1e6:5.1f} MB"
                )
                out.unlink()
        over_http(db_path, token, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
