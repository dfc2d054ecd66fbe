"""An acknowledged answer survives the server being killed the instant after.

This covers a crashed or killed process (nothing acknowledged is still only in
the server's memory or a queue); surviving power loss rests on the write
connection's synchronous=FULL, which test_db checks is set. bench/crash_loop.py
runs the repeated kill for longer.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import urllib.request

import pytest

from bench.crash_loop import crash_loop
from server.testing import live_server
from tests.conftest import new_id
from tests.world import A1, seed_file


@pytest.mark.e2e
def test_answer_acknowledged_then_server_killed_is_still_stored(tmp_path, household) -> None:
    db_path = tmp_path / "durable.db"
    world, _ = seed_file(db_path, household)
    ids = [new_id() for _ in range(5)]
    with live_server(db_path) as live:
        for sid in ids:
            body = json.dumps(
                {"id": sid, "version": 1, "answers": household, "household_id": A1}
            ).encode()
            request = urllib.request.Request(
                f"{live.base}/api/forms/household/submissions",
                data=body,
                headers={"Content-Type": "application/json", **world.as_("cadre_a")},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 201
        # No shutdown, no checkpoint: what was acknowledged must already be on disk.
        live.process.send_signal(signal.SIGKILL)
        live.process.wait(timeout=10)
    with sqlite3.connect(db_path) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM submissions")}
        audited = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'submission.create'"
        ).fetchone()[0]
    assert stored == set(ids)
    assert audited == len(ids)


@pytest.mark.e2e
def test_server_killed_again_and_again_loses_and_doubles_nothing(tmp_path) -> None:
    # A short run of bench/crash_loop.py: phones keep posting, the server is SIGKILLed and
    # restarted on the same file four times; then every outbox is flushed and every
    # acknowledged answer is sent again.
    outcome = crash_loop(tmp_path / "crash.db", kills=4, phones=4, uptime=(0.3, 1.0))
    assert outcome.kills == 4
    assert outcome.unanswered > 0  # the kills did cut requests off
    assert len(outcome.acknowledged) > 100
    assert outcome.lost == []  # every acknowledged answer is in the file
    assert outcome.duplicated == []  # once, with one audit entry
    assert outcome.strays == []
    assert outcome.resend_mismatches == []  # resent after the crashes: 200, the same record
    assert outcome.unexpected == []
    assert outcome.integrity == "ok"
