"""The admin pages and each role's front page in a real Chromium, at 360x640.

They must work with JavaScript off and fit a phone's width: no page may scroll
sideways. Screenshots land in artifacts/ for a person to look at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import log_in, shot
from tests.world import VILLAGE_A, World

pytestmark = pytest.mark.browser
WIDTH = 360


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Any]:
    """A fresh 360x640 browser with JavaScript off; `phone(username)` logs it in."""
    contexts = []

    def open_as(username: str | None) -> Any:
        context = browser.new_context(
            viewport={"width": WIDTH, "height": 640},
            base_url=server,
            locale="zh-CN",
            device_scale_factor=1,
            java_script_enabled=False,
        )
        contexts.append(context)
        if username:
            log_in(context, username)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


def fits(page: Any) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def _propose(page: Any, world: World) -> None:
    response = page.context.request.post(
        "/api/households",
        data={
            "id": str(uuid.uuid4()),
            "village_code": VILLAGE_A,
            "head_name": "新户甲",
            "category": "monitored",
        },
        headers={"Authorization": f"Bearer {world.tokens['cadre_a']}"},
    )
    assert response.status in (200, 201), response.text()


def test_each_roles_front_page_fits_a_phone(phone: Any, world: World) -> None:
    for username in (None, "admin", "official", "designer", "cadre_a"):
        page = phone(username)
        page.goto("/")
        fits(page)
        shot(page, f"home-{username or 'anonymous'}", full_page=True)
    anonymous = phone(None)
    anonymous.goto("/")
    assert anonymous.locator("a.button", has_text="登录").count() == 1


def test_the_admin_pages_fit_a_phone(phone: Any, world: World) -> None:
    page = phone("admin")
    _propose(page, world)
    cadre = world.user_ids["cadre_b"]
    for name, url in (
        ("admin-menu", "/admin"),
        ("admin-people", "/admin/people"),
        ("admin-person-new", "/admin/people/new?place=620523000000"),
        ("admin-person", f"/admin/people/{cadre}"),
        ("admin-pairings", "/admin/pairings"),
        ("admin-cadre", f"/admin/pairings/{cadre}?place={VILLAGE_A}&q="),
        ("admin-audit", "/admin/audit"),
        ("admin-proposed", "/households/proposed"),
    ):
        response = page.goto(url)
        assert response.status == 200, url
        fits(page)
        shot(page, name, full_page=True)


def test_an_admin_adds_an_official_without_javascript(phone: Any) -> None:
    page = phone("admin")
    page.goto("/admin/people")
    page.get_by_role("link", name="添加人员").click()
    for place in ("甘肃省", "天水市", "甘谷县"):  # down the tree to the county
        page.get_by_role("link", name=place, exact=True).click()
    page.fill("#username", "official_b")
    page.fill("#name", "县局干部丙")
    page.select_option("#role", "official")
    page.fill("#unit", "县乡村振兴局")
    page.fill("#password", "long-enough-1")
    page.get_by_role("button", name="添加").click()

    assert page.locator(".notice").inner_text() == "账号已添加。"
    assert "甘谷县" in page.locator(".facts").inner_text()
    fits(page)
    shot(page, "admin-person-added", full_page=True)


def test_a_token_is_shown_once_without_javascript(phone: Any, world: World) -> None:
    page = phone("admin")
    page.goto(f"/admin/people/{world.user_ids['cadre_b']}")
    page.fill("#token-name", "每周导出")
    page.get_by_role("button", name="生成令牌").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("mst_")
    fits(page)
    shot(page, "admin-token-once")
    page.goto(f"/admin/people/{world.user_ids['cadre_b']}")
    assert token not in page.content() and "每周导出" in page.content()


def test_an_official_confirms_a_proposed_household_without_javascript(
    phone: Any, world: World
) -> None:
    page = phone("official")
    _propose(page, world)
    page.goto("/")
    page.get_by_role("link", name="确认或驳回").click()
    item = page.locator(".list > li", has_text="新户甲").first
    item.get_by_role("button", name="确认").click()
    assert "已确认" in page.locator(".notice").inner_text()
    fits(page)
    shot(page, "proposed-confirmed", full_page=True)
