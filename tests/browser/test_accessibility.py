"""Big enough to tap with a thumb, borders one can see, errors a screen reader can find."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_form_browser import fast_fill, open_form, tap, to_summary, wait_until

pytestmark = pytest.mark.browser
# Every visible tap target: its size, and any other it touches (fixed bars aside, since the
# page scrolls under them); every text field whose border has under 3:1 contrast.
TARGETS = (
    "button, a[href], select, textarea, .opts label,"
    " input:not([type=hidden]):not([type=radio]):not([type=checkbox])"
)
AUDIT = """(selector) => {
  const targets = [...document.querySelectorAll(selector)]
    .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden');
  const name = (e) => (e.id ? '#' + e.id : '') + e.tagName + ' '
    + (e.textContent || e.name || '').trim().slice(0, 20);
  const small = targets.map((e) => [e, e.getBoundingClientRect()])
    .filter(([, r]) => r.height < 44 || r.width < 44)
    .map(([e, r]) => `${name(e)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  const flowing = targets.filter((e) => !e.closest('.actions, .undo, .top'));
  const touching = [];
  for (let i = 0; i < flowing.length; i++) for (let j = i + 1; j < flowing.length; j++) {
    const a = flowing[i].getBoundingClientRect(), b = flowing[j].getBoundingClientRect();
    if (flowing[i].contains(flowing[j]) || flowing[j].contains(flowing[i])) continue;
    const gapX = Math.max(b.left - a.right, a.left - b.right);
    const gapY = Math.max(b.top - a.bottom, a.top - b.bottom);
    if (gapX < 2 && gapY < 2) touching.push(`${name(flowing[i])} / ${name(flowing[j])}`);
  }
  const lum = (c) => {
    const [r, g, b] = c.match(/[0-9.]+/g).slice(0, 3).map((v) => v / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const faint = targets.filter((e) => e.matches('input, select, textarea')).filter((e) => {
    const border = lum(getComputedStyle(e).borderTopColor), back = lum('rgb(255, 255, 255)');
    return (Math.max(border, back) + 0.05) / (Math.min(border, back) + 0.05) < 3;
  }).map(name);
  return { count: targets.length, small, touching, faint };
}"""


def audit(page: Any, where: str) -> None:
    page.wait_for_selector("html:not([data-busy])")
    found = page.evaluate(AUDIT, TARGETS)
    assert found["count"] > 0, where
    assert found["small"] == [], (where, found["small"])
    assert found["touching"] == [], (where, found["touching"])
    assert found["faint"] == [], (where, found["faint"])


def test_tap_targets_are_44px_apart_and_borders_3_to_1(page, household) -> None:
    open_form(page)
    fast_fill(page, household)
    for n in range(8):
        audit(page, f"page {n}")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        audit(page, f"page {n}, its end")
        if n < 7:
            tap(page, "#next")
    to_summary(page)
    audit(page, "review")
    tap(page, "#send")
    wait_until(page, "document.querySelector('#state').textContent.includes('已发送')")
    audit(page, "sent")
    tap(page, "#to-records")
    audit(page, "list")


def test_fields_with_errors_say_so_to_a_screen_reader(page) -> None:
    open_form(page)
    page.fill('[name="/survey/surveyor"]', "李")  # too short
    field = page.locator('[name="/survey/surveyor"]')
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "e/survey/surveyor"
    assert page.inner_text('[id="e/survey/surveyor"]') == "至少 2 个字"
    page.fill('[name="/survey/surveyor"]', "李明")
    assert field.get_attribute("aria-invalid") is None
    tap(page, "#next")
    tap(page, "#next")  # the household page is empty: its required choices are marked
    category = page.locator('[name="/household/category"]').first
    assert category.get_attribute("aria-invalid") == "true"
    assert category.get_attribute("aria-describedby") == "e/household/category"
