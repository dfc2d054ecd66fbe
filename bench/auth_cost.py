"""What authentication costs an answer: the work the server does for who-is-who per POST.

Issue 7 asks that checking a session adds no argon2 work per request and that the
ingest figure drops by at most 10% with authentication on. Every route now needs a
login, so there is no unauthenticated server to run bench/ingest.py against; this
measures the part authentication adds instead, on the test world's database (a real
SQLite file): for a cadre's API token and for a session cookie, resolving the principal
(a SHA-256 of the token and the process's cache; a database read once per
CACHE_SECONDS) and `require(submission.create)` on a paired household (the pairing,
cached the same way), each timed over many calls on one event loop, as the server runs
them. It also times one argon2id verify, to show what a per-request password check
would have cost.

Prints microseconds per answer for each, and, given the answers per second that
bench/ingest.py printed for the real server (--rate), the share of each answer's time
authentication takes: the drop it can cause at most, since the event loop does it
in series with everything else.

Run: .venv/bin/python -m bench.auth_cost [--calls 20000] [--rate ANSWERS_PER_SECOND]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from forms.demo import demo_households, demo_villages
from server.accounts import log_in
from server.auth import principal_for_token
from server.authz import Household, require
from server.db import Database
from server.settings import Settings
from server.users import password_hash_of, password_matches
from tests.world import PASSWORD, VILLAGE_A, seed_file


async def _time(calls: int, step: Any) -> float:
    """Microseconds per call of the coroutine function `step`, after one warm call."""
    await step()
    started = time.perf_counter()
    for _ in range(calls):
        await step()
    return (time.perf_counter() - started) / calls * 1e6


async def measure(
    db_path: Path, calls: int, token: str, household_id: str, village: str
) -> dict[str, float]:
    db = await Database.open(db_path)
    try:
        _, session, _, _ = await log_in(db, Settings(), "cadre_a", PASSWORD, "127.0.0.1", "bench")
        started = time.perf_counter()
        assert await password_matches(await password_hash_of_cadre(db), PASSWORD)
        argon2_us = (time.perf_counter() - started) * 1e6

        async def by_token() -> None:
            principal = await principal_for_token(db, "token", token)
            assert principal is not None
            await require(db, principal, "submission.create", Household(household_id, village))

        async def by_session() -> None:
            principal = await principal_for_token(db, "session", session)
            assert principal is not None
            await require(db, principal, "submission.create", Household(household_id, village))

        return {
            "token": await _time(calls, by_token),
            "session": await _time(calls, by_session),
            "argon2": argon2_us,
        }
    finally:
        await db.close()


async def password_hash_of_cadre(db: Database) -> str:
    found = await password_hash_of(db, "cadre_a")
    assert found is not None
    return found[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rate", type=float, help="answers/s bench/ingest.py printed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minsheng-auth-") as tmp:
        db_path = Path(tmp) / "auth.db"
        a1 = next(demo_households(7, demo_villages(), per_village=1))
        world, _ = seed_file(db_path, a1)
        costs = asyncio.run(
            measure(db_path, args.calls, world.tokens["cadre_a"], world.households["A1"], VILLAGE_A)
        )
    print(f"auth per answer, API token:      {costs['token']:7.1f} µs")
    print(f"auth per answer, session cookie: {costs['session']:7.1f} µs")
    print(f"one argon2id verify (at login only, never per request): {costs['argon2']:,.0f} µs")
    if args.rate:
        answer_us = 1e6 / args.rate
        for kind in ("token", "session"):
            cost = costs[kind]
            print(
                f"{kind}: {cost / answer_us:.1%} of an answer's {answer_us:,.0f} µs at"
                f" {args.rate:,.0f} answers/s (target: a drop of at most 10%)"
            )


if __name__ == "__main__":
    main()
