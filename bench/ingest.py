"""Ingest benchmark: answers per second the real server stores, against a bare ceiling.

A survey round starts with a county's cadres coming back into signal together,
their phones flushing their outboxes at once. This starts the server the README's
way (`minsheng serve`) on a database already holding a county of 30,000
households, and loads it from another process (wrk, over loopback) with valid
household answers of 1 to 8 members, each under a fresh UUID, at 64 and at 256
concurrent connections. In the same run it loads bench/bare_app.py -- a litestar
endpoint that takes the same bodies and answers 201 without validating or
storing -- served the same way: the ceiling.

Then 1,000 phones each flush an outbox of 5 answers at once (every answer sent
twice, as a phone that did not hear back would); every answer must be stored
exactly once.

Prints, per run: answers/s, p50/p99 latency, non-2xx count; the ratio to the
ceiling; stored-row checks; WAL size. Targets (issue 8): at least half the
ceiling, p99 <= 100 ms at 64 connections, zero non-2xx.

Needs wrk (`apt-get install wrk`; `bash scripts/setup --bench` installs it).
Run: .venv/bin/python -m bench.ingest [--seconds 15] [--households 30000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.report_bench import build_db, county_villages
from forms.demo import demo_households, roster_entry
from server.testing import free_port, live_server

LUA = r"""
-- Each thread cycles through the prepared bodies, each sent under a fresh UUID.
local bodies = {}
local n = 0
local token = ""
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  token = args[3]
  math.randomseed(os.time() + tonumber(args[2] or 0) + math.floor(os.clock() * 1000000))
end
local function uuid4()
  local t = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (t:gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end
function request()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]:gsub("__ID__", uuid4())
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = "Bearer " .. token}, body)
end
"""


def county_households(per_village: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Demo answers of the county's villages with their roster rows, from one generator so
    no two share a head's ID number."""
    answers = demo_households(11, county_villages(100), per_village=per_village)
    return [(roster_entry(11, i, a), a) for i, a in enumerate(answers)]


