"""Logged in once, filling offline for days: a login that ended keeps the queue until its
person logs in again, and nothing queued is ever sent as someone else."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import BARE, log_in, new_phone, new_tab, shot
from tests.browser.test_form_browser import (
    CALM,
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
from tests.world import PASSWORD

pytestmark = pytest.mark.browser
B1_FORM = "/f/household?household={}"


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Any]:
    context = new_phone(browser, server)
    yield context
    context.close()


def queue_offline(page: Any, answers: dict[str, Any]) -> None:
    """Fill and send with no network: the answer waits on the phone."""
    page.context.set_offline(True)
    fast_fill(page, answers)
    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.waiting').length === 1")


def end_session(browser: Any, server: str, phone: Any) -> None:
    """The session ends on the server (logged out elsewhere, or run out): DELETE /api/session
    from another browser holding the same cookie."""
    other = browser.new_context(base_url=server)
    try:
        other.add_cookies(phone.cookies())
        me = other.request.get("/api/me").json()
        gone = other.request.delete("/api/session", headers={"X-CSRF-Token": me["csrf_token"]})
        assert gone.status == 204, gone.text()
        assert other.request.get("/api/me").status == 401
    finally:
        other.close()


def log_in_on_the_page(page: Any, username: str) -> None:
    page.fill('[name="username"]', username)
    page.fill('[name="password"]', PASSWORD)
    page.click('button[type="submit"]')


def households_of(server: str, group: str) -> list[dict[str, Any]]:
    items = api(server, "/api/forms/household/submissions?limit=500")["items"]
    return [s for s in items if s["answers"]["household"].get("group") == group]


def test_an_ended_session_keeps_the_queue_until_its_person_logs_in_again(
    phone, browser, server, household
) -> None:
    page = new_tab(phone)
    open_form(page)
    answers = copy.deepcopy(household)
    answers["household"]["group"] = "重新登录组"
    queue_offline(page, answers)
    before = stored_count(server)
    end_session(browser, server, phone)

    phone.set_offline(False)  # back in town: the outbox tries, hears 401, and waits
    page.wait_for_selector("#relogin:not([hidden])", timeout=20000)
    assert "需要重新登录" in page.inner_text("#net")
    assert page.locator("#records li.waiting").count() == 1
    assert stored_count(server) == before
    shot(page, "login-needed")

    # The banner is redrawn as the outbox settles, and a tap landing just after a change
    # of the page is ignored by design (no traps): tapped when calm, and again if the
    # page stayed, as a person would. CI once saw the first tap go nowhere.
    for _ in range(3):
        page.wait_for_selector(CALM)
        page.click("#relogin")
        try:
            page.wait_for_url("**/login?**", timeout=5000)
            break
        except PlaywrightTimeout:
            continue
    assert "/login?" in page.url
    log_in_on_the_page(page, "cadre_a")
    page.wait_for_url(f"**household={BARE}**")
    page.wait_for_selector(READY)
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1", timeout=20)
    assert page.is_hidden("#relogin")
    mine = households_of(server, "重新登录组")
    assert len(mine) == 1 and stored_count(server) == before + 1  # sent once
    shot(page, "sent-after-login")


def test_a_stale_csrf_token_is_renewed_and_the_answer_sent(phone, server, household) -> None:
    page = new_tab(phone)
    open_form(page)
    log_in(phone)  # a new session (another tab logged in): the page's token is stale now
    answers = copy.deepcopy(household)
    answers["household"]["group"] = "新令牌组"
    fast_fill(page, answers)
    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1", timeout=20)
    assert len(households_of(server, "新令牌组")) == 1


def test_another_person_on_the_phone_never_sends_the_first_ones_answers(
    phone, browser, server, household, world
) -> None:
    page = new_tab(phone)
    open_form(page)
    answers = copy.deepcopy(household)
    answers["household"]["group"] = "甲的答案"
    queue_offline(page, answers)
    page.close()
    before = stored_count(server)
    end_session(browser, server, phone)
    phone.set_offline(False)

    # cadre_b logs in on the same phone and works: cadre_a's answer stays, shown as theirs.
    page = new_tab(phone)
    page.goto("/login?next=/")
    log_in_on_the_page(page, "cadre_b")
    page.wait_for_selector("html[data-ready=yes] #mine-list")
    b1 = world.households["B1"]
    page.goto(B1_FORM.format(b1))
    page.wait_for_selector(READY)
    theirs = world.answer("B1")
    theirs["household"]["group"] = "乙的答案"
    fast_fill(page, theirs)
    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1", timeout=20)
    tap(page, "#to-records")
    waiting = page.locator("#records li.waiting")
    assert waiting.count() == 1 and "cadre_a 的记录" in waiting.inner_text()
    assert waiting.locator(".resume, .renew").count() == 0
    shot(page, "another-persons-answer")
    page.wait_for_timeout(1000)
    assert stored_count(server) == before + 1 and not households_of(server, "甲的答案")
    b_rows = households_of(server, "乙的答案")
    assert len(b_rows) == 1 and b_rows[0]["household_id"] == b1

    # cadre_a logs in again: their answer goes, under their name, once.
    page.goto(f"/login?next={FORM.replace('&', '%26')}")
    log_in_on_the_page(page, "cadre_a")
    page.wait_for_selector(READY)
    wait_until(page, "document.querySelectorAll('#records li.waiting').length === 0", timeout=20)
    a_rows = households_of(server, "甲的答案")
    assert len(a_rows) == 1 and a_rows[0]["household_id"] == BARE
    assert a_rows[0]["submitted_by"] == f"user:{world.user_ids['cadre_a']}"
    assert stored_count(server) == before + 2
