"""Logging in and out with the pages themselves, in Chromium with JavaScript off."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def bare(browser: Any, server: str) -> Any:
    """A 360x640 browser with JavaScript off and no session."""
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        base_url=server,
        locale="zh-CN",
        java_script_enabled=False,
    )
    yield context.new_page()
    context.close()


def test_logging_in_and_out_with_the_forms(bare: Any) -> None:
    bare.goto("/admin/people")  # not logged in: to the login page, and back afterwards
    assert "/login" in bare.url
    bare.fill("#username", "admin")
    bare.fill("#password", "not-the-password")
    bare.get_by_role("button", name="登录").click()
    assert bare.locator("#login-error").inner_text() == "用户名或密码不对"
    shot(bare, "login-wrong")

    bare.fill("#password", PASSWORD)
    bare.get_by_role("button", name="登录").click()

    assert bare.url.endswith("/admin/people")
    assert "测试admin" in bare.locator(".who").inner_text()
    bare.get_by_role("button", name="退出").click()
    assert "/login" in bare.url
    bare.goto("/admin")
    assert "/login" in bare.url  # the session ended
