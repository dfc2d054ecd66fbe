"""Two tabs of one phone on the same household: nothing queued or sent is ever lost.

The case of issue 9: page 1 typed in one tab, the form opened in a second tab, the
network gone, the answer finished and sent (queued) in the first tab, then one
character typed in the second. The queued answer must arrive, exactly once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import new_phone, new_tab, shot
from tests.browser.test_form_browser import (
    api,
    fast_fill,
    next_household,
    open_form,
    tap,
    to_summary,
    wait_until,
)

pytestmark = pytest.mark.browser
SURVEYOR = '[name="/survey/surveyor"]'
# An old browser: no Web Locks and no BroadcastChannel, so only IndexedDB stands guard.
OLD_BROWSER = """
Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });
delete window.BroadcastChannel;
"""
STRAY_INPUT = """(selector) => {
  const field = document.querySelector(selector);
  field.value = '不该写入';
  field.dispatchEvent(new Event('input', {bubbles: true}));
}"""
RECORDS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('minsheng', 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const all = open.result.transaction('answers').objectStore('answers').getAll();
    all.onsuccess = () => { open.result.close(); resolve(all.result); };
  };
})"""


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Any]:
    context = new_phone(browser, server)
    yield context
    context.close()


def script_errors(page: Any) -> list[str]:
    """Console errors other than the requests the browser could not make offline."""
    return [e for e in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in e]


def records(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(RECORDS)


def rows_of_group(server: str, group: str) -> list[dict[str, Any]]:
    items = api(server, "/api/forms/household/submissions?limit=500")["items"]
    return [s for s in items if s["answers"]["household"].get("group") == group]


def type_page_one(page: Any) -> None:
    page.fill(SURVEYOR, "先开的")
    page.check('[name="/survey/filled_by"][value="cadre"]')
    wait_until(page, f"({RECORDS})().then((rs) => rs.some((r) => r.status === 'draft'))")


def household_of(household: dict[str, Any], group: str) -> dict[str, Any]:
    answers = copy.deepcopy(household)
    answers["household"]["group"] = group
    return answers


def fill_and_send(page: Any, answers: dict[str, Any], outcome: str) -> None:
    fast_fill(page, answers)
    to_summary(page)
    tap(page, "#send")
    wait_until(page, f"document.querySelectorAll('#records li.{outcome}').length === 1")


def test_second_tab_cannot_overwrite_an_answer_queued_offline_in_the_first(
    phone, server, household
) -> None:
    one = new_tab(phone)
    open_form(one)
    type_page_one(one)
    two = new_tab(phone)
    open_form(two)
    # The second tab does not edit the same draft blindly: it says who holds it.
    assert two.is_visible("#held") and two.is_visible("#take") and two.is_visible("#held .fresh")
    assert two.is_hidden("#page-0")
    shot(two, "two-tabs-held")

    phone.set_offline(True)
    answers = household_of(household, "两窗口甲")
    fill_and_send(one, answers, "waiting")
    # The second tab hears of it and shows the queued answer, read-only.
    wait_until(two, "document.getElementById('held').hidden")
    assert two.is_visible("#summary") and two.is_hidden("#page-0")
    assert "待发送" in two.inner_text("#state")
    # One character typed in the second tab goes to a survey of its own (the household picked
    # again on 我的联系户, from the offline cache).
    next_household(two)
    two.fill(SURVEYOR, "")
    two.type(SURVEYOR, "王")
    typed = "rs.some((r) => r.answers.survey.surveyor === '王')"
    wait_until(two, f"({RECORDS})().then((rs) => {typed})")
    stored = {r["status"]: r for r in records(two)}
    assert set(stored) == {"waiting", "draft"}
    assert stored["waiting"]["answers"]["household"]["group"] == "两窗口甲"
    assert stored["draft"]["answers"]["survey"]["surveyor"] == "王"

    phone.set_offline(False)
    wait_until(one, f"({RECORDS})().then((rs) => rs.some((r) => r.status === 'sent'))", 20)
    rows = rows_of_group(server, "两窗口甲")
    assert len(rows) == 1 and rows[0]["id"] == stored["waiting"]["id"]
    assert rows[0]["answers"]["survey"]["surveyor"] == answers["survey"]["surveyor"]
    assert {r["status"] for r in records(one)} == {"sent", "draft"}
    assert script_errors(one) == [] and script_errors(two) == []


def test_without_web_locks_a_stale_tab_is_refused_by_the_store(phone, server, household) -> None:
    one = new_tab(phone)
    open_form(one)
    type_page_one(one)
    two = new_tab(phone)
    two.add_init_script(OLD_BROWSER)
    open_form(two)
    assert two.is_visible("#page-0")  # nothing tells it another tab has this draft
    assert two.input_value(SURVEYOR) == "先开的"

    phone.set_offline(True)
    fill_and_send(one, household_of(household, "两窗口乙"), "waiting")
    two.type(SURVEYOR, "X")  # the stale draft, one character longer
    wait_until(two, "document.getElementById('page-0').hidden")
    assert "另一个窗口" in two.inner_text("#notice")
    queued = [r for r in records(one) if r["status"] == "waiting"]
    assert len(queued) == 1 and queued[0]["answers"]["household"]["group"] == "两窗口乙"
    assert not [r for r in records(one) if r["status"] == "draft" and r["id"] == queued[0]["id"]]
    shot(two, "two-tabs-refused")

    phone.set_offline(False)
    wait_until(one, f"({RECORDS})().then((rs) => rs.some((r) => r.status === 'sent'))", 20)
    rows = rows_of_group(server, "两窗口乙")
    assert len(rows) == 1 and rows[0]["id"] == queued[0]["id"]
    assert script_errors(one) == [] and script_errors(two) == []


def test_taking_a_draft_over_stops_the_other_tab_writing(phone, server, household) -> None:
    one = new_tab(phone)
    open_form(one)
    type_page_one(one)
    two = new_tab(phone)
    open_form(two)
    tap(two, "#take")
    two.wait_for_selector("#page-0:not([hidden])")
    assert two.input_value(SURVEYOR) == "先开的"
    # The first tab is told at once and can no longer type into the draft.
    wait_until(one, "!document.getElementById('held').hidden")
    assert one.is_hidden("#form") and one.is_visible("#take")
    shot(one, "two-tabs-taken-over")
    one.evaluate(STRAY_INPUT, SURVEYOR)  # whatever still reaches the hidden form
    two.fill(SURVEYOR, "后接手的")
    wait_until(two, f"({RECORDS})().then((rs) => rs[0].answers.survey.surveyor === '后接手的')")
    one.wait_for_timeout(300)  # a write the stray input would cause is done by now
    assert [r["answers"]["survey"]["surveyor"] for r in records(one)] == ["后接手的"]

    fill_and_send(two, household_of(household, "两窗口丙"), "sent")
    rows = rows_of_group(server, "两窗口丙")
    assert len(rows) == 1
    assert [r["status"] for r in records(one)] == ["sent"]
    assert script_errors(one) == [] and script_errors(two) == []
