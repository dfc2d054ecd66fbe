"""我的联系户 on a cadre's phone: offline once loaded, each survey starting from what is known."""

from __future__ import annotations

import copy
import json
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import new_phone, new_tab, shot
from tests.browser.test_form_browser import (
    CALM,
    READY,
    api,
    fast_fill,
    tap,
    to_summary,
    wait_until,
)
from tests.world import VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.browser
HOME_READY = "html[data-ready=yes] #mine-list"
KNOWN = """(id) => new Promise((resolve) => {
  const open = indexedDB.open('minsheng-households');
  open.onsuccess = () => {
    const q = open.result.transaction('households').objectStore('households').get(id);
    q.onsuccess = () => { open.result.close(); resolve(q.result || null); };
  };
})"""
VILLAGE = '[name="/household/village_code"]'
HEAD = '[name="/household/head_name"]'


def as_admin(server: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        server + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer mst_test_admin", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Any]:
    context = new_phone(browser, server)
    yield context
    context.close()


def open_home(page: Any) -> None:
    page.goto("/?lang=zh")
    page.wait_for_selector(HOME_READY)


def line(page: Any, household_id: str) -> str:
    return f'#mine-list li[data-id="{household_id}"]'


def test_a_survey_opened_from_my_households_starts_from_the_roster_and_the_last_answer(
    phone, server, world
) -> None:
    a1 = world.households["A1"]
    last = world.answer("A1")
    last["members"][0]["ethnicity"] = "hui"  # what only the last answer knows
    as_admin(
        server,
        "POST",
        "/api/forms/household/submissions",
        {"id": str(uuid.uuid4()), "version": 1, "answers": last, "household_id": a1},
    )
    page = new_tab(phone)
    open_home(page)
    assert page.locator(line(page, a1)).count() == 1
    shot(page, "my-households")
    wait_until(page, f"({KNOWN})('{a1}').then((h) => !!(h && h.last && h.roster))")

    page.click(f"{line(page, a1)} .go")
    page.wait_for_selector(CALM)
    tap(page, "#next")  # page 1 asks for the surveyor and who filled in: its errors stay
    page.evaluate("document.querySelectorAll('section.page').forEach((p, i) => p.hidden = i !== 1)")
    assert page.input_value(VILLAGE) == last["household"]["village_code"]
    assert page.get_attribute(VILLAGE, "readonly") is not None
    assert page.inner_text("#place-name") == "磐安镇 石家窑村"
    assert page.input_value(HEAD) == last["household"]["head_name"]
    shot(page, "survey-from-roster")
    page.evaluate("document.querySelectorAll('section.page').forEach((p, i) => p.hidden = i !== 2)")
    members = page.locator('.repeat[data-path="/members"] > .items > .item')
    assert members.count() == len(last["members"])
    first = last["members"][0]
    assert page.input_value('[name="/members/0/id_number"]') == first["id_number"]
    assert page.input_value('[name="/members/0/birth_date"]') == first["birth_date"]
    assert page.input_value('[name="/members/0/ethnicity"]') == "hui"
    shot(page, "survey-members-known", full_page=True)
    assert page.console_errors == []


def test_my_households_open_offline_and_a_cached_form_serves_another_household(
    phone, world
) -> None:
    a2 = world.households["A2"]
    page = new_tab(phone)
    open_home(page)
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "caches.open('ms-pages-1').then((c) => c.keys()).then((k) => k.length >= 2)")
    wait_until(page, f"({KNOWN})('{a2}').then((h) => !!(h && h.roster))")
    phone.set_offline(True)
    page.reload()
    page.wait_for_selector(HOME_READY)
    assert page.is_visible("#stale") and "没有网络" in page.inner_text("#stale")
    assert page.locator("#mine-list li").count() >= 2
    shot(page, "my-households-offline")

    # The cache holds the form page of no household or of another: the address says which.
    page.click(f"{line(page, a2)} .go")
    page.wait_for_selector(CALM)
    page.evaluate("document.querySelectorAll('section.page').forEach((p, i) => p.hidden = i !== 1)")
    a2_answers = world.answers["A2"]["household"]
    assert page.input_value(VILLAGE) == a2_answers["village_code"]
    assert page.input_value(HEAD) == a2_answers["head_name"]
    shot(page, "offline-survey-of-another-household")
    page.fill('[name="/household/phone"]', "13800000000")
    wait_until(page, "document.querySelector('#to-records') && true")
    page.wait_for_timeout(500)  # written to the phone within 100 ms of being typed
    page.go_back()
    page.wait_for_selector(HOME_READY)
    assert "本机有草稿" in page.inner_text(line(page, a2))  # what this phone holds for it
    phone.set_offline(False)


