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
from tests.browser.conftest import BARE, log_in, new_tab, shot
from tests.conftest import form_pairs

pytestmark = pytest.mark.browser
READY = "html[data-ready=yes]"
# The page ignores taps for a moment after it changes (a double tap is not two taps).
CALM = "html[data-ready=yes]:not([data-busy])"
ONLY_MEMBERS = (
    "document.querySelectorAll('section.page').forEach(p => p.hidden = !p.id.endsWith('2'))"
)

FAST_FILL = """([pairs, counts]) => {
  const form = document.getElementById('form');
  for (const [path, n] of Object.entries(counts)) {
    const repeat = form.querySelector(`.repeat[data-path="${path}"]`);
    const items = repeat.querySelector('.items');
    while (items.children.length < n) repeat.querySelector('.add').click();
    while (items.children.length > n) items.lastElementChild.querySelector('.remove').click();
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
    """GET an API path as the admin (a token)."""
    request = urllib.request.Request(
        server + path, headers={"Authorization": "Bearer mst_test_admin"}
    )
    with urllib.request.urlopen(request) as response:
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


FORM = f"/f/household?household={BARE}"  # a household the roster says little of


def open_form(page: Any, path: str = FORM) -> None:
    page.goto(path)
    page.wait_for_selector(READY)


def fast_fill(page: Any, answers: dict[str, Any]) -> None:
    pairs = [(k, v) for k, v in form_pairs(answers) if v != ""]
    counts = {f"/{k}": len(answers[k]) for k in ("members", "needs") if k in answers}
    page.evaluate(FAST_FILL, [pairs, counts])


HOME_READY = "#mine-list"


def next_household(page: Any, household: str = BARE, button: str = "#state .fresh") -> None:
    """下一户: back to 我的联系户 (from the offline cache, offline), then a household's line,
    whose new survey opens (its roster entry and last answer filled in)."""
    page.wait_for_selector(CALM)
    page.click(button)
    page.wait_for_url("**/?lang=*")
    page.wait_for_selector("html[data-ready=yes] " + HOME_READY)
    page.click(f'#mine-list li[data-id="{household}"] .go')
    page.wait_for_url(f"**household={household}**")
    page.wait_for_selector(CALM)


def tap(page: Any, selector: str) -> None:
    """A person's tap: once the page is calm, and what it changes has settled after it."""
    page.wait_for_selector(CALM)
    page.click(selector)
    page.wait_for_selector(CALM)


def to_summary(page: Any) -> None:
    for _ in range(8):
        if page.is_hidden("#next"):
            break
        tap(page, "#next")
    assert page.is_visible("#summary"), page.inner_text("main")[:2000]


REVEAL = """(name) => {
  const item = document.querySelector(`[name="${name}"]`).closest('.item.folded');
  if (item) item.querySelector('.fold').click();
}"""


def reveal(page: Any, name: str) -> None:
    """Unfold the repeat item holding field `name`, as a person taps its line."""
    page.evaluate(REVEAL, name)


def test_fill_household_with_3_members_and_2_needs_and_send(page, server, household_3_2) -> None:
    open_form(page)
    before = stored_count(server)
    answers = household_3_2
    for section in answers:
        repeat = page.locator(f'.repeat[data-path="/{section}"]')
        if repeat.count():
            for _ in range(len(answers[section]) - repeat.locator(".items > .item").count()):
                repeat.locator(".add").click()
        pairs = [(k, v) for k, v in form_pairs({section: answers[section]}) if v != ""]
        for name, value in pairs:
            field = page.locator(f'[name="{name}"]:not([type=hidden]):not([readonly])').first
            if not field.count():  # hidden, or read-only: the village, from the roster
                continue
            reveal(page, name)
            kind = field.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
            if kind == "select":
                field.select_option(value)
            elif kind in ("radio", "checkbox"):
                page.check(f'[name="{name}"][value="{value}"]')
            else:
                field.fill(value)
        if section == "members":  # a question that appears and vanishes leaves no answer
            health = answers["members"][0]["health"]
            reveal(page, "/members/0/health")
            if health == "healthy":
                page.check('[name="/members/0/health"][value="chronic"]')
                page.fill('[name="/members/0/disease"]', "高血压")
                page.check('[name="/members/0/health"][value="healthy"]')
            shot(page, "members-filled")
        tap(page, "#next")
        assert not page.locator(
            "section.page:not([hidden]) .err:not([hidden])"
        ).count() or page.is_visible("#summary")
    assert page.is_visible("#summary")
    shot(page, "summary")
    tap(page, "#send")
    page.wait_for_selector("#state:not([hidden])")  # at once: sending
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1")
    assert stored_count(server) == before + 1
    stored = api(server, "/api/forms/household/submissions?limit=500")["items"][-1]["answers"]
    assert stored["members"] == answers["members"] and stored["needs"] == answers["needs"]
    assert page.console_errors == []


