"""The real server in its own process and a headless Chromium (Debian's) driving it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages
from server.testing import CHROMIUM, CHROMIUM_ARGS, live_server
from tests.world import PASSWORD, VILLAGE_A, World, seed_file

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
# A household of cadre_a's whose roster entry says little (no members, no phone, no
# answer yet): what the form tests type into, as a cadre would the first time.
BARE = "0b1a4e5f-0000-4000-8000-00000000b0b1"


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    """The browser tests' database: the test world (tests/world.py), A1 answered by seed 7,
    and BARE."""
    db_path = tmp_path_factory.mktemp("server") / "minsheng.db"
    a1 = next(demo_households(7, demo_villages(), per_village=1))
    world, _ = seed_file(db_path, a1)
    asyncio.run(_bare(db_path, world))
    return db_path, world


async def _bare(db_path: Path, world: World) -> None:
    from server.db import Database
    from server.households import upsert_households
    from tests.world import _pair

    db = await Database.open(db_path)
    try:
        row = {"id": BARE, "village_code": VILLAGE_A, "head_name": "新户", "category": "not_out"}
        await upsert_households(db, "test", [row])
        await _pair(db, world.user_ids["cadre_a"], [BARE])
    finally:
        await db.close()


@pytest.fixture(scope="session")
def world(seeded: tuple[Path, World]) -> World:
    return seeded[1]


@pytest.fixture(scope="session")
def server(seeded: tuple[Path, World]) -> Iterator[str]:
    with live_server(seeded[0]) as live:
        yield live.base


def log_in(context: Any, username: str = "cadre_a") -> None:
    """Log a browser context in (the session cookie lands in its jar)."""
    response = context.request.post(
        "/api/session", data={"username": username, "password": PASSWORD}
    )
    assert response.status == 201, response.text()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    # Module scope: sync Playwright runs an event loop on this thread until it stops,
    # which later async tests would trip over.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `bash scripts/setup --test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def new_phone(browser: Any, server: str, username: str | None = "cadre_a") -> Any:
    """A fresh phone's browser: 360x640, its own storage, logged in as `username`."""
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        base_url=server,
        locale="zh-CN",
        device_scale_factor=1,
    )
    if username:
        log_in(context, username)
    return context


def new_tab(context: Any) -> Any:
    """A tab of `context` whose console errors are collected in `page.console_errors`."""
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh phone with one tab open."""
    context = new_phone(browser, server)
    yield new_tab(context)
    context.close()


def shot(page: Any, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
