"""The cadre's needs on the phone: a step recorded offline is kept, then sent exactly once."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from server.settings import Settings
from tests.browser.conftest import new_phone, new_tab, shot
from tests.browser.test_form_browser import api, wait_until
from tests.world import A1

pytestmark = pytest.mark.browser
STEPS = "**/api/needs/*/steps*"


def _post(server: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        server + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer mst_test_admin", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def _a_need(server: str, world: Any, item: str) -> int:
    """A fresh answer for A1 listing one need of `item` (the household's other needs stay
    open and unlisted); the item it became."""
    answers = world.answer("A1")
    answers["needs"] = [
        {
            "category": "infrastructure_housing",
            "item": item,
            "description": f"{item}：手机上记录办理情况的测试",
            "urgency": "urgent",
        }
    ]
    sid = str(uuid.uuid4())
    _post(
        server,
        "/api/forms/household/submissions",
        {"id": sid, "version": 1, "answers": answers, "household_id": A1},
    )
    needs = api(server, f"/api/needs?household={A1}&limit=500")["items"]
    return int(next(n["id"] for n in needs if n["last_listed_in"] == sid and n["item"] == item))


def _record(page: Any, need: int, status: str, unit: str = "") -> None:
    card = f"#need-{need}"
    if not page.is_visible(f"{card} form.step"):
        page.click(f"{card} summary")
    page.select_option(f"{card} select[name=status]", status)
    page.fill(f"{card} input[name=responsible_unit]", unit)
    page.fill(f"{card} textarea[name=note]", "已联系责任单位")
    page.click(f"{card} form.step button[type=submit]")


def _steps(server: str, need: int) -> list[dict[str, Any]]:
    return list(api(server, f"/api/needs/{need}")["steps"])


def test_a_step_recorded_offline_is_sent_once_when_the_network_is_back(
    browser, server, world
) -> None:
    need = _a_need(server, world, "road")
    context = new_phone(browser, server)
    page = new_tab(context)
    try:
        page.goto("/needs/mine")
        assert page.is_visible(f"#need-{need}")
        context.set_offline(True)
        _record(page, need, "referred", "甘谷县交通运输局")
        wait_until(page, "!document.getElementById('queue').hidden")
        assert "保存在手机上" in page.inner_text("#queue")
        assert "联网后自动发送" in page.inner_text(f"#need-{need} .pending")
        shot(page, "needs-mine-offline")
        page.wait_for_timeout(500)
        assert _steps(server, need) == []  # nothing reached the server
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_until(page, "document.getElementById('queue').textContent.includes('全部发送')")
        steps = _steps(server, need)
        assert [(s["status"], s["responsible_unit"]) for s in steps] == [
            ("referred", "甘谷县交通运输局")
        ]
        assert page.inner_text(f"#need-{need} .tag.status") == "已转办"
        # The only errors are the browser's own: requests that failed while offline.
        assert [e for e in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
    finally:
        context.close()


def test_a_step_whose_answer_was_lost_is_sent_again_and_stored_once(browser, server, world) -> None:
    need = _a_need(server, world, "electricity")
    context = new_phone(browser, server)
    page = new_tab(context)
    answered: list[int] = []

    def lose_the_first_answer(route: Any) -> None:
        if answered:
            route.continue_()
            return
        response = route.fetch()  # the server stores the step...
        answered.append(response.status)
        route.abort()  # ...and the phone never hears back

    try:
        page.route(STEPS, lose_the_first_answer)
        page.goto("/needs/mine")
        _record(page, need, "in_progress")
        for _ in range(100):  # the route handler runs while Playwright waits
            if answered:
                break
            page.wait_for_timeout(100)
        assert answered == [201]
        page.wait_for_timeout(300)
        assert "联网后自动发送" in page.inner_text(f"#need-{need} .pending")  # still kept
        page.evaluate("window.dispatchEvent(new Event('online'))")  # sending is tried again
        wait_until(page, "document.getElementById('queue').textContent.includes('全部发送')")
        assert [s["status"] for s in _steps(server, need)] == ["in_progress"]
        # What the phone can tell is wrong is said at once, and nothing is kept.
        card = f"#need-{need}"
        _record(page, need, "referred")  # without the unit it was referred to
        assert "须填写责任单位" in page.inner_text(f"{card} .err")
        assert page.is_hidden(f"{card} .pending")
        # What only the server can tell stays listed with its reason until dropped.
        page.select_option(f"{card} select[name=status]", "in_progress")
        page.evaluate(
            "(s) => { document.querySelector(s).value = '很'.repeat(501); }",
            f"{card} textarea[name=note]",
        )
        page.click(f"{card} form.step button[type=submit]")
        wait_until(page, "document.querySelector('.pending button') !== null")
        assert "最多 500 个字" in page.inner_text(f"{card} .pending")
        page.click(f"{card} .pending button")
        wait_until(page, "document.querySelector('.pending button') === null")
        assert [s["status"] for s in _steps(server, need)] == ["in_progress"]
    finally:
        context.close()


def test_the_pages_read_at_360_pixels(browser, server, world) -> None:
    """Screenshots for the record: the cadre's list, a need, the officials' ledger."""
    need = _a_need(server, world, "water")
    today = Settings().today().isoformat()
    _post(
        server,
        f"/api/needs/{need}/steps",
        {
            "id": str(uuid.uuid4()),
            "status": "referred",
            "happened_on": today,
            "responsible_unit": "甘谷县水务局",
            "note": "已转县水务局",
        },
    )
    cadre = new_phone(browser, server)
    official = new_phone(browser, server, "official")
    try:
        page = new_tab(cadre)
        page.goto("/needs/mine")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width  # nothing wider than the phone
        shot(page, "needs-mine")
        page.goto(f"/needs/{need}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        shot(page, "need-history", full_page=True)
        ledger = new_tab(official)
        ledger.goto("/needs")
        assert ledger.evaluate("document.documentElement.scrollWidth") <= 360
        shot(ledger, "needs-ledger")
        shot(ledger, "needs-ledger-full", full_page=True)
        assert page.console_errors == [] and ledger.console_errors == []
    finally:
        cadre.close()
        official.close()


def test_the_needs_list_opens_offline_from_the_phones_copy(browser, server, world) -> None:
    """Opened once online (the front page keeps it), /needs/mine opens with no network; a
    step recorded on that copy takes a new UUID, waits on the phone and is sent once."""
    need = _a_need(server, world, "housing_renovation")
    context = new_phone(browser, server)
    page = new_tab(context)
    try:
        page.goto("/?lang=zh")
        page.wait_for_selector("html[data-ready=yes] #mine-list")
        page.evaluate("navigator.serviceWorker.ready")
        kept = "caches.open('ms-pages-1').then((c) => c.match('/needs/mine?lang=zh'))"
        wait_until(page, f"{kept}.then((r) => !!r)")
        uuid_in = r"(t) => t.match(/name=\"_id\" value=\"([^\"]+)\"/)[1]"
        rendered = page.evaluate(f"{kept}.then((r) => r.text()).then({uuid_in})")
        page.click("a[href^='/needs/mine']")
        page.wait_for_selector(f"#need-{need}")
        context.set_offline(True)
        page.reload()
        page.wait_for_selector(f"#need-{need}")
        assert page.input_value(f"#need-{need} input[name=_id]") != rendered
        _record(page, need, "in_progress")
        wait_until(page, "!document.getElementById('queue').hidden")
        assert "保存在手机上" in page.inner_text("#queue")
        shot(page, "needs-mine-opened-offline")
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_until(page, "document.getElementById('queue').textContent.includes('全部发送')")
        assert [s["status"] for s in _steps(server, need)] == ["in_progress"]
        assert [e for e in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
    finally:
        context.close()
