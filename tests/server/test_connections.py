"""Slow and idle clients: the real server (`minsheng serve`) driven over raw sockets."""

from __future__ import annotations

import json
import resource
import select
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from server.connections import raise_open_files_limit
from server.testing import LiveServer, live_server
from tests.conftest import new_id
from tests.world import A1, seed_file


def _address(live: LiveServer) -> tuple[str, int]:
    host, port = live.base.removeprefix("http://").split(":")
    return host, int(port)


AUTH = "Authorization: Bearer mst_test_admin\r\n"  # tests/world.py's admin token


def _seeded(db_path: Path, household: dict[str, Any]) -> Path:
    seed_file(db_path, household)
    return db_path


def _status(url: str, body: dict[str, Any] | None = None) -> int:
    """The status of one request (as the admin); a server that does not answer within 5 s
    fails the test."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": AUTH.split(": ", 1)[1].strip()}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _closed_by_server(sock: socket.socket) -> bytes | None:
    """What the server sent before closing `sock`, or None while it is still open."""
    sock.setblocking(False)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except BlockingIOError:
        return None
    except ConnectionResetError:
        pass
    return received


def _response(sock: socket.socket) -> bytes:
    """One whole response (head and a Content-Length body) from `sock`."""
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _trickle(
    live: LiveServer, sock: socket.socket, data: bytes, seconds: float
) -> tuple[float, int]:
    """Send `data` a byte every 0.2 s until the server closes `sock` (or `seconds` pass),
    asking /healthz between bytes; (seconds until closed, /healthz answers meanwhile)."""
    started = time.monotonic()
    answered = 0
    for byte in data:
        if time.monotonic() - started > seconds:
            break
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        if select.select([sock], [], [], 0.2)[0]:
            break
        assert _status(f"{live.base}/healthz") == 200  # served all the while
        answered += 1
    return time.monotonic() - started, answered


@pytest.mark.e2e
def test_a_trickling_head_is_cut_off_while_others_are_answered(tmp_path, household) -> None:
    with (
        live_server(
            _seeded(tmp_path / "slow.db", household), env={"MINSHENG_REQUEST_TIMEOUT": "2"}
        ) as live,
        socket.create_connection(_address(live)) as silent,  # connects, never sends a byte
        socket.create_connection(_address(live)) as slow,
    ):
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        took, answered = _trickle(live, slow, b"X-Slow: " + b"a" * 200, seconds=10)
        slow.settimeout(5)
        reply = slow.recv(1024)
        assert reply.startswith(b"HTTP/1.1 408 "), reply
        assert 1.5 < took < 6, took
        assert answered >= 5
        silent.settimeout(5)
        assert silent.recv(1024) == b""  # closed without an answer: it asked nothing
        assert _status(f"{live.base}/healthz") == 200
    assert "request not received within 2 s" in live.log()


@pytest.mark.e2e
def test_a_trickling_body_is_cut_off_and_nothing_is_stored(tmp_path, household) -> None:
    sid = new_id()
    body = json.dumps({"id": sid, "version": 1, "answers": household, "household_id": A1}).encode()
    with (
        live_server(
            _seeded(tmp_path / "slow.db", household), env={"MINSHENG_REQUEST_TIMEOUT": "2"}
        ) as live,
        socket.create_connection(_address(live)) as slow,
    ):
        slow.sendall(
            b"POST /api/forms/household/submissions HTTP/1.1\r\nHost: x\r\n"
            + AUTH.encode()
            + b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:100]
        )
        took, answered = _trickle(live, slow, body[100:], seconds=10)
        slow.settimeout(5)
        reply = slow.recv(1024)
        assert reply.startswith(b"HTTP/1.1 408 "), reply
        assert 1.5 < took < 6 and answered >= 5, (took, answered)
        assert _status(f"{live.base}/api/submissions/{sid}") == 404
        # The same answer sent whole is stored.
        url = f"{live.base}/api/forms/household/submissions"
        assert (
            _status(url, {"id": sid, "version": 1, "answers": household, "household_id": A1}) == 201
        )
    assert "Traceback" not in live.log()


@pytest.mark.e2e
def test_a_body_still_coming_after_an_early_answer_does_not_hold_the_connection(
    tmp_path, household
) -> None:
    # 413 is answered from the head; the client sends the rest of the body anyway and
    # then stays: the connection is idle and closes after the keep-alive time.
    env = {"MINSHENG_MAX_BODY": "1000", "MINSHENG_KEEP_ALIVE": "1"}
    with (
        live_server(_seeded(tmp_path / "early.db", household), env=env) as live,
        socket.create_connection(_address(live)) as sock,
    ):
        sock.sendall(
            b"POST /api/forms/household/submissions HTTP/1.1\r\nHost: x\r\n"
            + AUTH.encode()
            + b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
            + b" " * 100
        )
        assert _response(sock).startswith(b"HTTP/1.1 413 ")
        sock.sendall(b" " * 4900)
        time.sleep(3)
        assert _closed_by_server(sock) == b""


@contextmanager
def _connections(live: LiveServer, count: int) -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            opened.append(socket.create_connection(_address(live)))
        yield opened
    finally:
        for sock in opened:
            sock.close()


def _room_for(descriptors: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < descriptors:
        pytest.skip(f"the open-file limit ({hard}) is below the {descriptors} this test needs")
    if soft != resource.RLIM_INFINITY and soft < descriptors:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@pytest.mark.e2e
def test_two_thousand_idle_connections_leave_the_server_answering(tmp_path, household) -> None:
    _room_for(2500)
    with (
        live_server(_seeded(tmp_path / "idle.db", household)) as live,
        _connections(live, 2000) as idle,
    ):
        url = f"{live.base}/api/forms/household/submissions"
        assert (
            _status(url, {"id": new_id(), "version": 1, "answers": household, "household_id": A1})
            == 201
        )
        assert _status(f"{live.base}/healthz") == 200
        # Under the connection limit nothing was closed to make room.
        poll = select.poll()
        for sock in idle:
            poll.register(sock, select.POLLIN)
        assert poll.poll(0) == []


@pytest.mark.e2e
def test_past_the_limit_the_longest_idle_connections_make_room(tmp_path, household) -> None:
    env = {"MINSHENG_MAX_CONNECTIONS": "50"}
    with (
        live_server(_seeded(tmp_path / "limit.db", household), env=env) as live,
        _connections(live, 200) as idle,
    ):
        url = f"{live.base}/api/forms/household/submissions"
        assert (
            _status(url, {"id": new_id(), "version": 1, "answers": household, "household_id": A1})
            == 201
        )
        assert _status(f"{live.base}/healthz") == 200
        time.sleep(0.2)
        closed = [i for i, sock in enumerate(idle) if _closed_by_server(sock) is not None]
        still_open = sorted(set(range(len(idle))) - set(closed))
        assert len(still_open) <= 50
        assert max(closed) < min(still_open)  # the oldest went first


@pytest.mark.e2e
def test_connections_all_busy_a_new_request_gets_503_until_they_time_out(
    tmp_path, household
) -> None:
    env = {"MINSHENG_MAX_CONNECTIONS": "20", "MINSHENG_REQUEST_TIMEOUT": "2"}
    with (
        live_server(_seeded(tmp_path / "busy.db", household), env=env) as live,
        _connections(live, 20) as busy,
    ):
        for sock in busy:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # a head that never ends
        time.sleep(0.2)
        assert _status(f"{live.base}/healthz") == 503
        time.sleep(2.5)  # the unfinished requests time out
        assert _status(f"{live.base}/healthz") == 200
        assert all(_closed_by_server(sock) is not None for sock in busy)


def test_the_open_file_limit_is_raised_to_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 256:
        pytest.skip(f"no finite hard limit above 256 to raise to ({hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        assert raise_open_files_limit() == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
