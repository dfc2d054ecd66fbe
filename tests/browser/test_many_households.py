"""Ten households a day on one phone: a list of them, each kept where it was left."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.settings import Settings
from tests.browser.conftest import BARE, shot
from tests.browser.test_form_browser import (
    CALM,
    READY,
    fast_fill,
    next_household,
    open_form,
    tap,
    to_summary,
    wait_until,
)

pytestmark = pytest.mark.browser
HEAD = '[name="/household/head_name"]'


def today() -> str:
    """Today where the surveys are made (MINSHENG_TZ), as the server and its phones read it."""
    return Settings.from_env().today().isoformat()


def shown_page(page: Any) -> int:
    return int(
        page.evaluate("[...document.querySelectorAll('section.page')].findIndex((p) => !p.hidden)")
    )


def first_two_pages(household: dict[str, Any], head: str) -> dict[str, Any]:
    answers = {k: copy.deepcopy(household[k]) for k in ("survey", "household")}
    answers["household"]["head_name"] = head
    return answers


def test_list_resumes_discards_and_shows_a_sent_answer_read_only(page, household, world) -> None:
    open_form(page)
    fast_fill(page, first_two_pages(household, "张甲"))
    tap(page, "#next")
    tap(page, "#to-records")
    # Named by its village as the roster has it.
    wait_until(page, "document.querySelector('#records li.draft').textContent.includes('石家窑村')")
    assert "张甲" in page.inner_text("#records li.draft")

    # The next household is picked on 我的联系户: who surveys and their unit carry over, the
    # date is today, and its roster entry says where it lives and who heads it.
    a2 = world.households["A2"]
    next_household(page, a2, "#records .fresh")
    assert shown_page(page) == 0
    assert page.input_value('[name="/survey/surveyor"]') == household["survey"]["surveyor"]
    assert (
        page.input_value('[name="/survey/surveyor_unit"]') == household["survey"]["surveyor_unit"]
    )
    assert page.input_value('[name="/survey/date"]') == today()
    a2_answers = world.answers["A2"]["household"]
    assert page.input_value('[name="/household/village_code"]') == a2_answers["village_code"]
    assert page.get_attribute('[name="/household/village_code"]', "readonly") is not None
    assert page.input_value(HEAD) == a2_answers["head_name"]
    tap(page, "#next")
    page.fill(HEAD, "李乙")
    tap(page, "#to-records")
    wait_until(page, "document.querySelectorAll('#records li.draft').length === 2")
    shot(page, "records-two-drafts")

    # Deleting a draft asks first.
    li = '#records li.draft:has-text("李乙")'
    page.once("dialog", lambda d: d.dismiss())
    tap(page, f"{li} .discard")
    assert page.locator("#records li.draft").count() == 2
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    tap(page, f"{li} .discard")
    wait_until(page, "document.querySelectorAll('#records li.draft').length === 1")
    assert "李乙" in asked[0]

    # Resumed where it was left: the household page, as typed, on its own household's page.
    page.wait_for_selector(CALM)
    page.click("#records li.draft .resume")
    page.wait_for_url(f"**household={BARE}**")
    page.wait_for_selector(CALM)
    assert shown_page(page) == 1 and page.input_value(HEAD) == "张甲"
    fast_fill(page, {**household, "household": {**household["household"], "head_name": "张甲"}})
    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelector('#state').textContent.includes('已发送')")
    tap(page, "#to-records")
    tap(page, "#records li.sent .look")
    assert page.is_visible("#summary") and "张甲" in page.inner_text("#summary")
    assert page.is_hidden("#send") and page.locator(HEAD).is_disabled()
    assert page.is_visible("#state .correct")
    assert page.console_errors == []


def test_reload_and_back_keep_the_page(page, household) -> None:
    open_form(page)
    fast_fill(page, household)
    for _ in range(3):
        tap(page, "#next")
    assert shown_page(page) == 3
    page.reload()
    page.wait_for_selector(READY)
    assert shown_page(page) == 3
    assert page.input_value('[name="/income/wages"]') == str(household["income"]["wages"])
    page.go_back()  # Android's Back: a page back, not out of the form
    page.wait_for_selector("#page-2:not([hidden])")
    page.go_back()
    page.wait_for_selector("#page-1:not([hidden])")
    page.go_forward()
    page.wait_for_selector("#page-2:not([hidden])")
    tap(page, "#back")  # 上一页 is a step back in history too, so Forward returns
    page.wait_for_selector("#page-1:not([hidden])")
    page.go_forward()
    page.wait_for_selector("#page-2:not([hidden])")

    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelector('#state').textContent.includes('已发送')")
    sent = page.evaluate("location.hash")
    next_household(page)
    page.fill('[name="/survey/surveyor"]', "下一户的人")
    page.go_back()  # from the next survey: 我的联系户, then the answer just sent
    page.wait_for_url("**/?lang=*")
    page.go_back()
    page.wait_for_selector("#state:not([hidden])")
    assert page.evaluate("location.hash") == sent and "已发送" in page.inner_text("#state")
    page.go_forward()
    page.go_forward()
    page.wait_for_selector("#page-0:not([hidden])")
    assert page.input_value('[name="/survey/surveyor"]') == "下一户的人"
    assert page.console_errors == []
