"""A form's own checks and computed values on a phone: the evaluator in real Chromium gives
json-logic-js's results (the corpus pytest holds the server to), and a form declaring x-rules
and x-calculate shows the computed value and the broken rule at its field before sending."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.browser.conftest import BARE, shot
from tests.browser.test_form_browser import wait_until
from tests.forms.test_logic import CORPUS
from tests.logic_form import FORM_ID, schema

pytestmark = pytest.mark.browser
READY = "html[data-ready=yes]"
CALM = "html[data-ready=yes]:not([data-busy])"

# Each case's result in the corpus's terms: NaN, infinities and undefined by name.
RUN_CORPUS = """async ([url, cases, today]) => {
  const logic = await import(url);
  const encode = (v) => {
    if (v === undefined) return { $js: 'undefined' };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $js: String(v) };
    if (Array.isArray(v)) return v.map(encode);
    return v;
  };
  return cases.map((c) => {
    try { return encode(logic.apply(c.rule, c.data, today)); }
    catch (e) { return { $js: 'throws' }; }
  });
}"""


def _logic_url(page: Any) -> str:
    """The versioned address of logic.js, as the service worker lists it."""
    text = page.request.get("/sw.js").text()
    return next(
        u for u in json.loads(text.split("const ASSETS = ")[1].split(";")[0]) if "/logic.js" in u
    )


def test_phone_evaluator_gives_the_same_results_as_json_logic_js(page, server) -> None:
    page.goto("/login")
    cases = CORPUS["cases"]
    got = page.evaluate(RUN_CORPUS, [_logic_url(page), cases, CORPUS["about"]["today"]])
    wrong = [
        (c["rule"], c["data"], c["result"], g)
        for c, g in zip(cases, got, strict=True)
        if json.dumps(g, ensure_ascii=False) != json.dumps(c["result"], ensure_ascii=False)
    ]
    assert wrong == []


def _publish(server: str) -> None:
    def call(method: str, path: str, body: dict[str, Any]) -> int:
        request = urllib.request.Request(
            f"{server}/api/forms/{FORM_ID}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": "Bearer mst_test_designer",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request) as response:
            return int(response.status)

    if call("PUT", "/draft", {"schema": schema()}) in (200, 201):
        try:
            call("POST", "/publish", {})
        except urllib.error.HTTPError as exc:  # published by an earlier run of this module
            assert exc.code == 409, exc.read()


def test_phone_shows_the_computed_value_and_the_broken_rule_at_its_field(page, server) -> None:
    _publish(server)
    page.goto(f"/f/{FORM_ID}?household={BARE}")
    page.wait_for_selector(CALM)
    page.fill('[name="/group/households"]', "30")
    page.fill('[name="/group/poor_households"]', "3")
    share = page.locator('[name="/group/poor_share"]')
    wait_until(page, "document.querySelector('[name=\"/group/poor_share\"]').value === '10'")
    assert share.get_attribute("readonly") is not None
    page.fill('[name="/group/poor_households"]', "31")
    slot = page.locator("#e\\/group\\/poor_households")
    slot.wait_for(state="visible")
    assert slot.inner_text() == "贫困户不能多于户数"
    assert share.input_value() == "103.33"
    shot(page, "logic-rule-at-field")
    page.wait_for_selector(CALM)
    page.click("#next")  # the one page: Next goes to the review only when nothing is wrong
    page.wait_for_selector("#form-errors:not([hidden])")
    assert "贫困户不能多于户数" in page.locator("#form-errors").inner_text()
    assert page.console_errors == []


def test_household_first_visit_does_not_fetch_the_evaluator(page, server) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(f"/f/household?household={BARE}")
    page.wait_for_selector(READY)
    page.wait_for_timeout(300)
    assert not [u for u in fetched if "/logic.js" in u]
    page.fill('[name="/survey/surveyor"]', "张三")
    wait_until(
        page, "performance.getEntriesByType('resource').some((e) => /logic.js/.test(e.name))"
    )
