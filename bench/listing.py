"""Listing benchmark: pages, a village filter and county counts with 1,000,000 stored answers.

Builds a throw-away database of 1,000,000 household answers in ~3,000 villages
of three counties, then starts the real server (`minsheng serve`) on it and
times, over HTTP from this process:

- the first page of GET /api/forms/household/submissions (50 answers, with
  the form's total);
- deep pages, 90-99% of the way in, reached with `after` (the cursor a client
  paging that far would hold), and the page after each;
- `offset` at its largest (10,000; deprecated), for comparison;
- a village's first page (`village_code=`), with its total;
- a county's count (`county_code=`, `limit=1`: the page's `total`), and a
  county's first page.

Each is run 20 times (different villages, counties and deep pages); it prints
the median and the slowest. Target (issue 8): every one under 50 ms. With
--walk it then pages through all the answers, 500 at a time.

The answers are a few thousand valid demo answers (forms.demo) stored again
under fresh UUIDs and village codes, inserted with executemany straight into
SQLite, bypassing HTTP and validation: posting a million answers would take
hours and measure the submissions API, not listing. The database is built with
the server's own migrations; indexes are built after the rows are in, as
`CREATE INDEX` on a full table is far quicker than a million index inserts.
It needs ~4 GB of disk in the temp folder (--tmp to put it elsewhere).

Run: .venv/bin/python -m bench.listing [--answers 1000000] [--keep PATH] [--walk]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from forms.demo import demo_households
from forms.rules import derive
from forms.schema import shipped_forms
from server.db import Database
from server.form_versions import publish
from server.pagination import encode_cursor
from server.places import upsert_villages
from server.testing import live_server
from server.users import add_user, create_token

COUNTIES = ("620521", "620522", "620523")
VILLAGES_PER_COUNTY = 1000
TEMPLATES = 3000
TARGET_MS = 50.0
PATH = "/api/forms/household/submissions"


def villages() -> list[dict[str, Any]]:
    """~3,000 villages: 1,000 in each of three counties, 20 to a township."""
    found = []
    for county in COUNTIES:
        for i in range(VILLAGES_PER_COUNTY):
            township = f"{county}{100 + i // 20:03d}"
            found.append(
                {
                    "code": f"{township}{200 + i % 20:03d}",
                    "name": f"第{i + 1}村",
                    "township_code": township,
                    "township_name": f"第{i // 20 + 1}镇",
                    "county_code": county,
                    "county_name": f"县{county}",
                    "city_name": "天水市",
                    "households_registered": 400,
                }
            )
    return found


async def _prepare(db_path: Path, places: list[dict[str, Any]]) -> tuple[int, str]:
    """Places, the form, and an administrator's API token to list with."""
    db = await Database.open(db_path)
    try:
        await upsert_villages(db, places, actor="bench")
        version = await publish(db, "household", shipped_forms()["household"], actor="bench")
        admin = await add_user(
            db, "bench", username="bench-admin", name="基准", role="admin", password=None
        )
        _, token = await create_token(db, "bench", admin.id, "listing")
        return version, token
    finally:
        await db.close()


