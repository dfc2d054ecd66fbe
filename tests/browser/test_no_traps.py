"""No traps for a hurried thumb: double taps, long member lists, odd numbers, ID numbers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from forms.rules import id_number_check_digit
from tests.browser.conftest import shot
from tests.browser.test_form_browser import (
    ONLY_MEMBERS,
    fast_fill,
    only_page,
    open_form,
    stored_count,
    tap,
    wait_until,
)

pytestmark = pytest.mark.browser
POSTS = "**/api/forms/household/submissions*"
IDENTITY = ("id_number", "sex", "birth_date")
TAPPABLE = "button, a, label, input, select, textarea, summary"
UNDER = """([x, y, tappable]) => {
  const el = document.elementFromPoint(x, y);
  return el && el.closest(tappable) ? el.closest(tappable).outerHTML.slice(0, 80) : null;
}"""
DRAFT = """() => new Promise((resolve) => {
  const open = indexedDB.open('minsheng', 1);
  open.onsuccess = () => {
    const all = open.result.transaction('answers').objectStore('answers').getAll();
    all.onsuccess = () => {
      open.result.close();
      resolve(all.result.find((r) => r.status === 'draft'));
    };
  };
})"""


def center(page: Any, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def count_posts(page: Any) -> list[str]:
    posts: list[str] = []

    def note(route: Any) -> None:
        if route.request.method == "POST":
            posts.append(route.request.url)
        route.continue_()

    page.route(POSTS, note)
    return posts


def test_double_taps_never_skip_the_review_or_the_confirmation(page, server, household) -> None:
    posts = count_posts(page)
    open_form(page)
    fast_fill(page, household)
    for _ in range(7):
        tap(page, "#next")
    assert page.is_visible("#page-7")
    x, y = center(page, "#next")
    page.mouse.dblclick(x, y)  # on the last page: the review, never a send
    page.wait_for_selector("#summary:not([hidden])")
    assert page.is_visible("#send") and posts == []
    assert page.evaluate(UNDER, [x, y, TAPPABLE]) is None  # nothing to tap where Next was
    shot(page, "double-tap-review")

    before = stored_count(server)
    page.wait_for_selector("html:not([data-busy])")
    page.locator("#send").scroll_into_view_if_needed()
    x, y = center(page, "#send")
    page.mouse.dblclick(x, y)
    wait_until(page, "document.querySelector('#state').textContent.includes('已发送')")
    page.wait_for_selector("html:not([data-busy])")
    # The confirmation stays on screen; the second tap started no new household.
    assert page.is_visible("#state") and page.is_hidden("#page-0")
    assert page.evaluate(UNDER, [x, y, TAPPABLE]) is None
    assert len(posts) == 1 and stored_count(server) == before + 1
    shot(page, "double-tap-sent")


def test_members_fold_to_one_line_and_a_removed_one_comes_back(page, household) -> None:
    open_form(page)
    answers = copy.deepcopy(household)
    names = ["成员一", "成员二", "成员三", "成员四", "成员五", "成员六"]
    first = {k: v for k, v in household["members"][0].items() if k not in IDENTITY}
    answers["members"] = [
        dict(copy.deepcopy(first), name=n, relation="head" if i == 0 else "child")
        for i, n in enumerate(names)
    ]
    fast_fill(page, {"members": answers["members"]})
    page.evaluate(ONLY_MEMBERS)
    items = ".repeat[data-path='/members'] .items > .item"
    assert page.locator(f"{items}.folded").count() == 5  # the one added last is open
    page.click(f"{items}:nth-child(6) .fold")
    assert page.locator(f"{items}.folded").count() == 6
    heights = page.eval_on_selector_all(items, "els => els.map((e) => e.offsetHeight)")
    assert max(heights) < 60, heights  # one line each
    lines = page.eval_on_selector_all(f"{items} .line", "els => els.map((e) => e.textContent)")
    assert [line.split(" · ")[0] for line in lines] == names
    assert page.eval_on_selector("#page-2", "e => e.offsetHeight") < 640  # was 27 screens
    shot(page, "members-folded")

    page.click(f"{items}:nth-child(3) .fold")  # open the third: the others stay folded
    assert page.locator(f"{items}:not(.folded)").count() == 1
    page.click(f"{items}:nth-child(3) .remove")
    assert page.locator(items).count() == 5
    assert "成员三" in page.inner_text(".undo") and page.is_visible(".undo button")
    wait_until(page, f"({DRAFT})().then((d) => d && d.answers.members.length === 5)")
    shot(page, "member-removed-undo")
    page.click(".undo button")
    assert page.locator(items).count() == 6
    assert page.input_value('[name="/members/2/name"]') == "成员三"
    wait_until(page, f"({DRAFT})().then((d) => d.answers.members[2].name === '成员三')")
    assert page.console_errors == []


def test_numbers_a_browser_cannot_read_are_errors_at_their_fields(page, household) -> None:
    open_form(page)
    fast_fill(page, household)
    for _ in range(3):
        tap(page, "#next")
    wages, business = '[name="/income/wages"]', '[name="/income/business_income"]'
    assert page.get_attribute(wages, "type") == "text"
    assert page.get_attribute(wages, "inputmode") == "decimal"
    page.fill(wages, "8500-")
    page.fill(business, "36..000")
    tap(page, "#next")  # the page does not pass
    assert page.is_visible("#page-3")
    assert page.inner_text('[id="e/income/wages"]') == "应为数字"
    assert page.inner_text('[id="e/income/business_income"]') == "应为数字"
    assert page.get_attribute(wages, "aria-invalid") == "true"
    assert page.get_attribute(wages, "aria-describedby") == "e/income/wages"
    links = page.eval_on_selector_all("#form-errors a", "els => els.map((e) => e.textContent)")
    assert links == ["工资性收入：应为数字", "生产经营性收入：应为数字"]
    # Kept as typed, never dropped or cut: what is saved is what is on screen.
    wait_until(page, f"({DRAFT})().then((d) => d.answers.income.wages === '8500-')")
    shot(page, "numbers-unreadable")
    page.fill(wages, "8500")
    assert page.is_hidden('[id="e/income/wages"]')
    assert page.get_attribute(wages, "aria-invalid") is None


def test_next_with_errors_lists_them_with_links_and_scrolls_to_the_first(page) -> None:
    open_form(page)
    page.fill('[name="/survey/surveyor"]', "李明")
    tap(page, "#next")
    assert page.input_value('[name="/household/village_code"]') == "620523102201"  # the roster's
    page.fill('[name="/household/head_name"]', "王芳")
    page.fill('[name="/household/phone"]', "123")
    tap(page, "#next")
    assert page.is_visible("#page-1") and page.is_visible("#form-errors")
    links = page.locator("#form-errors a")
    assert links.count() == 2
    assert links.nth(0).inner_text().startswith("联系电话：")
    phone = page.locator('[data-path="/household/phone"]').bounding_box()
    assert phone is not None and 0 <= phone["y"] < 640  # scrolled to the first error
    assert page.evaluate("window.scrollY") > 0
    page.evaluate("window.scrollTo(0, 0)")
    links.nth(1).click()  # the second error's link: its field, in view
    category = page.locator('[data-path="/household/category"]').bounding_box()
    assert category is not None and 0 <= category["y"] < 640
    assert page.evaluate("document.activeElement.name") == "/household/category"
    shot(page, "errors-listed")


def test_id_numbers_are_read_as_written_and_fill_sex_and_birth_date(page) -> None:
    open_form(page)
    only_page(page, 2)
    idn = '[name="/members/0/id_number"]'
    id17 = next(
        f"62052319900307{n:03d}"
        for n in range(1, 999, 2)  # odd 17th digit: male
        if id_number_check_digit(f"62052319900307{n:03d}") == "X"
    )
    assert page.get_attribute(idn, "inputmode") == "numeric"
    assert page.get_attribute(idn, "data-max") == "18"  # counted as tidied: see below
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in id17)
    page.fill(idn, f" {full_width[:6]} {full_width[6:]}x ")
    assert page.input_value(idn) == id17 + "X"
    assert page.input_value('[name="/members/0/birth_date"]') == "1990-03-07"
    assert page.is_checked('[name="/members/0/sex"][value="male"]')
    assert page.is_hidden('[id="e/members/0/id_number"]')
    shot(page, "id-number-filled")

    page.fill(idn, id17)  # on a number pad: the X key beside it
    page.click(".xkey")
    assert page.input_value(idn) == id17 + "X"
    page.type(idn, "7")  # an 18-character code takes no 19th
    assert page.input_value(idn) == id17 + "X"

    page.check('[name="/members/0/sex"][value="female"]')  # a person's choice stays
    other = next(
        f"62052319850611{n:03d}"
        for n in range(1, 999, 2)
        if id_number_check_digit(f"62052319850611{n:03d}") != "X"
    )
    page.fill(idn, other + id_number_check_digit(other))
    assert page.is_checked('[name="/members/0/sex"][value="female"]')
    assert page.input_value('[name="/members/0/birth_date"]') == "1985-06-11"

    wrong = "0" if id_number_check_digit(other) != "0" else "1"
    page.fill(idn, other + wrong)
    said = page.inner_text('[id="e/members/0/id_number"]')
    assert "校验位" in said and id_number_check_digit(other) not in said.replace("17", "")

    page.fill(idn, "")
    page.focus(idn)
    page.evaluate(
        """(digits) => {
          const data = new DataTransfer();
          data.setData('text/plain', digits);
          document.activeElement.dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        other + "123",
    )
    assert page.input_value(idn) == other + "123"  # pasted whole: too long is an error, not cut
    assert page.inner_text('[id="e/members/0/id_number"]') == "格式不正确"
