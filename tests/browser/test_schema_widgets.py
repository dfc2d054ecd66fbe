"""A form of shared choice lists ($ref), an object's alternatives, enum labels, a date-time, a
time and a repeat group inside a repeat group, filled on a 360x640 phone and stored; and
minProperties refused alike by the phone and the server.

The screenshot artifacts/schema_widgets.png is for a person to look at.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.browser.conftest import BARE, shot
from tests.browser.test_form_browser import READY, api, tap, wait_until
from tests.forms.widget_forms import farm_form
from tests.world import World

pytestmark = pytest.mark.browser


def _call(server: str, method: str, path: str, body: Any, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        server + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture(scope="module")
def farm(server: str, world: World) -> str:
    """The form published as version 1 under a fresh id."""
    form_id = f"farm_{uuid.uuid4().hex[:6]}"
    token = world.tokens["designer"]
    status, body = _call(
        server, "PUT", f"/api/forms/{form_id}/draft", {"schema": farm_form()}, token
    )
    assert status == 201, body
    status, body = _call(server, "POST", f"/api/forms/{form_id}/publish", {}, token)
    assert status in (200, 201), body
    return form_id


def _open(page: Any, form_id: str) -> None:
    page.on("pageerror", lambda e: print("STACK", e.stack))
    page.goto(f"/f/{form_id}?household={BARE}")
    page.wait_for_selector(READY)


def test_shared_lists_alternatives_times_and_nested_items_are_filled_and_stored(
    page, server, farm
) -> None:
    _open(page, farm)
    page.get_by_label("土豆").first.check()  # the main crop, from the shared list's labels
    page.fill("[name='/farm/visited_at']", "2026-11-20T09:30")
    page.fill("[name='/farm/starts']", "07:15")
    # Which income source applies: only that alternative's questions are shown.
    assert page.locator("[data-path='/farm/income/employer']").is_hidden()
    page.get_by_label("种植业").check()
    assert page.console_errors == []
    page.locator("[data-path='/farm/income/crop']").wait_for(state="visible", timeout=3000)
    assert page.locator("[data-path='/farm/income/employer']").is_hidden()
    page.check("[name='/farm/income/crop'][value='wheat']")
    # A plot, and two seasons inside it.
    page.click(".repeat[data-path='/farm/plots'] > .add")
    page.fill("[name='/farm/plots/0/name']", "东坡")
    seasons = ".repeat[data-path='/farm/plots/0/seasons']"
    page.click(f"{seasons} > .add")
    page.check("[name='/farm/plots/0/seasons/0/crop'][value='corn']")
    page.click(f"{seasons} > .add")
    page.check("[name='/farm/plots/0/seasons/1/crop'][value='potato']")
    page.locator("[data-path='/farm/income']").scroll_into_view_if_needed()
    shot(page, "schema_widgets")
    shot(page, "schema_widgets_full", full_page=True)
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('label, legend, .opts')]"
        ".filter((e) => e.getBoundingClientRect().right > 361).map((e) => e.textContent)"
    )
    assert overflow == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    before = api(server, f"/api/forms/{farm}/submissions?limit=1")["total"]
    tap(page, "#next")
    page.wait_for_selector("#summary:not([hidden])")
    assert "种植业" in page.inner_text("#summary")
    tap(page, "#send")
    wait_until(page, "document.querySelector('#state').textContent.includes('已发送')")
    listing = api(server, f"/api/forms/{farm}/submissions?limit=1")
    assert listing["total"] == before + 1
    stored = listing["items"][0]["answers"]
    assert stored == {
        "farm": {
            "main_crop": "potato",
            "visited_at": "2026-11-20T09:30:00+08:00",
            "starts": "07:15:00+08:00",
            "income": {"crop": "wheat"},
            "plots": [{"name": "东坡", "seasons": [{"crop": "corn"}, {"crop": "potato"}]}],
        }
    }
    assert page.console_errors == []


def test_phone_and_server_refuse_too_few_answers_alike(page, server, world, farm) -> None:
    _open(page, farm)
    page.get_by_label("玉米").first.check()  # the main crop and no plot: minProperties is 3
    tap(page, "#next")
    wait_until(page, "!document.getElementById('form-errors').hidden")
    assert "至少填写 3 项" in page.inner_text("#form-errors")
    sent = page.evaluate("import('/static/fields.js').then((m) => m.answers())")
    assert page.is_hidden("#summary")

    body = {
        "id": str(uuid.uuid4()),
        "version": 1,
        "answers": sent,
        "household_id": BARE,
    }
    status, refused = _call(
        server, "POST", f"/api/forms/{farm}/submissions", body, world.tokens["cadre_a"]
    )
    assert status == 422, refused
    assert sent == {"farm": {"main_crop": "corn", "plots": []}}
    assert [(e["path"], e["code"]) for e in refused["errors"]] == [("/farm", "minProperties")]
