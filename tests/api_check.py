"""The API document tells the truth: schemathesis against a live server.

Seeds a database with the test world (tests/world.py: places, a roster, one persona
per role with its API token) and an answer for each of its households, starts the
real server on it (`minsheng serve`, server/testing.py), and runs schemathesis
against /schema/openapi.json as the administrator: every operation, every phase,
all checks, a bounded number of examples per operation and a fixed seed, so a run
takes a few minutes and a failure can be replayed. It fails (exit 1) on any 5xx and
on any answer the document does not describe. `.ci/run` runs it after the tests.

Settings for schemathesis are in tests/schemathesis.toml (why each is there is said
there). Run: .venv/bin/python -m tests.api_check [--examples N] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from forms.demo import demo_households, demo_villages
from server.testing import live_server
from tests.world import seed_file

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"
TOKEN = "mst_test_admin"


def _post(base: str, path: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201, response.status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="at most N cases an operation")
    parser.add_argument("--seed", type=int, default=12, help="hypothesis seed (replayable)")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="minsheng-api-check-") as tmp:
        db_path = Path(tmp) / "api.db"
        a1 = next(demo_households(7, demo_villages(), per_village=1))
        world, _ = seed_file(db_path, a1)
        with live_server(db_path, env={"MINSHENG_REPORT_QUEUE": "2"}) as live:
            for key, household_id in world.households.items():
                answer = {"id": str(uuid.uuid4()), "version": 1, "answers": world.answers[key]}
                _post(live.base, "/api/forms/household/submissions",
                      {**answer, "household_id": household_id})  # fmt: skip
            command = [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(CONFIG),
                "run",
                f"{live.base}/schema/openapi.json",
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--checks",
                "all",
                "--max-examples",
                str(args.examples),
                "--seed",
                str(args.seed),
                # One worker: hypothesis parses lambdas' source with `ast` while it runs,
                # and CPython 3.11's AST recursion counter is not safe across threads
                # (python/cpython#106905): two workers failed CI once with "AST
                # constructor recursion depth mismatch", an error of neither the API nor
                # the test.
                "--workers",
                "1",
                "--report",
                "junit",
                "--report-dir",
                str(Path(tmp) / "report"),
            ]
            # In the temp folder: schemathesis keeps its cache where it runs.
            outcome = subprocess.run(command, check=False, cwd=tmp)
            if outcome.returncode != 0:
                print(live.log()[-4000:], file=sys.stderr)
    seconds = time.monotonic() - started
    print(f"api-check: schemathesis exited {outcome.returncode} in {seconds:.0f} s")
    return outcome.returncode


if __name__ == "__main__":
    sys.exit(main())
