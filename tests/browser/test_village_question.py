"""A village question on a 360x640 phone: the cadre picks a township, then one of its
villages (forms/static/places.js), from the villages they work in; the answer is sent and
stored with the village's code, and the summary names the village under its township."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from forms.demo import demo_households, demo_villages
from server.db import Database, now_iso
from server.form_versions import publish
from server.testing import live_server
from tests.browser.conftest import BARE, _bare, log_in, new_phone, new_tab, shot
from tests.browser.test_form_browser import api, open_form, tap, to_summary, wait_until
from tests.places_form import FORM_ID, schema
from tests.world import VILLAGE_A, VILLAGE_B, World, seed_file

pytestmark = pytest.mark.browser
VILLAGE_FORM = "village_visit"  # the same questions, answered per village
TOWNSHIP = '[id="f/visit/village-township"]'
VILLAGE = '[id="f/visit/village-village"]'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A server of its own: cadre_a works in village A (through households) and in village
    B of another township (paired whole), and the form with a village question is published."""
    db_path = tmp_path / "minsheng.db"

    def seed() -> None:
        world, _ = seed_file(db_path, next(demo_households(7, demo_villages(), per_village=1)))
        asyncio.run(_bare(db_path, world))
        asyncio.run(_village_form(db_path, world))

    with ThreadPoolExecutor(1) as pool:  # the browser's event loop runs in this thread
        pool.submit(seed).result()
    with live_server(db_path) as live:
        yield live.base


async def _village_form(db_path: Path, world: World) -> None:
    db = await Database.open(db_path)

    async def pair(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO pairings (cadre_id, village_code, since) VALUES (?, ?, ?)",
            (world.user_ids["cadre_a"], VILLAGE_B, now_iso()),
        )

    try:
        await publish(db, FORM_ID, schema(), actor="test")
        await publish(db, VILLAGE_FORM, {**schema(), "x-subject": "village"}, actor="test")
        await db.write(pair)
    finally:
        await db.close()


def _options(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector(selector, "s => [...s.options].map((o) => o.textContent)")


def _wait_options(page: Any, names: list[str]) -> None:
    """Until the village list offers `names` (it is drawn once the township's places are read)."""
    said = "[...(document.getElementById('f/visit/village-village') || {options: []}).options]"
    wait_until(page, f"{said}.map((o) => o.textContent).join('|') === {'|'.join(names)!r}")


def test_cadre_picks_a_township_then_a_village_and_it_is_stored(browser, server) -> None:
    context = new_phone(browser, server)
    page = new_tab(context)
    open_form(page, f"/f/{FORM_ID}?household={BARE}")
    page.wait_for_selector(TOWNSHIP)
    # The townships of the cadre's villages only, and no village list before one is chosen.
    assert _options(page, TOWNSHIP) == ["请选择", "磐安镇", "大石镇"]
    assert page.is_hidden('[id="f/visit/village"]') and not page.locator(VILLAGE).count()
    page.select_option(TOWNSHIP, label="大石镇")
    _wait_options(page, ["请选择", "南坪村"])
    page.select_option(VILLAGE, label="南坪村")
    assert page.eval_on_selector('[id="f/visit/village"]', "s => s.value") == VILLAGE_B
    page.fill('[name="/visit/note"]', "送化肥")
    shot(page, "village-question")
    overflow = page.evaluate("document.documentElement.scrollWidth > innerWidth")
    assert not overflow

    # Another township: its village list, and the answer waits for a village again.
    page.select_option(TOWNSHIP, label="磐安镇")
    assert page.eval_on_selector('[id="f/visit/village"]', "s => s.value") == ""
    _wait_options(page, ["请选择", "石家窑村"])
    page.select_option(TOWNSHIP, label="大石镇")
    page.select_option(VILLAGE, label="南坪村")

    # The draft, opened again, shows its village in the lists.
    page.wait_for_timeout(300)
    open_form(page, f"/f/{FORM_ID}?household={BARE}")
    wait_until(page, f"document.getElementById('f/visit/village').value === '{VILLAGE_B}'")
    chosen = "(id) => document.getElementById(id)?.selectedOptions[0].text"
    wait_until(page, f"({chosen})('f/visit/village-village') === '南坪村'")
    assert page.evaluate(chosen, "f/visit/village-township") == "大石镇"
    assert page.locator(f"{TOWNSHIP}, {VILLAGE}").count() == 2

    to_summary(page)
    assert "大石镇 南坪村" in page.inner_text("#summary")
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1")
    [stored] = api(server, f"/api/forms/{FORM_ID}/submissions")["items"]
    assert stored["answers"]["visit"] == {"village": VILLAGE_B, "note": "送化肥"}
    assert stored["village_code"] == VILLAGE_A  # the household's, as ever: not the answer's
    assert page.console_errors == []

    # Offline, the page and the places kept on the phone offer the same lists.
    context.set_offline(True)
    open_form(page, f"/f/{FORM_ID}?household={BARE}")
    page.wait_for_selector(TOWNSHIP)
    page.select_option(TOWNSHIP, label="磐安镇")
    _wait_options(page, ["请选择", "石家窑村"])
    context.close()


def test_without_javascript_the_village_is_chosen_from_one_list_by_township(
    browser, server
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        base_url=server,
        locale="zh-CN",
        java_script_enabled=False,
    )
    log_in(context)
    page = context.new_page()
    page.goto(f"/f/{FORM_ID}?household={BARE}")
    plain = '[name="/visit/village"]'
    groups = page.eval_on_selector_all(
        f"{plain} optgroup", "gs => gs.map((g) => [g.label, [...g.children].map((o) => o.text)])"
    )
    assert groups == [["磐安镇", ["石家窑村"]], ["大石镇", ["南坪村"]]]
    page.select_option(plain, VILLAGE_B)
    page.fill('[name="/visit/note"]', "修路")
    shot(page, "village-question-no-javascript")
    assert not page.evaluate("document.documentElement.scrollWidth > innerWidth")
    page.click("#send")
    page.wait_for_url("**/done/**")
    [stored] = api(server, f"/api/forms/{FORM_ID}/submissions")["items"]
    assert stored["answers"]["visit"] == {"village": VILLAGE_B, "note": "修路"}
    context.close()


def test_a_village_level_form_starts_without_a_household_and_is_filed_under_its_village(
    browser, server
) -> None:
    context = new_phone(browser, server)
    page = new_tab(context)
    open_form(page, f"/f/{VILLAGE_FORM}")  # no household: the form names its village
    page.wait_for_selector(TOWNSHIP)
    page.select_option(TOWNSHIP, label="大石镇")
    _wait_options(page, ["请选择", "南坪村"])
    page.select_option(VILLAGE, label="南坪村")
    page.fill('[name="/visit/note"]', "村级走访")
    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1")
    [stored] = api(server, f"/api/forms/{VILLAGE_FORM}/submissions")["items"]
    assert stored["village_code"] == VILLAGE_B and stored.get("household_id") is None
    assert page.console_errors == []
    context.close()
