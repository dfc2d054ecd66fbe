"""A household's own link, end to end at 360x640: made by its cadre (with its QR code),
opened by the household to fill its own form, with JavaScript and without, and revoked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import new_phone, new_tab, shot
from tests.browser.test_form_browser import CALM, api, fast_fill, tap, to_summary, wait_until
from tests.browser.test_no_javascript import fill

pytestmark = pytest.mark.browser


@pytest.fixture
def cadre(browser: Any, server: str) -> Iterator[Any]:
    context = new_phone(browser, server)
    yield new_tab(context)
    context.close()


def make_link(page: Any, household_id: str) -> str:
    page.goto(f"/households/{household_id}?lang=zh")
    page.click("#links button[type=submit]")
    page.wait_for_selector("#made svg")
    return str(page.input_value("#link-url"))


def rows_of_group(server: str, group: str) -> list[dict[str, Any]]:
    items = api(server, "/api/forms/household/submissions?limit=500")["items"]
    return [s for s in items if s["answers"]["household"].get("group") == group]


def test_a_household_fills_its_own_form_through_its_link(cadre, browser, server, world) -> None:
    a1 = world.households["A1"]
    url = make_link(cadre, a1)
    assert url.startswith(server + "/h/h_")
    cadre.eval_on_selector("#made", "e => e.scrollIntoView()")
    shot(cadre, "household-link-made")

    home = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    try:
        page = new_tab(home)
        page.goto(url)  # as scanning the code does
        page.wait_for_selector(CALM)
        assert "household=" not in page.url  # the link says which household, not the address
        page.evaluate(
            "document.querySelectorAll('section.page').forEach((p, i) => p.hidden = i !== 1)"
        )
        village = '[name="/household/village_code"]'
        assert page.input_value(village) == world.answers["A1"]["household"]["village_code"]
        assert page.get_attribute(village, "readonly") is not None
        # A link reads nothing known of the household: no names, no ID numbers.
        assert page.input_value('[name="/household/head_name"]') == ""
        answers = world.answer("A1")
        answers["household"]["group"] = "自己填的组"
        fast_fill(page, answers)
        to_summary(page)
        tap(page, "#send")
        wait_until(page, "document.querySelectorAll('#records li.sent').length === 1", 20)
        assert page.inner_text("#state .fresh") == "再填写一份"
        shot(page, "household-link-sent")
        assert page.console_errors == []
    finally:
        home.close()
    rows = rows_of_group(server, "自己填的组")
    assert len(rows) == 1 and rows[0]["household_id"] == a1
    assert rows[0]["submitted_by"].startswith("link:")


def test_a_household_without_javascript_fills_its_form_and_a_revoked_link_stops(
    cadre, browser, server, world
) -> None:
    a2 = world.households["A2"]
    url = make_link(cadre, a2)
    plain = browser.new_context(
        viewport={"width": 360, "height": 640}, locale="zh-CN", java_script_enabled=False
    )
    try:
        page = plain.new_page()
        page.goto(url)
        assert page.locator("#form").count() == 1
        answers = world.answer("A2")
        answers["household"]["group"] = "无脚本自填"
        fill(page, answers)
        shot(page, "household-link-no-js")
        page.click("#send")
        assert "/f/household/done/" in page.url, page.inner_text("main")[:500]
        assert page.locator("a.button", has_text="再填写一份").count() == 1
        shot(page, "household-link-no-js-done")
        rows = rows_of_group(server, "无脚本自填")
        assert len(rows) == 1 and rows[0]["household_id"] == a2

        # Revoked on the cadre's phone: the link opens nothing any more.
        cadre.goto(f"/households/{a2}?lang=zh")
        cadre.click("#links .link-list button[type=submit]")
        cadre.wait_for_selector("text=链接已收回")
        shot(cadre, "household-link-revoked")
        response = page.goto(url)
        assert response is not None and response.status == 404
        assert "已被收回" in page.inner_text("main")
    finally:
        plain.close()
