"""The designer's page in a real Chromium: syntax errors as one types, the phone preview
following the text, the check, publishing with the report, the QR code's phone page.

Screenshots land in artifacts/ (designer_*.png) for a person to look at.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.conftest import log_in, new_tab, shot
from tests.forms.small_forms import DRAFT
from tests.world import World

pytestmark = pytest.mark.browser


def _form() -> dict[str, Any]:
    """A small form with a condition: the days without water only after a cut."""

    def words(zh: str, en: str) -> dict[str, Any]:
        return {"title": zh, "description": zh + "。", "x-en": {"title": en, "description": en}}

    return {
        "$schema": DRAFT,
        **words("饮水回访", "Water follow-up"),
        "type": "object",
        "properties": {
            "water": {
                "type": "object",
                **words("饮水", "Water"),
                "properties": {
                    "source": {
                        "type": "string",
                        **words("水源", "Source"),
                        "oneOf": [
                            {"const": "tap", **words("自来水", "Tap")},
                            {"const": "well", **words("水井", "Well")},
                            {"const": "cistern", **words("水窖", "Cistern")},
                        ],
                    },
                    "interrupted": {"type": "boolean", **words("近一月是否停水", "Cut off")},
                },
                "required": ["interrupted"],
                "allOf": [
                    {
                        "if": {
                            "properties": {"interrupted": {"const": True}},
                            "required": ["interrupted"],
                        },
                        "then": {
                            "properties": {
                                "days": {
                                    "type": "integer",
                                    "minimum": 1,
                                    "maximum": 31,
                                    **words("停水天数", "Days without water"),
                                }
                            },
                            "required": ["days"],
                        },
                    }
                ],
                "unevaluatedProperties": False,
            }
        },
        "required": ["water"],
        "additionalProperties": False,
    }


@pytest.fixture
def desk(browser: Any, server: str) -> Iterator[Callable[..., Any]]:
    contexts = []

    def open_as(username: str | None, width: int = 1280, height: int = 860) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            base_url=server,
            locale="zh-CN",
            device_scale_factor=1,
        )
        contexts.append(context)
        if username:
            log_in(context, username)
        return new_tab(context)

    yield open_as
    for context in contexts:
        context.close()


def _until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "still not so"
        time.sleep(0.1)


def _set_text(page: Any, text: str) -> None:
    """As if typed: the text changes and the page hears an input event."""
    page.evaluate(
        """(text) => { const a = document.getElementById('text'); a.value = text;
           a.dispatchEvent(new Event('input', { bubbles: true })); }""",
        text,
    )


def _frame_text(page: Any) -> str:
    frame = page.frame(name="preview")
    try:
        return str(frame.locator("main").inner_text(timeout=500)) if frame else ""
    except Exception:  # the frame is between two documents
        return ""


def test_designing_a_form_from_draft_to_published(desk, server, world: World) -> None:
    form_id = f"water_{uuid.uuid4().hex[:6]}"
    page = desk("designer")
    response = page.context.request.put(
        f"/api/forms/{form_id}/draft",
        data={"schema": _form()},
        headers={"Authorization": f"Bearer {world.tokens['designer']}"},
    )
    assert response.status == 201, response.text()
    page.goto(f"/design/{form_id}")

    # The preview: the phone's page in a sandboxed frame, its condition working.
    _until(lambda: "水源" in _frame_text(page))
    frame = page.frame(name="preview")
    assert frame.locator("[data-if]").first.is_hidden()
    frame.locator("input[name='/water/interrupted'][value='true']").check()
    assert frame.locator("[data-if]").first.is_visible()
    shot(page, "designer_desk")

    # A syntax error is named by line and column as it is typed.
    text = json.dumps(_form(), ensure_ascii=False, indent=2)
    _set_text(page, text.replace('"type": "object",', '"type": "object",,', 1))
    syntax = page.locator("#syntax")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if '"type": "object",' in t)
    assert f"第 {line} 行第 20 列" in syntax.inner_text()
    assert page.locator("#text").get_attribute("aria-invalid") == "true"
    shot(page, "designer_syntax")

    # Fixed, and a label changed: the preview follows.
    _set_text(page, text.replace("水源", "主要水源"))
    assert syntax.inner_text() == "JSON 语法正确"
    _until(lambda: "主要水源" in _frame_text(page))

    # The server's check on demand, each problem a jump to its line.
    broken = json.loads(text)
    broken["properties"]["water"]["required"] = ["nobody"]
    _set_text(page, json.dumps(broken, ensure_ascii=False, indent=2))
    page.locator("#check").click()
    result = page.locator("#check-result")
    _until(lambda: "处问题" in result.inner_text())
    assert "/properties/water/required/0" in result.inner_text()
    result.locator("button.at").first.click()
    selected = page.evaluate(
        "() => { const a = document.getElementById('text');"
        " return a.value.slice(a.selectionStart, a.selectionEnd); }"
    )
    assert '"nobody"' in selected
    shot(page, "designer_check")

    # Publish version 1, then a narrowed choice: the report to acknowledge first.
    _set_text(page, text)
    page.locator("button.publish").click()
    page.wait_for_url(f"**/design/{form_id}?*done=published*")
    assert "已发布为第 1 版" in page.locator(".notice").inner_text()
    narrowed = json.loads(text)
    narrowed["properties"]["water"]["properties"]["source"]["oneOf"].pop()
    _set_text(page, json.dumps(narrowed, ensure_ascii=False, indent=2))
    page.locator("button.publish").click()
    page.wait_for_load_state()
    report = page.locator(".report")
    assert "水窖" in report.inner_text()
    shot(page, "designer_report")
    report.locator("input[name=acknowledge]").check()
    report.locator("button.publish").click()
    page.wait_for_url("**done=published*")
    assert "第 2 版" in page.locator(".notice").inner_text()

    # The QR code opens the draft on a phone that is not logged in.
    _set_text(page, json.dumps(_form(), ensure_ascii=False, indent=2))
    page.locator("button[type=submit]", has_text="保存草稿").click()
    page.wait_for_url("**done=saved*")
    page.locator("button", has_text="二维码").click()
    page.wait_for_load_state()
    assert page.locator(".qr svg").is_visible()
    url = page.locator(".qr a.url").get_attribute("href")
    shot(page, "designer_qr", full_page=True)
    phone = desk(None, 360, 640)
    phone.goto(url)
    assert phone.locator("h2", has_text="饮水").is_visible()
    assert phone.locator("text=水窖").count() == 1  # the draft, not version 2
    shot(phone, "designer_phone_preview")

    # Versions: retire the first.
    page.goto(f"/design/{form_id}#versions")
    first = page.locator(".versions li", has_text="第 1 版")
    first.locator("input[name=reason]").fill("选项有误")
    first.locator("button", has_text="停用").click()
    page.wait_for_url("**done=retired*")
    assert "选项有误" in page.locator(".versions").inner_text()
    page.goto(f"/design/{form_id}?from=1&to=2#diff")
    assert "水窖" in page.locator("#diff").inner_text()
    shot(page, "designer_versions", full_page=True)
    # the page shown again with the report is answered 409, as the API answers
    assert [e for e in page.console_errors if "409 (Conflict)" not in e] == []
    assert phone.console_errors == []


def test_the_page_is_readable_on_a_phone(desk, world: World) -> None:
    page = desk("designer", 360, 640)
    page.goto("/design/household")
    _until(lambda: "调查信息" in _frame_text(page))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide"
    shot(page, "designer_360", full_page=True)
    page.locator("#preview").scroll_into_view_if_needed()
    shot(page, "designer_360_preview")
    assert page.console_errors == []


def test_importing_an_xlsform_on_a_phone_shows_what_was_not_converted(desk) -> None:
    from server.xlsform_import import XLSX
    from tests.forms.xlsform_files import village_survey

    form_id = f"village_{uuid.uuid4().hex[:6]}"
    page = desk("designer", 360, 640)
    page.goto(f"/design/{form_id}")
    page.locator("form.xlsform").scroll_into_view_if_needed()
    shot(page, "designer_xlsform_upload")
    page.set_input_files(
        "#xlsform", files=[{"name": "村级需求.xlsx", "mimeType": XLSX, "buffer": village_survey()}]
    )
    page.locator("form.xlsform button[type=submit]").click()
    page.wait_for_load_state()
    notes = page.locator("#xlsform-notes li")
    assert notes.count() == 11
    assert "survey 表第 36 行「type」" in notes.nth(9).inner_text()
    assert "已将 村级需求.xlsx 导入为草稿" in page.locator(".notice").first.inner_text()
    assert "村级需求调查表" in page.locator("#text").input_value()
    page.locator(".notice").first.scroll_into_view_if_needed()
    shot(page, "designer_xlsform_phone")
    _until(lambda: "村基本情况" in _frame_text(page))
    assert page.console_errors == []
