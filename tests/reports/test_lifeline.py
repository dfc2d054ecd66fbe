"""Render workers and their fork server end with the server, even when it is SIGKILLed."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from forms.demo import demo_villages
from server.db import Database
from server.places import upsert_villages
from server.testing import live_server


async def _villages(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        await upsert_villages(db, demo_villages(), actor="test")
    finally:
        await db.close()


def _parents() -> dict[int, int]:
    """Each running process's parent, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended while we looked
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _descendants(pid: int, parents: dict[int, int]) -> set[int]:
    found: set[int] = set()
    while True:
        more = {child for child, parent in parents.items() if parent in found | {pid}} - found
        if not more:
            return found
        found |= more


def _ps(pids: set[int]) -> str:
    listing = ["ps", "-o", "pid,ppid,rss,args", "-p", ",".join(map(str, pids))]
    return subprocess.run(listing, capture_output=True, text=True).stdout


def _pidfds(pids: set[int]) -> dict[int, int]:
    """A pidfd for each process of `pids` still running."""
    pidfds = {}
    for pid in pids:
        with suppress(ProcessLookupError):
            pidfds[pid] = os.pidfd_open(pid)
    return pidfds


def _wait_for_exits(pidfds: dict[int, int], timeout: float) -> set[int]:
    """The processes still alive after `timeout` seconds (a pidfd reads ready at exit)."""
    alive = set(pidfds)
    deadline = time.monotonic() + timeout
    while alive and time.monotonic() < deadline:
        ended, _, _ = select.select([pidfds[pid] for pid in alive], [], [], 1.0)
        alive -= {pid for pid in alive if pidfds[pid] in ended}
    return alive


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _server_family(server: int) -> tuple[dict[int, int], set[int]]:
    """A pidfd for each of the server's descendants, once render workers are among them,
    and the workers: processes the fork server forked (not the compilers it runs)."""
    deadline = time.monotonic() + 30
    while True:
        parents = _parents()
        family = _descendants(server, parents)
        forkservers = {pid for pid in family if b"multiprocessing.forkserver" in _cmdline(pid)}
        workers = {
            pid
            for pid in family
            if parents[pid] in forkservers and _cmdline(pid) == _cmdline(parents[pid])
        }
        pidfds = _pidfds(family)
        if workers and workers <= set(pidfds):
            return pidfds, workers
        for fd in pidfds.values():
            os.close(fd)
        assert time.monotonic() < deadline, f"no render worker came up:\n{_ps(family)}"
        time.sleep(0.05)


@pytest.mark.e2e
def test_workers_die_with_server_after_sigkill(tmp_path: Path) -> None:
    db_path = tmp_path / "minsheng.db"
    asyncio.run(_villages(db_path))
    county = demo_villages()[0]["code"][:6]
    with live_server(db_path) as live:
        address = urlsplit(live.base)
        asking = f"GET /reports/county/{county}.pdf HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        with socket.create_connection((address.hostname, address.port)) as waiting:
            # A report is asked for, and its requester still waits when the server dies.
            waiting.sendall(asking)
            pidfds, workers = _server_family(live.process.pid)
            try:
                live.process.send_signal(signal.SIGKILL)
                live.process.wait(timeout=10)
                alive = _wait_for_exits(pidfds, timeout=10)
            finally:
                for fd in pidfds.values():
                    os.close(fd)
    assert workers and len(pidfds) > len(workers)  # workers, and the fork server above them
    assert not alive, f"outlived the server:\n{_ps(alive)}"


def _watching(server_pid: int) -> subprocess.Popen[str]:
    """A process that watches `server_pid` as a render worker does, then waits."""
    code = (
        "import sys, time, reports.lifeline as lifeline\n"
        f"lifeline.die_with_server({server_pid})\n"
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_a_worker_exits_when_its_server_ends() -> None:
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    worker = _watching(server.pid)
    try:
        assert worker.stdout is not None and worker.stdout.readline() == "up\n"
        server.kill()
        server.wait()
        assert worker.wait(timeout=10) == 1
    finally:
        for process in (server, worker):
            process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()


def test_a_worker_whose_server_is_already_gone_exits_at_once() -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    worker = _watching(int(ended.stdout))
    said, _ = worker.communicate(timeout=30)
    assert (worker.returncode, said) == (1, "")
