"""The household form in a real Chromium against the real server, at 360x640."""

from __future__ import annotations

import copy
import json
import time
import urllib.request
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages
from forms.rules import id_number_check_digit
from tests.browser.conftest import shot
from tests.forms.test_render import _flatten

pytestmark = pytest.mark.browser
READY = "html[data-ready=yes]"
ONLY_MEMBERS = (
    "document.querySelectorAll('section.page').forEach(p => p.hidden = !p.id.endsWith('2'))"
)

FAST_FILL = """([pairs, counts]) => {
  const form = document.getElementById('form');
  for (const [path, n] of Object.entries(counts)) {
    const repeat = form.querySelector(`.repeat[data-path="${path}"]`);
    while (repeat.querySelector('.items').children.length < n) repeat.querySelector('.add').click();
  }
  for (let pass = 0; pass < 2; pass++) for (const [name, value] of pairs) {
    for (const el of form.querySelectorAll(`[name="${name}"]`)) {
      if (el.type === 'hidden') continue;
      if (el.type === 'radio') el.checked = el.value === value;
      else if (el.type === 'checkbox') el.checked = el.checked || el.value === value;
      else el.value = value;
      el.dispatchEvent(new Event('change', {bubbles: true}));
    }
  }
}"""


@pytest.fixture(scope="module")
def household_3_2() -> dict[str, Any]:
    """A valid demo household with 3 members and 2 needs."""
    for answers in demo_households(11, demo_villages(), per_village=8):
        if len(answers["members"]) == 3 and len(answers.get("needs") or []) == 2:
            return answers
    raise AssertionError("no demo household with 3 members and 2 needs")


def api(server: str, path: str) -> Any:
    with urllib.request.urlopen(server + path) as response:
        return json.load(response)


def stored_count(server: str) -> int:
    return int(api(server, "/api/forms/household/submissions?limit=1")["total"])


