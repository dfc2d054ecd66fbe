"""Crash loop: kill the server again and again while answers pour in; nothing acknowledged is lost.

Several phones (threads) post household answers, each under its own UUID, to the
real server (`minsheng serve`). Every so often the server is killed with SIGKILL
-- no shutdown, no checkpoint -- and started again on the same file. A phone
keeps an answer in its outbox until it hears 201 or 200, and sends it again
after the restart, as the phone's outbox does.

After the last kill the file itself is checked: every acknowledged answer is
there once, with its audit entry; nothing else is; PRAGMA integrity_check says
ok. Then a last server flushes every outbox and every acknowledged answer is
sent once more: each must get 200 with the very record it was first
acknowledged with; and the file is checked again.

tests/server/test_durability.py runs a short loop (a few kills); this runs a
long one and prints its figures.

Run: .venv/bin/python -m bench.crash_loop [--kills 50] [--phones 8]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import itertools
import json
import random
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from forms.demo import demo_households, demo_villages, roster_entry
from server.testing import live_server

PATH = "/api/forms/household/submissions"


@dataclass
class Outcome:
    """What the phones heard, and what the database file holds at the end."""

    kills: int = 0
    sent: int = 0  # requests, resends included
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> first record
    unanswered: int = 0  # requests cut off by a kill (or refused while the server was down)
    stored_unacknowledged: int = 0  # stored by a server killed before it answered: 200 later
    resend_mismatches: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # any status but 200, 201, 503
    lost: list[str] = field(default_factory=list)  # acknowledged, not in the file
    duplicated: list[str] = field(default_factory=list)  # in the file more than once
    strays: list[str] = field(default_factory=list)  # in the file, never sent
    integrity: str = ""

    @property
    def ok(self) -> bool:
        return not (
            self.resend_mismatches
            or self.unexpected
            or self.lost
            or self.duplicated
            or self.strays
            or self.integrity != "ok"
        )


class _Phone:
    """One phone: an outbox it empties over one kept-alive connection, resending until heard."""

    def __init__(
        self, answers: itertools.count[int], pool: list[tuple[str, dict[str, Any]]], seed: int
    ):
        self.next_answer = answers
        self.pool = pool
        self.outbox: list[tuple[str, bytes]] = []
        self.rng = random.Random(seed)
        self.sent: dict[str, bytes] = {}  # every answer this phone ever sent, by id

    def new_answer(self) -> None:
        index = next(self.next_answer)
        sid = f"00000000-0000-4000-8000-{index:012d}"
        household_id, answers = self.pool[index % len(self.pool)]
        body = json.dumps(
            {"id": sid, "version": 1, "answers": answers, "household_id": household_id}
        ).encode()
        self.outbox.append((sid, body))
        self.sent[sid] = body


TOKEN = "mst_crash_loop"  # the cadre the phones send as (see _roster)


def _post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    conn.request("POST", PATH, body, headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def _roster(
    db_path: Path, answers: list[dict[str, Any]], seed: int
) -> list[tuple[str, dict[str, Any]]]:
    """Put the households on the roster, and a cadre paired with their villages whose API
    token is TOKEN; (household id, answers) pairs."""
    from forms.schema import shipped_forms
    from server.db import Database, now_iso
    from server.form_versions import publish
    from server.households import upsert_households
    from server.pairings import pair
    from server.places import upsert_villages
    from server.users import add_user, token_hash

    rows = [roster_entry(seed, i, a) for i, a in enumerate(answers)]

    async def seed_db() -> None:
        db = await Database.open(db_path)
        try:
            await publish(db, "household", shipped_forms()["household"], actor="bench")
            await upsert_villages(db, demo_villages(), actor="bench")
            await upsert_households(db, "bench", rows)
            cadre = await add_user(
                db, "bench", username="crash-cadre", name="干部", role="cadre", password=None
            )
            for village in demo_villages():
                await pair(db, "bench", cadre.id, village_code=village["code"])

            async def token(conn: Any) -> None:
                await conn.execute(
                    "INSERT INTO api_tokens (user_id, name, token_hash, created_at)"
                    " VALUES (?, 'crash', ?, ?)",
                    (cadre.id, token_hash(TOKEN), now_iso()),
                )

            await db.write(token)
        finally:
            await db.close()

    asyncio.run(seed_db())
    return [(row["id"], a) for row, a in zip(rows, answers, strict=True)]


def _run_phone(
    phone: _Phone, base: str, stop: threading.Event, outcome: Outcome, lock: threading.Lock
) -> None:
    address = urlsplit(base)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        while not stop.is_set():
            if not phone.outbox:
                phone.new_answer()
            sid, body = phone.outbox[0]
            try:
                status, record = _post(conn, body)
            except (OSError, http.client.HTTPException):
                conn.close()  # the server went away mid-request; the answer stays in the outbox
                with lock:
                    outcome.sent += 1
                    outcome.unanswered += 1
                time.sleep(0.05)
                continue
            with lock:
                outcome.sent += 1
                if status in (200, 201):
                    # An answer leaves the outbox when first heard, so this is its first
                    # acknowledgement; 200 means a server killed before answering stored it.
                    phone.outbox.pop(0)
                    outcome.acknowledged[sid] = record
                    outcome.stored_unacknowledged += status == 200
                elif status != 503:  # 503: storage busy, sent again like a lost answer
                    outcome.unexpected.append(f"{sid}: {status} {record}")
                    phone.outbox.pop(0)
    finally:
        conn.close()


def crash_loop(
    db_path: Path,
    *,
    kills: int,
    phones: int = 6,
    uptime: tuple[float, float] = (0.3, 1.5),
    seed: int = 1,
) -> Outcome:
    """Post from `phones` threads, SIGKILL the server `kills` times, then check (see above)."""
    rng = random.Random(seed)
    answers = list(demo_households(seed, demo_villages(), per_village=100))
    pool = _roster(db_path, answers, seed)
    counter = itertools.count()
    crew = [_Phone(counter, pool, seed * 1000 + i) for i in range(phones)]
    outcome = Outcome()
    lock = threading.Lock()
    for _ in range(kills):
        with live_server(db_path) as live:
            stop = threading.Event()
            threads = [
                threading.Thread(target=_run_phone, args=(p, live.base, stop, outcome, lock))
                for p in crew
            ]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(*uptime))
            live.process.send_signal(signal.SIGKILL)  # mid-stream: no shutdown, no checkpoint
            live.process.wait(timeout=10)
            stop.set()
            for thread in threads:
                thread.join()
        outcome.kills += 1
    # Looked at before anything is sent again, which would store a lost answer anew.
    _check_file(db_path, crew, outcome)
    with live_server(db_path) as live:
        _settle(crew, live.base, outcome)
    _check_file(db_path, crew, outcome)
    return outcome


def _settle(crew: list[_Phone], base: str, outcome: Outcome) -> None:
    """Empty every outbox, then resend each acknowledged answer: 200, the same record."""
    address = urlsplit(base)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        for phone in crew:
            for sid, body in phone.outbox:
                status, record = _post(conn, body)
                if status not in (200, 201):
                    outcome.unexpected.append(f"{sid}: {status} {record}")
                    continue
                outcome.acknowledged[sid] = record
                outcome.stored_unacknowledged += status == 200
            phone.outbox.clear()
        bodies = {sid: body for phone in crew for sid, body in phone.sent.items()}
        for sid, first in outcome.acknowledged.items():
            status, record = _post(conn, bodies[sid])
            if status != 200 or record != first:
                outcome.resend_mismatches.append(f"{sid}: resent, {status}")
    finally:
        conn.close()


def _check_file(db_path: Path, crew: list[_Phone], outcome: Outcome) -> None:
    sent = {sid for phone in crew for sid in phone.sent}
    with sqlite3.connect(db_path) as conn:
        stored = Counter(
            sid for (sid,) in conn.execute("SELECT id FROM submissions WHERE form_id = 'household'")
        )
        created = Counter(
            target.removeprefix("submission:")
            for (target,) in conn.execute(
                "SELECT target FROM audit_log WHERE action = 'submission.create'"
            )
        )
        integrity = "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    conn.close()
    outcome.integrity = integrity if outcome.integrity in ("", "ok") else outcome.integrity
    lost = {sid for sid in outcome.acknowledged if stored[sid] == 0}
    duplicated = {sid for sid in set(stored) | set(created) if stored[sid] > 1 or created[sid] > 1}
    outcome.lost = sorted(lost | set(outcome.lost))
    outcome.duplicated = sorted(duplicated | set(outcome.duplicated))
    outcome.strays = sorted(set(stored) - sent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--phones", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minsheng-crash-") as tmp:
        started = time.perf_counter()
        outcome = crash_loop(
            Path(tmp) / "crash.db", kills=args.kills, phones=args.phones, seed=args.seed
        )
        seconds = time.perf_counter() - started
    print(f"kills: {outcome.kills} in {seconds:.0f} s, {args.phones} phones")
    print(
        f"requests: {outcome.sent} ({outcome.unanswered} cut off by a kill or refused while down)"
    )
    print(f"answers acknowledged: {len(outcome.acknowledged)}")
    print(
        "stored by a killed server before it answered (200 on resend):"
        f" {outcome.stored_unacknowledged}"
    )
    print(f"lost: {len(outcome.lost)}; duplicated: {len(outcome.duplicated)}")
    print(
        f"resent after the last crash, not 200 with the same record:"
        f" {len(outcome.resend_mismatches)}"
    )
    print(f"unexpected statuses: {len(outcome.unexpected)}; never-sent rows: {len(outcome.strays)}")
    print(f"integrity_check: {outcome.integrity}")
    for problem in (outcome.lost + outcome.resend_mismatches + outcome.unexpected)[:10]:
        print(f"  {problem}")
    print("nothing lost: " + ("ok" if outcome.ok else "MISSED"))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
