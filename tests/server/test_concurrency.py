"""Many phones at once against the real server: writers, resenders and readers together.

A phone reads 404 as "rejected, nothing stored" and a 500 as "try again"; either,
for an answer that was in fact stored, leads a cadre to type the household twice.
So every stored answer must be acknowledged 201 or 200, read back at once, and
stored exactly once however many copies of it arrive together.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from forms.demo import demo_households, demo_villages
from server.testing import live_server
from tests.conftest import new_id


class _Client:
    """One keep-alive connection per thread, like a phone's."""

    def __init__(self, base: str):
        self.netloc = urlsplit(base).netloc
        self.local = threading.local()
        self.opened: list[http.client.HTTPConnection] = []

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.netloc, timeout=60)
            self.opened.append(conn)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data else {}
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None


@pytest.mark.e2e
def test_writers_resenders_and_readers_together_never_see_404_or_500(tmp_path) -> None:
    answers = list(demo_households(11, demo_villages(), per_village=30))  # 150 households
    bodies = [{"id": new_id(), "version": 1, "answers": a} for a in answers]
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    lock = threading.Lock()

    with live_server(tmp_path / "busy.db") as live:
        client = _Client(live.base)
        stop = threading.Event()

        def post_and_read(body: dict[str, Any]) -> None:
            status, reply = client.request(
                "POST", "/api/forms/household/submissions", body
            )
            with lock:
                statuses[status] += 1
            if status not in (200, 201):
                problems.append(f"POST {body['id']}: {status} {reply}")
                return
            status, _ = client.request("GET", f"/api/submissions/{body['id']}")
            if status != 200:
                problems.append(f"GET {body['id']} right after its {status}: {status}")

        def reader() -> None:
            while not stop.is_set():
                status, _ = client.request(
                    "GET", "/api/forms/household/submissions?limit=100"
                )
                if status != 200:
                    problems.append(f"list: {status}")

        # Each answer three times (a phone resending while its first try is in flight).
        work = [b for b in bodies for _ in range(3)]
        with ThreadPoolExecutor(8) as readers:
            for _ in range(8):
                readers.submit(reader)
            with ThreadPoolExecutor(48) as writers:
                list(writers.map(post_and_read, work))
            stop.set()
        for opened in client.opened:
            opened.close()

    assert problems == []
    assert statuses[201] == len(bodies)
    assert statuses[200] == 2 * len(bodies)
    with sqlite3.connect(tmp_path / "busy.db") as conn:
        stored = Counter(row[0] for row in conn.execute("SELECT id FROM submissions"))
        audited = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'submission.create'"
        ).fetchone()[0]
    assert set(stored) == {b["id"] for b in bodies}
    assert max(stored.values()) == 1
    assert audited == len(bodies)