def test_a_household_missing_from_the_roster_is_proposed_offline_and_surveyed_at_once(
    phone, server, household
) -> None:
    page = new_tab(phone)
    open_home(page)
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "caches.open('ms-pages-1').then((c) => c.keys()).then((k) => k.length >= 2)")
    before = int(api(server, "/api/forms/household/submissions?limit=1")["total"])
    phone.set_offline(True)
    page.click("details.propose summary")
    page.fill("#p-head", "路遇新户")
    page.select_option("#p-category", "not_out")
    page.fill("#p-idn", "6205 23")
    page.fill("#p-group", "九组")
    page.click(".propose-form button[type=submit]")
    assert "18 位" in page.inner_text("#propose-error")  # said here, offline
    page.fill("#p-idn", "620523198001011234")
    # Its one village is the only choice.
    assert page.eval_on_selector("#p-village", "s => s.value") == VILLAGE_A
    shot(page, "propose-household")
    page.click(".propose-form button[type=submit]")
    page.wait_for_url("**/f/household?household=*")
    page.wait_for_selector(CALM)
    new_id = page.evaluate("new URLSearchParams(location.search).get('household')")
    page.evaluate("document.querySelectorAll('section.page').forEach((p, i) => p.hidden = i !== 1)")
    assert page.input_value(VILLAGE) == VILLAGE_A and page.input_value(HEAD) == "路遇新户"
    assert page.input_value('[name="/household/group"]') == "九组"
    shot(page, "proposed-household-survey")

    answers = copy.deepcopy(household)
    answers["household"].update(head_name="路遇新户", group="九组", village_code=VILLAGE_A)
    answers["household"]["group"] = "九组"
    fast_fill(page, answers)
    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.waiting').length === 1")
    phone.set_offline(False)
    # Back on 我的联系户 with a network: the proposal goes first, then the answer about it.
    open_home(page)
    wait_until(page, f"({KNOWN})('{new_id}').then((h) => h && !h.pending)", timeout=20)
    page.goto(f"/f/household?household={new_id}#list")
    page.wait_for_selector(READY)
    wait_until(page, "document.querySelectorAll('#records li.sent').length >= 1", timeout=20)
    proposed = as_admin(server, "GET", f"/api/households/{new_id}")
    assert proposed["status"] == "proposed" and proposed["head_name"] == "路遇新户"
    assert int(api(server, "/api/forms/household/submissions?limit=1")["total"]) == before + 1
    stored = api(server, "/api/forms/household/submissions?limit=500")["items"][-1]
    assert stored["household_id"] == new_id
    open_home(page)
    assert page.locator(f"{line(page, new_id)} .tag.todo", has_text="新增户").count() == 1


def test_the_village_is_picked_township_first_from_the_roster(browser, server, world) -> None:
    for village in (VILLAGE_A, VILLAGE_B):  # cadre_c works in two counties now
        as_admin(server, "POST", "/api/pairings", {"cadre": "cadre_c", "village_code": village})
    context = new_phone(browser, server, "cadre_c")
    try:
        page = new_tab(context)
        open_home(page)
        page.click("details.propose summary")
        assert page.is_hidden("#p-village")  # the plain list gives way to one list a level
        counties = page.locator("#p-village-county option")
        assert counties.count() == 3  # "choose", and the two counties
        page.select_option("#p-village-county", label="甘谷县")
        page.wait_for_selector("#p-village-township")
        page.select_option("#p-village-township", VILLAGE_B[:9])
        page.wait_for_selector("#p-village-village")
        page.select_option("#p-village-village", VILLAGE_B)
        assert page.eval_on_selector("#p-village", "s => s.value") == VILLAGE_B
        shot(page, "village-cascade")
        # Offline, the lists kept on the phone.
        context.set_offline(True)
        page.reload()
        page.wait_for_selector(HOME_READY)
        page.click("details.propose summary")
        page.select_option("#p-village-county", label="甘谷县")
        page.wait_for_selector("#p-village-township")
        page.select_option("#p-village-township", VILLAGE_B[:9])
        page.wait_for_selector("#p-village-village")
        page.select_option("#p-village-village", VILLAGE_B)
        assert page.eval_on_selector("#p-village", "s => s.value") == VILLAGE_B
        assert page.console_errors == [] or all(
            "ERR_INTERNET_DISCONNECTED" in e for e in page.console_errors
        )
    finally:
        context.close()
