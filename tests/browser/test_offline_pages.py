"""With no network, the front page and the form open, in the language asked for."""

from __future__ import annotations

import pytest

from tests.browser.conftest import BARE, shot
from tests.browser.test_form_browser import FORM, READY, open_form, wait_until

pytestmark = pytest.mark.browser
KEPT = "caches.open('ms-pages-1').then((c) => c.keys()).then((k) => k.length)"


def test_front_page_and_english_form_open_offline(page) -> None:
    open_form(page)  # the first visit installs the service worker
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, f"{KEPT}.then((n) => n === 1)")
    open_form(page)  # a later visit keeps the front page and the other language too
    wait_until(page, f"{KEPT}.then((n) => n === 3)")
    page.context.set_offline(True)

    page.goto(FORM + "&lang=en")
    page.wait_for_selector(READY)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("section.page h2").first.inner_text() == "Survey"
    shot(page, "offline-english")
    page.goto(FORM + "&lang=zh")
    page.wait_for_selector(READY)
    assert page.locator("section.page h2").first.inner_text() == "调查信息"
    page.goto("/")  # 我的联系户, as kept
    page.wait_for_selector("html[data-ready=yes]")
    assert page.locator(f'#mine-list li[data-id="{BARE}"]').count() == 1
    assert page.is_visible("#stale")  # no network: the list as kept, and when
    shot(page, "offline-front-page")
    assert all("ERR_INTERNET_DISCONNECTED" in e for e in page.console_errors), page.console_errors


def test_english_page_uses_english_units_and_punctuation(page) -> None:
    open_form(page, FORM + "&lang=en")
    page.evaluate("document.querySelectorAll('section.page').forEach((p, i) => p.hidden = i !== 3)")
    units = page.eval_on_selector_all(
        '[data-path^="/income"] .unit', "els => els.map(e => e.textContent)"
    )
    assert units and set(units) == {"yuan"}
    page.evaluate("document.querySelectorAll('section.page').forEach((p, i) => p.hidden = i !== 0)")
    page.click("#next")  # nothing typed: the surveyor and who filled in are missing
    page.wait_for_selector("#form-errors a")  # once the form's rules (logic.js) are in
    links = page.eval_on_selector_all("#form-errors a", "els => els.map(e => e.textContent)")
    assert "Surveyor: This field is required" in links
    assert not any("：" in text or "；" in text for text in links)
    assert page.inner_text("#form-errors p") == (
        f"{len(links)} answers on this page need fixing:"
        if len(links) > 1
        else "1 answer on this page needs fixing:"
    )
