"""更正: an answer already sent is corrected from the phone, as a new revision naming it."""

from __future__ import annotations

import copy

import pytest

from tests.browser.conftest import shot
from tests.browser.test_form_browser import api, fast_fill, open_form, tap, to_summary, wait_until

pytestmark = pytest.mark.browser
GROUP = '[name="/household/group"]'
SENT = "document.querySelector('#state').textContent.includes('已发送')"


def test_a_sent_answer_is_corrected_as_a_new_revision_naming_it(page, server, household) -> None:
    open_form(page)
    answers = copy.deepcopy(household)
    answers["household"]["group"] = "更正前组"
    fast_fill(page, answers)
    to_summary(page)
    tap(page, "#send")
    wait_until(page, SENT)
    first = page.evaluate("location.hash.slice(1)")

    tap(page, "#state .correct")
    page.wait_for_selector("#page-0:not([hidden])")
    second = page.evaluate("location.hash.slice(1).split('/')[0]")
    assert second != first
    assert page.input_value(GROUP) == "更正前组"  # a copy of what was sent
    shot(page, "correction-opened")
    tap(page, "#next")
    page.fill(GROUP, "更正后组")
    to_summary(page)
    tap(page, "#send")
    wait_until(page, SENT)
    assert "更正" in page.inner_text("#state")
    shot(page, "correction-sent")

    new = api(server, f"/api/submissions/{second}")
    old = api(server, f"/api/submissions/{first}")
    assert new["corrects"] == first and old["corrected_by"] == second
    assert new["answers"]["household"]["group"] == "更正后组"
    assert old["answers"]["household"]["group"] == "更正前组"  # the server keeps both

    tap(page, "#to-records")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 2")
    tags = page.eval_on_selector_all("#records li .tag", "els => els.map((e) => e.textContent)")
    assert sorted(tags) == sorted(["更正 · 已发送", "已更正"])
    shot(page, "correction-list")
    tap(page, f'#records li[data-id="{first}"] .look')
    assert page.is_hidden("#state .correct")  # the corrected one is not corrected again
    assert "已被更正" in page.inner_text("#state")
    assert page.console_errors == []
