"""A real minsheng server in a child process, for end-to-end tests and benchmarks.

Started the way the README starts it (`minsheng serve`), on a free port and its
own database, and stopped with SIGTERM so shutdown runs as in production.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Debian's chromium, headless. Without the background-networking flags it keeps
# trying to reach Google's hosts, which this sandbox refuses.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base: str
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(
    db_path: Path, *, timeout: float = 30.0, env: Mapping[str, str] | None = None
) -> Iterator[LiveServer]:
    """Run `minsheng serve` on `db_path` until the block ends; yields once /healthz answers.

    `env` adds settings (MINSHENG_...) to the server's environment.
    """
    port = free_port()
    log_path = db_path.with_suffix(".server.log")
    env = {
        **os.environ,
        "MINSHENG_REPORT_CACHE": str(db_path.parent / "reports"),
        **(env or {}),
    }
    minsheng = Path(sys.executable).with_name("minsheng")
    command = [str(minsheng)] if minsheng.exists() else [sys.executable, "-m", "server.cli"]
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [*command, "serve", "--db", str(db_path), "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
            try:
                with urllib.request.urlopen(f"{server.base}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no answer in {timeout} s:\n{server.log()}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