def test_conditional_questions_appear_and_vanish(page) -> None:
    open_form(page)
    tap(page, "#next")  # household
    tap(page, "#next")  # shows the errors of page 1 and stays
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


def only_page(page: Any, n: int) -> None:
    page.evaluate(
        "(n) => document.querySelectorAll('section.page').forEach((p, i) => p.hidden = i !== n)",
        n,
    )


def center(page: Any, selector: str) -> None:
    """Scroll so `selector` sits mid-screen, above the fixed buttons, for a screenshot."""
    page.eval_on_selector(selector, "e => e.scrollIntoView({block: 'center'})")


def required(page: Any, selector: str) -> list[bool]:
    return page.eval_on_selector_all(selector, "els => els.map((e) => e.required)")


def sent_names(page: Any) -> list[str]:
    return page.evaluate("[...new FormData(document.getElementById('form')).keys()]")


def test_conditional_questions_are_required_only_while_shown(page) -> None:
    open_form(page)
    only_page(page, 2)
    disease = '[name="/members/0/disease"]'
    disease_mark = '[data-path="/members/0/disease"] .req'
    assert page.is_hidden(disease) and required(page, disease) == [False]
    page.check('[name="/members/0/health"][value="chronic"]')
    assert page.is_visible(disease) and page.is_visible(disease_mark)
    assert required(page, disease) == [True]
    page.fill(disease, "高血压")
    center(page, '[data-path="/members/0/disease"]')
    shot(page, "conditional-required")
    page.check('[name="/members/0/health"][value="disabled"]')
    assert page.is_hidden(disease) and required(page, disease) == [False]
    assert "/members/0/disease" not in sent_names(page)
    grade = '[name="/members/0/disability_grade"]'
    assert set(required(page, grade)) == {True}
    page.check('[name="/members/0/health"][value="healthy"]')
    assert set(required(page, grade)) == {False}

    only_page(page, 5)
    structure, dilapidation = (
        '[data-path="/living/structure"]',
        '[data-path="/living/dilapidation"]',
    )
    structure_hidden = "document.querySelector('[data-path=\"/living/structure\"]').hidden"
    page.fill('[name="/living/floor_area"]', "80")
    wait_until(page, "!" + structure_hidden)
    assert page.is_visible(dilapidation)
    page.check('[name="/living/structure"][value="adobe"]')
    page.fill('[name="/living/floor_area"]', "0")
    wait_until(page, structure_hidden)
    assert page.is_hidden(structure) and page.is_hidden(dilapidation)
    assert "/living/structure" not in sent_names(page)


def test_main_cause_is_required_only_for_a_poor_household(page) -> None:
    open_form(page)
    only_page(page, 1)
    main_cause, mark = '[name="/causes/main_cause"]', '[data-path="/causes/main_cause"] .req'
    page.check('[name="/household/category"][value="non_poor"]')
    assert required(page, main_cause) == [False] and page.locator(mark).is_hidden()
    page.check('[name="/household/category"][value="dibao_poor"]')
    assert required(page, main_cause) == [True]
    only_page(page, 6)
    assert page.is_visible(mark)
    center(page, '[data-path="/causes/main_cause"]')
    shot(page, "main-cause-required")
    page.evaluate("document.getElementById('page-1').hidden = false")
    page.check('[name="/household/category"][value="non_poor"]')
    assert required(page, main_cause) == [False] and page.locator(mark).is_hidden()


def test_invalid_id_number_shows_its_error_at_the_field(page) -> None:
    open_form(page)
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


def visible_error(page: Any, path: str) -> str:
    """The error shown at `path`, once the page has settled after the last change."""
    selector = f'[id="e{path}"]'
    wait_until(page, f"!document.querySelector('{selector}').hidden")
    return page.inner_text(selector)


