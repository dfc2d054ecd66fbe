"""The real server in its own process and a headless Chromium (Debian's) driving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.testing import CHROMIUM, CHROMIUM_ARGS, live_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("server") / "minsheng.db") as live:
        yield live.base


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


def new_phone(browser: Any, server: str) -> Any:
    """A fresh phone's browser: 360x640, its own storage."""
    return browser.new_context(
        viewport={"width": 360, "height": 640},
        base_url=server,
        locale="zh-CN",
        device_scale_factor=1,
    )


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
