"""A phone with JavaScript off: the plain form, its errors from the server, and Back."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import log_in, shot
from tests.browser.test_form_browser import FORM, api
from tests.conftest import form_pairs

pytestmark = pytest.mark.browser


@pytest.fixture
def plain(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        base_url=server,
        locale="zh-CN",
        java_script_enabled=False,
    )
    log_in(context)
    yield context.new_page()
    context.close()


def fill(page: Any, answers: dict[str, Any]) -> None:
    for name, value in form_pairs(answers):
        field = page.locator(f'[name="{name}"]:not([type=hidden])')
        if value == "" or not field.count():
            continue
        kind = field.first.get_attribute("type") or field.first.evaluate("e => e.tagName")
        if kind in ("radio", "checkbox"):
            page.check(f'[name="{name}"][value="{value}"]')
        elif kind == "SELECT":
            page.select_option(f'[name="{name}"]', value)
        else:
            field.first.fill(value)


def test_without_javascript_errors_come_from_the_server_and_back_returns_to_the_form(
    plain, server, household
) -> None:
    answers = copy.deepcopy(household)
    answers["members"] = answers["members"][:1]
    answers["members"][0]["relation"] = "head"
    answers.pop("needs", None)
    answers["household"]["group"] = "无脚本组"
    plain.goto(FORM)
    fill(plain, {k: v for k, v in answers.items() if k != "survey"})
    plain.click("#send")  # no surveyor: no browser bubble, the server's own words
    assert plain.url.endswith("/f/household/v/1?lang=zh")
    errors = plain.locator("#form-errors a")
    assert "调查人：此项必填" in errors.all_inner_texts()
    shot(plain, "no-js-errors")
    errors.filter(has_text="调查人").click()
    assert plain.url.endswith("#f/survey/surveyor")
    fill(plain, {"survey": answers["survey"]})
    plain.click("#send")
    assert "/f/household/done/" in plain.url
    assert "已提交" in plain.inner_text("main")
    shot(plain, "no-js-done")
    stored = api(server, "/api/forms/household/submissions?limit=500")["items"]
    mine = [s for s in stored if s["answers"]["household"].get("group") == "无脚本组"]
    assert len(mine) == 1 and mine[0]["id"] in plain.inner_text("main")
    plain.go_back()  # the form page again (the POST is not replayed, nor a cache miss)
    assert plain.locator("#form").count() == 1
    plain.reload()
    stored = api(server, "/api/forms/household/submissions?limit=500")["items"]
    assert len([s for s in stored if s["answers"]["household"].get("group") == "无脚本组"]) == 1