def test_form_rules_are_shown_live_at_their_fields(page, household) -> None:
    open_form(page)
    only_page(page, 2)
    idn = household["members"][0]["id_number"]
    page.fill('[name="/members/0/name"]', "赵雪莲")
    page.fill('[name="/members/0/id_number"]', idn)
    page.check('[name="/members/0/health"][value="healthy"]')
    page.click('.repeat[data-path="/members"] > .add')
    page.fill('[name="/members/1/id_number"]', idn)
    assert "与第 1 位成员重复" in visible_error(page, "/members/1/id_number")
    assert page.is_hidden('[id="e/members"]')  # no head yet: said when the page is left
    shot(page, "rule-duplicate-id")

    only_page(page, 3)
    for name in ("wages", "business_income", "business_expense", "property_income"):
        page.fill(f'[name="/income/{name}"]', "0")
    for name in ("dibao", "pension", "eco_compensation", "other"):
        page.fill(f'[name="/income/transfers/{name}"]', "0")
    assert "人均纯收入 0 元不在" in visible_error(page, "/income")
    center(page, '[id="e/income"]')
    shot(page, "rule-per-capita")
    page.fill('[name="/income/wages"]', "9000")
    wait_until(page, "document.querySelector('[id=\"e/income\"]').hidden")

    only_page(page, 4)
    page.fill('[name="/production/irrigated_land"]', "5")
    page.fill('[name="/production/cultivated_land"]', "1.5")
    assert visible_error(page, "/production/irrigated_land") == (
        "有效灌溉面积 5 亩超过耕地面积 1.5 亩"
    )
    shot(page, "rule-irrigated-land")
    page.fill('[name="/production/cultivated_land"]', "6")
    wait_until(page, "document.querySelector('[id=\"e/production/irrigated_land\"]').hidden")

    only_page(page, 6)
    page.select_option('[name="/causes/main_cause"]', "illness")
    assert "没有成员的健康状况为长期慢性病" in visible_error(page, "/causes/main_cause")
    page.check('[name="/causes/other_causes"][value="illness"]')
    assert visible_error(page, "/causes/other_causes") == "其他致贫原因不能包含主要致贫原因“因病”"
    center(page, '[id="e/causes/other_causes"]')
    shot(page, "rule-causes")
    page.select_option('[name="/causes/main_cause"]', "capital")
    wait_until(page, "document.querySelector('[id=\"e/causes/main_cause\"]').hidden")
    assert page.is_hidden('[id="e/causes/other_causes"]')
    assert page.console_errors == []


def test_server_422_is_shown_at_its_field(browser, server, household) -> None:
    # A phone whose script checks no rules of the schema (say, an older one): the server,
    # still the judge, returns 422 and the phone shows it at the field.
    def older_script(route: Any) -> None:
        response = route.fetch()
        rules = "node['x-rules'] || []"
        assert rules in response.text()
        route.fulfill(response=response, body=response.text().replace(rules, "[]"))

    # The service worker would fetch logic.js from its own cache, out of the route's sight.
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        base_url=server,
        locale="zh-CN",
        service_workers="block",
    )
    log_in(context)
    page = new_tab(context)
    page.route("**/static/logic.js*", older_script)
    open_form(page)
    answers = copy.deepcopy(household)
    answers["production"] = {"cultivated_land": 1, "irrigated_land": 5}
    fast_fill(page, answers)
    to_summary(page)
    tap(page, "#send")
    error = page.locator('[id="e/production/irrigated_land"]')
    error.wait_for(state="visible")
    assert "超过耕地面积" in error.inner_text()
    assert page.locator('[data-path="/production"]').is_visible()
    shot(page, "server-422")
    context.close()


def test_offline_answers_wait_survive_a_reload_and_arrive_once(
    page, server, household, world
) -> None:
    """A day without signal: 我的联系户 and each household's form open offline, three answers
    wait through a reload, and each arrives once, filed under its own household."""
    open_form(page)
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "caches.has('ms-pages-1')")
    page.goto("/")  # in town: 我的联系户 once, which keeps what is known of each household
    page.wait_for_selector("html[data-ready=yes] #mine-list")
    open_form(page)
    before = stored_count(server)
    page.context.set_offline(True)
    day = [
        (BARE, household),
        (world.households["A1"], world.answer("A1")),
        (world.households["A2"], world.answer("A2")),
    ]
    for n, (household_id, answers) in enumerate(day):
        if n:
            next_household(page, household_id)
        answers["household"]["group"] = f"{n + 1}组"
        fast_fill(page, answers)
        to_summary(page)
        tap(page, "#send")
        wait_until(page, f"document.querySelectorAll('#records li.waiting').length === {n + 1}")
    page.reload()
    page.wait_for_selector(READY)
    assert page.locator("#records li.waiting").count() == 3
    tap(page, "#to-records")
    shot(page, "offline-waiting")
    assert stored_count(server) == before
    page.context.set_offline(False)
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 3", timeout=20)
    assert stored_count(server) == before + 3
    page.evaluate("document.getElementById('send-now').click()")  # sending again adds nothing
    page.wait_for_timeout(300)
    assert stored_count(server) == before + 3
    items = api(server, "/api/forms/household/submissions?limit=500")["items"][-3:]
    filed = {s["answers"]["household"]["group"]: s["household_id"] for s in items}
    assert filed == {f"{n + 1}组": household_id for n, (household_id, _) in enumerate(day)}
    shot(page, "online-sent")


def test_english_page(page) -> None:
    open_form(page, FORM + "&lang=en")
    assert page.locator("section.page h2").first.inner_text() == "Survey"
    shot(page, "english")
