"""A page asked only under a condition (a top-level group with an `if`, as an XLSForm's
relevance on a group becomes): the phone passes over it while the condition fails, counts
only the pages asked, and sends no answers from it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages
from server.db import Database
from server.form_versions import publish
from server.testing import live_server
from tests.browser.conftest import BARE, _bare, new_phone, new_tab, shot
from tests.browser.test_form_browser import api, open_form, tap, wait_until
from tests.world import seed_file

pytestmark = pytest.mark.browser
FORM_ID = "poor_check"


def _group(zh: str, en: str, **questions: Any) -> dict[str, Any]:
    return {"type": "object", "title": zh, "x-en": {"title": en}, "properties": questions}


def _schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "困难排查",
        "x-en": {"title": "Hardship check"},
        "type": "object",
        "properties": {
            "a": _group("基本情况", "Basics", poor={"type": "boolean", "title": "是否困难"}),
            "c": _group("备注", "Notes", note={"type": "string", "title": "备注", "maxLength": 50}),
        },
        "allOf": [{"if": POOR, "then": {"properties": {"b": HARDSHIP}}}],
        "additionalProperties": False,
    }


POOR = {"properties": {"a": {"properties": {"poor": {"const": True}}, "required": ["poor"]}},
        "required": ["a"]}  # fmt: skip
HARDSHIP = _group(
    "困难详情", "Hardship", need={"type": "string", "title": "最需要什么", "maxLength": 50}
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    db_path = tmp_path / "minsheng.db"

    async def form() -> None:
        db = await Database.open(db_path)
        try:
            await publish(db, FORM_ID, _schema(), actor="test")
        finally:
            await db.close()

    def seed() -> None:
        world, _ = seed_file(db_path, next(demo_households(7, demo_villages(), per_village=1)))
        asyncio.run(_bare(db_path, world))
        asyncio.run(form())

    with ThreadPoolExecutor(1) as pool:  # the browser's event loop runs in this thread
        pool.submit(seed).result()
    with live_server(db_path) as live:
        yield live.base


def _on(page: Any) -> str:
    shown = "document.querySelector('section.page:not([hidden]) h2')?.textContent"
    return str(page.evaluate(shown))


def test_a_page_whose_condition_fails_is_passed_over(browser, server) -> None:
    context = new_phone(browser, server)
    page = new_tab(context)
    open_form(page, f"/f/{FORM_ID}?household={BARE}")
    assert "第 1/2 页" in page.inner_text("#progress")  # nothing says yet that B applies
    page.check('[name="/a/poor"][value="false"]')
    tap(page, "#next")
    wait_until(page, "document.querySelector('#page-2:not([hidden])') !== null")
    assert _on(page) == "备注" and "第 2/2 页" in page.inner_text("#progress")
    tap(page, "#back")
    page.wait_for_selector("#page-0:not([hidden])")
    page.check('[name="/a/poor"][value="true"]')  # now it applies: asked, and counted
    tap(page, "#next")
    page.wait_for_selector("#page-1:not([hidden])")
    assert _on(page) == "困难详情" and "第 2/3 页" in page.inner_text("#progress")
    page.fill('[name="/b/need"]', "饮水")
    shot(page, "conditional-page-asked")
    tap(page, "#back")
    page.wait_for_selector("#page-0:not([hidden])")
    page.check('[name="/a/poor"][value="false"]')  # changed their mind: B is passed over
    tap(page, "#next")
    page.wait_for_selector("#page-2:not([hidden])")
    page.fill('[name="/c/note"]', "已核实")
    tap(page, "#next")
    page.wait_for_selector("#summary:not([hidden])")
    assert "困难详情" not in page.inner_text("#summary")
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1")
    [stored] = api(server, f"/api/forms/{FORM_ID}/submissions")["items"]
    assert stored["answers"] == {"a": {"poor": False}, "c": {"note": "已核实"}}
    assert page.console_errors == []
    context.close()
