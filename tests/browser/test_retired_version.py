"""A version retired while a phone holds answers for it: the phone moves them to the current
version with the answers it still asks for, says what was left behind, and sends them there."""

from __future__ import annotations

import asyncio
import copy
import json
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages
from forms.schema import shipped_forms
from server.testing import live_server
from tests.browser.conftest import BARE, _bare, new_phone, new_tab, shot
from tests.browser.test_form_browser import (
    FORM,
    READY,
    api,
    fast_fill,
    open_form,
    stored_count,
    tap,
    to_summary,
    wait_until,
)
from tests.world import seed_file

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A server of its own: this test publishes and retires versions of the household form."""
    db_path = tmp_path / "minsheng.db"

    def seed() -> None:
        world, _ = seed_file(db_path, next(demo_households(7, demo_villages(), per_village=1)))
        asyncio.run(_bare(db_path, world))

    with ThreadPoolExecutor(1) as pool:  # the browser's event loop runs in this thread
        pool.submit(seed).result()
    with live_server(db_path) as live:
        yield live.base


def as_designer(server: str, method: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        server + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": "Bearer mst_test_designer", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def test_an_answer_for_a_retired_version_moves_to_the_current_one(
    browser, server, household
) -> None:
    context = new_phone(browser, server)
    page = new_tab(context)
    answers = copy.deepcopy(household)
    answers["household"]["phone"] = "13812345678"
    before = stored_count(server)
    open_form(page)
    fast_fill(page, answers)
    to_summary(page)

    # Meanwhile the designer publishes version 2 without the phone question, and retires 1.
    schema = copy.deepcopy(shipped_forms()["household"])
    del schema["properties"]["household"]["properties"]["phone"]
    as_designer(server, "PUT", "/api/forms/household/draft", {"schema": schema})
    published = as_designer(server, "POST", "/api/forms/household/publish", {"acknowledge": True})
    assert published["version"] == 2
    as_designer(server, "POST", "/api/forms/household/versions/1/retire", {"reason": "第2版"})

    # Sent from the page of version 1: refused, nothing stored.
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.rejected').length === 1")
    assert "第 1 版已停用" in page.inner_text("#state")
    assert stored_count(server) == before

    # Opened again: the current version's page, where the answer waits as a draft of it.
    page.goto(f"/f/household/v/1?household={BARE}")
    page.wait_for_selector(READY)
    assert FORM + "#" in page.url  # a retired version's page sends the phone on
    wait_until(page, "document.getElementById('notice').textContent.includes('第 2 版')")
    notice = page.inner_text("#notice")  # said once move.js is in: not awaited by the page
    assert "已移到现行的第 2 版" in notice and "phone（13812345678）" in notice
    shot(page, "retired-version-moved-360")
    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1", timeout=20)
    assert stored_count(server) == before + 1
    items = api(server, "/api/forms/household/submissions?limit=500")["items"]
    stored = next(i for i in items if i.get("household_id") == BARE)
    assert stored["version"] == 2
    expected = copy.deepcopy(answers)
    del expected["household"]["phone"]
    assert stored["answers"]["members"] == expected["members"]
    assert stored["answers"]["household"] == {
        **expected["household"],
        "village_code": stored["answers"]["household"]["village_code"],  # the roster's
    }
    assert "phone" not in stored["answers"]["household"]
    errors = [e for e in page.console_errors if "409" not in e]
    assert not errors, errors
    context.close()
