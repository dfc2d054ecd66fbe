"""Shared fixtures: a fresh SQLite file per test and one test client."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient

from forms.demo import demo_households, demo_villages
from server import users
from server.app import create_app
from server.auth import forget
from server.authz import forget_pairings
from server.form_versions import forget_versions
from server.settings import Settings
from server.subjects import forget_households
from tests.world import World, build_world


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "minsheng.db", report_cache_dir=tmp_path / "reports")


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its real cost takes a tenth of a second a hash; tests make many accounts."""
    monkeypatch.setattr(
        users, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Iterator[None]:
    """Sessions, tokens, pairings, form versions and households are remembered per process
    for a few seconds, under keys every test's world repeats (the same tokens, user ids and
    household ids): a test must not see what the one before it left there."""
    for clear in (forget, forget_pairings, forget_versions, forget_households):
        clear()
    yield
    for clear in (forget, forget_pairings, forget_versions, forget_households):
        clear()


@pytest.fixture
async def client(
    settings: Settings, household: dict[str, Any]
) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app, its world seeded (tests/world.py), acting as cadre_a unless told otherwise."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        world = await build_world(client.app.state.db, household)
        client.app.state.world = world
        client.headers.update(world.as_("cadre_a"))
        yield client


@pytest.fixture
def world(client: AsyncTestClient[Any]) -> World:
    found: World = client.app.state.world
    return found


@pytest.fixture(scope="session")
def _demo_household() -> dict[str, Any]:
    return next(demo_households(7, demo_villages(), per_village=1))


@pytest.fixture
def household(_demo_household: dict[str, Any]) -> dict[str, Any]:
    """One valid household answer, a fresh copy for each test to change."""
    return copy.deepcopy(_demo_household)


def new_id() -> str:
    return str(uuid.uuid4())


async def eventually(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until `condition()` holds, for state that changes without an event to await
    (a request reaching the report queue, a connection seen closed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {timeout} s")
        await asyncio.sleep(0.01)


def form_pairs(value: Any, at: str = "") -> list[tuple[str, str]]:
    """The pairs a browser would POST for these answers."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in form_pairs(v, f"{at}/{k}")]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [
            pair
            for i, v in enumerate(value)
            for pair in [(f"{at}/{i}", ""), *form_pairs(v, f"{at}/{i}")]
        ]
    if isinstance(value, list):
        return [(at, str(v)) for v in value]
    if isinstance(value, bool):
        return [(at, "true" if value else "false")]
    return [(at, str(value))]