def wait_until(page: Any, expression: str, timeout: float = 10) -> None:
    """Poll a JS expression (wait_for_function would eval, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


def open_form(page: Any, path: str = "/f/household") -> None:
    page.goto(path)
    page.wait_for_selector(READY)


def fast_fill(page: Any, answers: dict[str, Any]) -> None:
    pairs = [(k, v) for k, v in _flatten(answers) if v != ""]
    counts = {"/members": len(answers["members"]), "/needs": len(answers.get("needs") or [])}
    page.evaluate(FAST_FILL, [pairs, counts])


def to_summary(page: Any) -> None:
    for _ in range(8):
        page.click("#next")
    assert page.is_visible("#summary"), page.inner_text("main")[:2000]


def test_fill_household_with_3_members_and_2_needs_and_send(page, server, household_3_2) -> None:
    open_form(page)
    before = stored_count(server)
    answers = household_3_2
    for section in answers:
        repeat = page.locator(f'.repeat[data-path="/{section}"]')
        if repeat.count():
            for _ in range(len(answers[section]) - repeat.locator(".items > .item").count()):
                repeat.locator(".add").click()
        pairs = [(k, v) for k, v in _flatten({section: answers[section]}) if v != ""]
        for name, value in pairs:
            field = page.locator(f'[name="{name}"]:not([type=hidden])').first
            if not field.count():
                continue
            kind = field.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
            if kind == "select":
                field.select_option(value)
            elif kind in ("radio", "checkbox"):
                page.check(f'[name="{name}"][value="{value}"]')
            else:
                field.fill(value)
        if section == "members":  # a question that appears and vanishes leaves no answer
            health = answers["members"][0]["health"]
            if health == "healthy":
                page.check('[name="/members/0/health"][value="chronic"]')
                page.fill('[name="/members/0/disease"]', "高血压")
                page.check('[name="/members/0/health"][value="healthy"]')
            shot(page, "members-filled")
        page.click("#next")
        assert not page.locator(
            "section.page:not([hidden]) .err:not([hidden])"
        ).count() or page.is_visible("#summary")
    assert page.is_visible("#summary")
    shot(page, "summary")
    page.click("#send")
    page.wait_for_selector("#notice:not([hidden])")
    assert stored_count(server) == before + 1
    stored = api(server, "/api/forms/household/submissions?limit=500")["items"][-1]["answers"]
    assert stored["members"] == answers["members"] and stored["needs"] == answers["needs"]
    assert page.console_errors == []


def test_conditional_questions_appear_and_vanish(page) -> None:
    open_form(page)
    page.click("#next")  # household
    page.click("#next")  # shows the errors of page 1 and stays
    page.evaluate(ONLY_MEMBERS)
    disease = page.locator('[data-path="/members/0/disease"]')
    months = page.locator('[data-path="/members/0/migrant_months"]')
    assert disease.is_hidden() and months.is_hidden()
    page.check('[name="/members/0/health"][value="serious"]')
    assert disease.is_visible()
    page.fill('[name="/members/0/disease"]', "肺结核")
    page.check('[name="/members/0/migrant_work"][value="province"]')
    assert months.is_visible()
    shot(page, "conditional-shown")
    page.check('[name="/members/0/health"][value="healthy"]')
    assert disease.is_hidden()
    assert page.locator('[name="/members/0/disease"]').is_disabled()  # not sent
    sent = page.evaluate("[...new FormData(document.getElementById('form')).keys()]")
    assert "/members/0/disease" not in sent and "/members/0/migrant_months" in sent


def test_invalid_id_number_shows_its_error_at_the_field(page) -> None:
    open_form(page, "/f/household")
    page.evaluate(ONLY_MEMBERS)
    wrong = "0" if id_number_check_digit("11010119900307123") != "0" else "1"
    page.fill('[name="/members/0/id_number"]', "11010119900307123" + wrong)
    error = page.locator('[id="e/members/0/id_number"]')
    assert error.is_visible()
    assert "校验位" in error.inner_text()
    shot(page, "id-number-error")
    right = "11010119900307123" + id_number_check_digit("11010119900307123")
    page.fill('[name="/members/0/id_number"]', right)
    assert error.is_hidden()


def test_server_422_is_shown_at_its_field(page, server, household) -> None:
    open_form(page)
    answers = copy.deepcopy(household)
    answers["production"] = {"cultivated_land": 1, "irrigated_land": 5}
    fast_fill(page, answers)
    to_summary(page)
    page.click("#send")
    error = page.locator('[id="e/production/irrigated_land"]')
    error.wait_for(state="visible")
    assert "超过耕地面积" in error.inner_text()
    assert page.locator('[data-path="/production"]').is_visible()
    shot(page, "server-422")


def test_offline_answers_wait_survive_a_reload_and_arrive_once(page, server, household) -> None:
    open_form(page)
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "caches.has('ms-pages-1')")
    page.reload()
    page.wait_for_selector(READY)
    before = stored_count(server)
    page.context.set_offline(True)
    for n in range(3):
        answers = copy.deepcopy(household)
        answers["household"]["group"] = f"{n + 1}组"
        fast_fill(page, answers)
        to_summary(page)
        page.click("#send")
        wait_until(page, f"document.querySelectorAll('#records li.waiting').length === {n + 1}")
    page.reload()
    page.wait_for_selector(READY)
    assert page.locator("#records li.waiting").count() == 3
    page.evaluate("document.getElementById('records').open = true")
    shot(page, "offline-waiting")
    assert stored_count(server) == before
    page.context.set_offline(False)
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 3", timeout=20)
    assert stored_count(server) == before + 3
    page.evaluate("document.getElementById('send-now').click()")  # sending again adds nothing
    page.wait_for_timeout(300)
    assert stored_count(server) == before + 3
    shot(page, "online-sent")


def test_english_page(page) -> None:
    open_form(page, "/f/household?lang=en")
    assert page.locator("h2").first.inner_text() == "Survey"
    shot(page, "english")
