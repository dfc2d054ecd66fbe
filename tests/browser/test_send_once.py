"""What Send sends is the answer as it was when Send was pressed, once, and never stuck."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.test_form_browser import (
    api,
    fast_fill,
    next_household,
    open_form,
    stored_count,
    tap,
    to_summary,
    wait_until,
)

pytestmark = pytest.mark.browser
POSTS = "**/api/forms/household/submissions*"
SURVEYOR = '[name="/survey/surveyor"]'

TYPE_AND_SEND_AGAIN = """(name) => {
  const form = document.getElementById('form');
  const field = form.querySelector(`[name="${name}"]`);
  field.value = '改过的名字';
  field.dispatchEvent(new Event('input', {bubbles: true}));
  field.dispatchEvent(new Event('change', {bubbles: true}));
}"""
SEND_AGAIN = """() => {
  document.getElementById('send').click();
  document.getElementById('form').requestSubmit();
}"""


def stored(server: str) -> list[dict[str, Any]]:
    return api(server, "/api/forms/household/submissions?limit=500")["items"]


def ready_to_send(page: Any, household: dict[str, Any], surveyor: str) -> dict[str, Any]:
    open_form(page)
    answers = copy.deepcopy(household)
    answers["survey"]["surveyor"] = surveyor
    fast_fill(page, answers)
    to_summary(page)
    return answers


def test_typing_and_send_again_while_sending_store_the_first_answers_once(
    page, server, household
) -> None:
    held: list[Any] = []
    posts: list[str] = []

    def hold_the_first(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.post_data or "")
        if len(posts) == 1:
            held.append(route)  # a slow network: answered later
        else:
            route.continue_()

    page.route(POSTS, hold_the_first)
    before = stored_count(server)
    ready_to_send(page, household, "周一发")
    tap(page, "#send")
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(100)
    assert len(posts) == 1 and held
    # While the first request is on its way: the person types, then presses Send again.
    page.evaluate(TYPE_AND_SEND_AGAIN, "/survey/surveyor")
    page.wait_for_timeout(300)  # the draft would be written by now
    page.evaluate(SEND_AGAIN)
    page.wait_for_timeout(500)
    held[0].continue_()
    with contextlib.suppress(AssertionError):  # if it never comes, the asserts below say why
        wait_until(page, "document.querySelectorAll('#records li.sent').length === 1")
    page.wait_for_timeout(300)

    assert len(posts) == 1, [json.loads(p)["answers"]["survey"]["surveyor"] for p in posts]
    assert stored_count(server) == before + 1
    mine = [s for s in stored(server) if s["id"] == json.loads(posts[0])["id"]]
    assert len(mine) == 1 and mine[0]["answers"]["survey"]["surveyor"] == "周一发"
    assert not page.locator("#records li.rejected").count()
    assert not page.locator("#records li.waiting").count()
    assert page.is_visible("#summary") and page.is_visible("#state .fresh")
    assert page.is_hidden("#send")
    assert "已发送" in page.inner_text("#state")
    shot(page, "sent-once")

    next_household(page)  # a fresh answer under a new id
    assert page.is_visible('section.page[id="page-0"]')
    assert page.input_value(SURVEYOR) == "周一发"  # the surveyor carries over
    page.fill(SURVEYOR, "下一份")
    tap(page, "#to-records")  # what was typed is written before the list is shown
    assert page.locator("#records li.draft .resume").count() == 1  # under its own id
    assert page.locator("#records li.sent").count() == 1
    assert stored_count(server) == before + 1
    assert page.console_errors == []


def test_an_id_conflict_is_resent_as_a_new_answer_only_when_asked(page, server, household) -> None:
    posts: list[dict[str, Any]] = []
    detail = "编号已存有另一份答案；新答案须用新编号"

    def conflict_first(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(json.loads(route.request.post_data or "{}"))
        if len(posts) == 1:
            route.fulfill(
                status=409,
                content_type="application/json",
                body=json.dumps({"code": "id_conflict", "detail": detail}),
            )
        else:
            route.continue_()

    page.route(POSTS, conflict_first)
    before = stored_count(server)
    ready_to_send(page, household, "冲突后重发")
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.rejected .renew').length === 1")
    wait_until(page, "document.querySelector('#state').textContent.includes('被退回')")
    assert detail in page.inner_text("#state") and "正在发送" not in page.inner_text("#state")
    assert detail in page.inner_text("#records li.rejected")
    page.wait_for_timeout(500)
    assert len(posts) == 1  # never resent by itself
    shot(page, "id-conflict")
    tap(page, "#state .renew")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1")
    assert not page.locator("#records li.rejected").count()
    assert len(posts) == 2 and posts[1]["id"] != posts[0]["id"]
    assert posts[1]["answers"] == posts[0]["answers"]
    assert stored_count(server) == before + 1
    mine = [s for s in stored(server) if s["id"] == posts[1]["id"]]
    assert mine[0]["answers"]["survey"]["surveyor"] == "冲突后重发"
    wait_until(page, "document.querySelector('#state').textContent.includes('已发送')")
    assert page.console_errors == [] or all("409" in e for e in page.console_errors)


def test_a_5xx_keeps_the_answer_waiting_and_says_why(page, server, household) -> None:
    detail = "数据库正忙，请稍后再试"

    def busy(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"code": "unavailable", "detail": detail}),
        )

    page.route(POSTS, busy)
    before = stored_count(server)
    ready_to_send(page, household, "服务器忙")
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.waiting').length === 1")
    wait_until(page, f"document.getElementById('state').textContent.includes('{detail}')")
    assert "待发送" in page.inner_text("#state")
    assert detail in page.text_content("#records li.waiting small.why")
    assert page.is_visible("#net #send-now")  # Send now is in the banner, not folded away
    page.unroute(POSTS, busy)
    tap(page, "#send-now")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1")
    assert stored_count(server) == before + 1
    wait_until(page, "document.querySelector('#state').textContent.includes('已发送')")
    assert page.is_hidden("#net")