def prepare_bodies(path: Path, households: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for entry, answer in households:
            body = {"id": "__ID__", "version": 1, "answers": answer, "household_id": entry["id"]}
            out.write(json.dumps(body, ensure_ascii=False) + "\n")


def sender(db_path: Path, roster: list[dict[str, Any]]) -> str:
    """Put `roster` on the roster; the API token of a cadre paired with every village of the
    county (as a township's work team would be), who sends the answers."""
    return asyncio.run(_sender(db_path, roster, [v["code"] for v in county_villages(100)]))


async def _sender(db_path: Path, roster: list[dict[str, Any]], villages: list[str]) -> str:
    from server.db import Database
    from server.households import upsert_households
    from server.pairings import pair
    from server.users import add_user, create_token

    db = await Database.open(db_path)
    try:
        await upsert_households(db, "bench", roster)
        cadre = await add_user(
            db, "bench", username="bench-cadre", name="基准干部", role="cadre", password=None
        )
        for village in villages:
            await pair(db, "bench", cadre.id, village_code=village)
        _, token = await create_token(db, "bench", cadre.id, "ingest")
        return token
    finally:
        await db.close()


def run_wrk(
    url: str, bodies: Path, script: Path, connections: int, seconds: int, token: str = ""
) -> dict[str, Any]:
    threads = 2
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            str(bodies),
            str(connections),
            token,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "total": total,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def ceiling(bodies: Path, script: Path, connections: int, seconds: int) -> dict[str, Any]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_app", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        url = f"http://127.0.0.1:{port}/api/forms/household/submissions"
        run_wrk(url, bodies, script, connections, 2)  # warm
        return run_wrk(url, bodies, script, connections, seconds)
    finally:
        process.terminate()
        process.wait()


def _wait_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def outboxes(
    base: str,
    token: str,
    households: list[tuple[dict[str, Any], dict[str, Any]]],
    per_phone: int = 5,
) -> tuple[int, list[str]]:
    """len(households) / per_phone connections at once, each sending its outbox of
    `per_phone` answers; every answer twice."""
    host, port = base.removeprefix("http://").split(":")
    phones = len(households) // per_phone
    ids = [str(uuid.uuid4()) for _ in households]
    problems: list[str] = []

    async def phone(index: int) -> None:
        for attempt in range(3):
            try:
                reader, writer = await asyncio.open_connection(host, int(port))
                break
            except OSError:
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            problems.append(f"phone {index}: could not connect")
            return
        try:
            for k in range(per_phone):
                i = index * per_phone + k
                entry, answer = households[i]
                body = json.dumps(
                    {"id": ids[i], "version": 1, "answers": answer, "household_id": entry["id"]}
                ).encode()
                for _ in range(2):  # sent, then sent again: the phone did not hear back
                    writer.write(
                        b"POST /api/forms/household/submissions HTTP/1.1\r\n"
                        b"Host: x\r\nContent-Type: application/json\r\n"
                        + f"Authorization: Bearer {token}\r\n".encode()
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                    await writer.drain()
                    status_line = await reader.readline()
                    status = int(status_line.split()[1])
                    length = 0
                    while (line := await reader.readline()) not in (b"\r\n", b""):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    await reader.readexactly(length)
                    if status not in (200, 201):
                        problems.append(f"{ids[i]}: {status}")
        finally:
            writer.close()

    await asyncio.gather(*(phone(p) for p in range(phones)))
    return len(ids), problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--households", type=int, default=30000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/ingest.py needs wrk: bash scripts/setup --bench (or apt-get install wrk)")
        return 2
    with tempfile.TemporaryDirectory(prefix="minsheng-ingest-") as tmp:
        folder = Path(tmp)
        db_path = folder / "county.db"
        started = time.perf_counter()
        per = args.households // 100
        # Per village: `per` households stored already, 20 loaded by wrk, 50 flushed by phones.
        households = county_households(per + 70)
        Pairs = list[tuple[dict[str, Any], dict[str, Any]]]
        stored_ones: Pairs = [p for i, p in enumerate(households) if i % (per + 70) < per]
        loaded: Pairs = [p for i, p in enumerate(households) if per <= i % (per + 70) < per + 20]
        flushed: Pairs = [p for i, p in enumerate(households) if i % (per + 70) >= per + 20]
        stored = build_db(db_path, county_villages(100), 0, households=stored_ones)
        print(f"county database: {stored} households ({time.perf_counter() - started:.0f} s)")
        bodies, script = folder / "bodies.jsonl", folder / "post.lua"
        prepare_bodies(bodies, loaded)
        token = sender(db_path, [entry for entry, _ in loaded + flushed])
        script.write_text(LUA)
        sizes = [len(line) for line in bodies.read_text().splitlines()]
        print(f"bodies: {len(sizes)} households, {min(sizes)}-{max(sizes)} bytes")

        results: dict[int, dict[str, Any]] = {}
        with live_server(db_path) as live:
            url = f"{live.base}/api/forms/household/submissions"
            run_wrk(url, bodies, script, 16, 2, token)  # warm
            for connections in (64, 256):
                before = _count(db_path)
                result = run_wrk(url, bodies, script, connections, args.seconds, token)
                result["stored"] = _count(db_path) - before
                results[connections] = result
            count, problems = asyncio.run(outboxes(live.base, token, flushed))
            wal = db_path.with_name(db_path.name + "-wal")
            wal_mb = wal.stat().st_size / 1e6 if wal.exists() else 0.0
        with sqlite3.connect(db_path) as conn:
            dupes = conn.execute(
                "SELECT count(*) FROM (SELECT id FROM submissions GROUP BY id HAVING count(*) > 1)"
            ).fetchone()[0]
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        bare = {c: ceiling(bodies, script, c, args.seconds) for c in (64, 256)}

    print()
    print(f"{'':>14} {'answers/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'stored':>8}")
    for connections, r in results.items():
        print(
            f"minsheng c={connections:<4} {r['rps']:>10.0f} {r['p50']:>8.1f} {r['p99']:>8.1f}"
            f" {r['non2xx']:>8} {r['stored']:>8}  {r['socket_errors']}"
        )
    for connections, r in bare.items():
        print(
            f"ceiling  c={connections:<4} {r['rps']:>10.0f} {r['p50']:>8.1f} {r['p99']:>8.1f}"
            f" {r['non2xx']:>8}"
        )
    for connections in results:
        ratio = results[connections]["rps"] / bare[connections]["rps"]
        print(f"c={connections}: {ratio:.0%} of the ceiling")
    print(
        f"1,000 phones x 5 answers, each sent twice: {count} answers, {len(problems)} not 200/201"
        + (f" (first: {problems[0]})" if problems else "")
    )
    print(f"ids stored more than once: {dupes}; integrity_check: {integrity}; WAL {wal_mb:.1f} MB")
    r64 = results[64]
    ok = (
        r64["rps"] >= bare[64]["rps"] / 2
        and r64["p99"] <= 100
        and all(r["non2xx"] == 0 for r in results.values())
    )
    verdict = "ok" if ok else "MISSED"
    print(f"targets (>= half the ceiling, p99 <= 100 ms at 64, zero non-2xx): {verdict}")
    return 0


def _count(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM submissions").fetchone()[0])


if __name__ == "__main__":
    sys.exit(main())