def build(db_path: Path, answers: int, seed: int = 3) -> str:
    """Migrate, publish, and insert `answers` answers spread over the villages; returns an
    administrator's API token."""
    places = villages()
    version, token = asyncio.run(_prepare(db_path, places))
    templates = []
    for answer in demo_households(seed, places[:30], per_village=TEMPLATES // 30):
        code = answer["household"]["village_code"]
        text = json.dumps(answer, ensure_ascii=False)
        marker = f'"village_code": "{code}"'
        assert text.count(marker) == 1
        templates.append(
            (text.replace(marker, '"village_code": "@@"'), None,
             json.dumps(derive("household", answer)))
        )  # fmt: skip
    rng = random.Random(seed)
    codes = [p["code"] for p in places]
    start = datetime(2026, 3, 1, tzinfo=UTC)

    def rows(first: int, count: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(first, first + count):
            text, _, derived = templates[i % len(templates)]
            village = codes[rng.randrange(len(codes))]
            body = text.replace("@@", village)
            at = start + timedelta(milliseconds=i * 7_000 + rng.randrange(7_000))
            out.append(
                (
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "household",
                    version,
                    at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    # A stand-in for body_hash (hashing canonical JSON would double the
                    # build time); a resend of these answers would get 409, not 200.
                    hashlib.sha256(body.encode()).hexdigest(),
                    body,
                    derived,
                    village,
                )
            )
        return out

    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA journal_mode=OFF")  # a throw-away file: no journal while building
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-500000")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'submissions'"
            " AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        conn.execute("BEGIN")
        chunk = 50_000
        for first in range(0, answers, chunk):
            conn.executemany(
                "INSERT INTO submissions (id, form_id, form_version, received_at, body_hash,"
                " answers, derived, village_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows(first, min(chunk, answers - first)),
            )
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return token


class Client:
    """One kept-alive HTTP connection; each request timed from send to the last byte."""

    def __init__(self, base: str, token: str):
        self.headers = {"Authorization": f"Bearer {token}"}
        address = urlsplit(base)
        self.conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)

    def get(self, **params: Any) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        self.conn.request("GET", f"{PATH}?{urlencode(params)}", headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = 1000 * (time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"{params}: {response.status} {body[:300]!r}")
        return elapsed, json.loads(body)


def deep_cursors(db_path: Path, answers: int, count: int) -> list[str]:
    """`after` cursors of pages between 90% and 100% of the form, as a client paging that far
    would hold them (read from the file, in the server's own cursor format)."""
    with sqlite3.connect(db_path) as conn:
        positions = [
            conn.execute(
                "SELECT rowid FROM submissions WHERE form_id = 'household' ORDER BY rowid"
                " LIMIT 1 OFFSET ?",
                (int(answers * (0.9 + 0.09 * i / count)),),
            ).fetchone()[0]
            for i in range(count)
        ]
    conn.close()
    return [encode_cursor(position) for position in positions]


def measure(
    base: str, token: str, answers: int, deep: list[str], runs: int = 20
) -> dict[str, list[float]]:
    """Each request `runs` times; milliseconds from sending to the last byte of the answer."""
    rng = random.Random(5)
    client = Client(base, token)
    codes = [p["code"] for p in villages()]
    times: dict[str, list[float]] = {}

    def timed(label: str, **params: Any) -> dict[str, Any]:
        elapsed, page = client.get(**params)
        times.setdefault(label, []).append(elapsed)
        return page

    client.get(limit=1)  # warm: the connection, a reader, the route
    for run in range(runs):
        first = timed("first page, form total", limit=50)
        assert len(first["items"]) == 50 and first["next"] and first["total"] == answers
        page = timed("deep page (after, 90-99%)", limit=50, after=deep[run % len(deep)])
        assert len(page["items"]) == 50
        page = timed("next page of that", limit=50, after=page["next"])
        assert len(page["items"]) == 50
        timed("offset 10,000 (deprecated)", limit=50, offset=10_000)
        village = timed("village page, village total", limit=50, village_code=rng.choice(codes))
        assert len(village["items"]) == min(50, village["total"])
        county = timed("county count (limit=1)", limit=1, county_code=COUNTIES[run % 3])
        assert county["total"] > answers // 4
        timed("county page, county total", limit=50, county_code=COUNTIES[run % 3])
    return times


def walk(base: str, token: str) -> None:
    """Page through the whole form with `after`, 500 at a time, as an export would."""
    client = Client(base, token)
    after: str | None = None
    seen, pages, slowest = 0, 0, 0.0
    started = time.perf_counter()
    while True:
        params: dict[str, Any] = {"limit": 500, **({"after": after} if after else {})}
        elapsed, page = client.get(**params)
        slowest = max(slowest, elapsed)
        seen += len(page["items"])
        pages += 1
        after = page["next"]
        if not after:
            break
    seconds = time.perf_counter() - started
    print(f"walked all {seen:,} answers in {pages:,} pages of 500: {seconds:.0f} s,", end=" ")
    print(f"slowest page {slowest:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the database")
    parser.add_argument("--keep", type=Path, default=None, help="build here, or reuse if there")
    parser.add_argument("--walk", action="store_true", help="also page through every answer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minsheng-listing-", dir=args.tmp) as tmp:
        db_path = args.keep or Path(tmp) / "listing.db"
        if not db_path.exists():
            free = shutil.disk_usage(db_path.parent).free
            if free < args.answers * 4500:
                print(f"needs ~{args.answers * 4500 / 1e9:.1f} GB free in {db_path.parent}")
                return 2
            started = time.perf_counter()
            db_path.with_suffix(".token").write_text(build(db_path, args.answers))
            size = db_path.stat().st_size / 1e9
            print(
                f"built {args.answers:,} answers in {len(villages()):,} villages of"
                f" {len(COUNTIES)} counties: {time.perf_counter() - started:.0f} s, {size:.1f} GB"
            )
        token = db_path.with_suffix(".token").read_text()
        deep = deep_cursors(db_path, args.answers, 20)
        started = time.perf_counter()
        with live_server(db_path, timeout=300) as live:
            print(f"server up in {time.perf_counter() - started:.1f} s (checks and migrates)")
            times = measure(live.base, token, args.answers, deep)
            if args.walk:
                walk(live.base, token)
    print(f"\n{'GET ' + PATH:<40} {'median ms':>10} {'max ms':>8}")
    worst = 0.0
    for label, values in times.items():
        worst = max(worst, max(values))
        print(f"  {label:<38} {statistics.median(values):>10.1f} {max(values):>8.1f}")
    verdict = "ok" if worst < TARGET_MS else "MISSED"
    print(f"target: every request under {TARGET_MS:.0f} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
