"""Drafts and the outbox outlive the browser itself, not only a reload of the page.

Each test runs a phone whose profile lives in a directory, closes the whole
browser, and starts a new one on the same directory, as a person whose phone
killed the browser (or who switched it off) would.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from server.testing import CHROMIUM, CHROMIUM_ARGS
from tests.browser.conftest import log_in, shot
from tests.browser.test_form_browser import (
    ONLY_MEMBERS,
    READY,
    fast_fill,
    open_form,
    stored_count,
    tap,
    to_summary,
    wait_until,
)

pytestmark = pytest.mark.browser


@contextmanager
def phone(playwright: Any, profile: Path, server: str) -> Iterator[Any]:
    """A 360x640 browser on `profile`; leaving the block closes the browser entirely."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        viewport={"width": 360, "height": 640},
        base_url=server,
        locale="zh-CN",
        device_scale_factor=1,
    )
    log_in(context)
    page = context.pages[0] if context.pages else context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    try:
        yield page
    finally:
        context.close()


def test_draft_survives_a_browser_restart(playwright, server, tmp_path) -> None:
    profile = tmp_path / "profile"
    with phone(playwright, profile, server) as page:
        open_form(page)
        page.fill('[name="/survey/surveyor"]', "李明")
        page.check('[name="/survey/filled_by"][value="cadre"]')
        page.evaluate(ONLY_MEMBERS)
        page.fill('[name="/members/0/name"]', "王芳")
        page.click('.repeat[data-path="/members"] > .add')
        page.fill('[name="/members/1/name"]', "王小明")
        page.check('[name="/members/1/health"][value="chronic"]')
        page.type('[name="/members/1/disease"]', "高血压")
        assert page.console_errors == []
        page.wait_for_timeout(200)  # the person puts the phone down; no typing pause needed
    # The browser is gone, with no time to finish anything it had put off.

    with phone(playwright, profile, server) as page:
        open_form(page)
        assert page.locator("#records li.draft").count() == 1
        assert page.input_value('[name="/survey/surveyor"]') == "李明"
        assert page.is_checked('[name="/survey/filled_by"][value="cadre"]')
        page.evaluate(ONLY_MEMBERS)
        assert page.input_value('[name="/members/0/name"]') == "王芳"
        assert page.input_value('[name="/members/1/name"]') == "王小明"
        assert page.is_checked('[name="/members/1/health"][value="chronic"]')
        assert page.is_visible('[name="/members/1/disease"]')
        assert page.input_value('[name="/members/1/disease"]') == "高血压"
        shot(page, "restart-draft-restored")
        assert page.console_errors == []


def test_outbox_survives_a_browser_restart_and_sends_once(
    playwright, server, tmp_path, household
) -> None:
    profile = tmp_path / "profile"
    with phone(playwright, profile, server) as page:
        open_form(page)
        page.evaluate("navigator.serviceWorker.ready")
        wait_until(page, "caches.has('ms-pages-1')")
        before = stored_count(server)
        page.context.set_offline(True)
        answers = copy.deepcopy(household)
        answers["household"]["group"] = "重启组"
        fast_fill(page, answers)
        to_summary(page)
        tap(page, "#send")
        wait_until(page, "document.querySelectorAll('#records li.waiting').length === 1")
        assert stored_count(server) == before

    with phone(playwright, profile, server) as page:
        open_form(page)
        wait_until(page, "document.querySelectorAll('#records li.sent').length === 1", timeout=20)
        assert stored_count(server) == before + 1
        assert not page.locator("#records li.waiting").count()
        tap(page, "#to-records")
        shot(page, "restart-outbox-sent")
        page.reload()  # a later visit sends nothing again
        page.wait_for_selector(READY)
        page.evaluate("document.getElementById('send-now').click()")
        page.wait_for_timeout(300)
        assert stored_count(server) == before + 1
        assert page.console_errors == []
