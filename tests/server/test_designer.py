"""The designer's page without a browser: save, check, publish with the report, the preview
and its QR code."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from litestar.testing import AsyncTestClient

from forms.schema import shipped_forms
from server.db import now_iso
from tests.forms.small_forms import choice, form, group, text
from tests.world import World

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _small() -> dict[str, Any]:
    return form(s=group(name=text("姓名"), kind=choice("a", "b", title="类别")))


async def _post(
    client: AsyncTestClient[Any], world: World, url: str, persona: str = "designer", **fields: str
) -> Any:
    return await client.post(
        url,
        content=urlencode(fields),
        headers={**FORM, **world.as_(persona)},
        follow_redirects=False,
    )


async def test_the_page_shows_the_current_version_when_there_is_no_draft(client, world) -> None:
    response = await client.get("/design/household", headers=world.as_("designer"))
    assert response.status_code == 200
    assert "第 1 版" in response.text and "使用中" in response.text
    shown = re.search(r'<textarea id="text"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert shown is not None
    assert '"title": "双联入户需求调查表"' in shown.group(1).replace("&#34;", '"')
    assert 'sandbox="allow-scripts"' in response.text


async def test_a_new_form_starts_from_an_outline_that_passes_the_check(client, world) -> None:
    listing = await client.get(
        "/design?form=water", headers=world.as_("designer"), follow_redirects=False
    )
    assert listing.status_code == 303
    assert listing.headers["location"].startswith("/design/water")
    page = await client.get("/design/water", headers=world.as_("designer"))
    outline = re.search(r'<textarea id="text"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert outline is not None
    raw = outline.group(1).replace("&#34;", '"').replace("&#39;", "'")
    checked = await _post(client, world, "/design/water/check", text=raw)
    assert "检查通过" in checked.text


async def test_a_bad_form_id_is_refused_on_the_list(client, world) -> None:
    response = await client.get("/design?form=Bad-Id", headers=world.as_("designer"))
    assert response.status_code == 200 and "cannot be a form id" in response.text


async def test_saving_from_the_page_keeps_the_text_as_typed(client, world) -> None:
    response = await _post(client, world, "/design/water/draft", text="{ half typed\n")
    assert response.status_code == 303 and "done=saved" in response.headers["location"]
    draft = (await client.get("/api/forms/water/draft", headers=world.as_("designer"))).json()
    assert draft["text"] == "{ half typed\n"


async def test_check_on_the_page_lists_each_problem_with_its_line(client, world) -> None:
    broken = _small()
    broken["properties"]["s"]["required"] = ["nobody"]
    response = await _post(client, world, "/design/water/check", text=json.dumps(broken, indent=2))
    assert response.status_code == 200
    assert 'data-line="' in response.text and "/properties/s/required/0" in response.text


async def test_publishing_from_the_page_asks_to_acknowledge_breaking_changes(client, world) -> None:
    narrowed = shipped_forms()["household"]
    narrowed = json.loads(json.dumps(narrowed))
    narrowed["properties"]["household"]["properties"]["category"]["oneOf"].pop()
    typed = json.dumps(narrowed, ensure_ascii=False, indent=2)

    first = await _post(client, world, "/design/household/publish", text=typed)
    assert first.status_code == 409
    assert "options_narrowed" in first.text and 'name="acknowledge"' in first.text
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', first.text)
    assert seen is not None

    # An acknowledgement counts for the text whose report was shown, not for another.
    other = typed.replace("双联入户需求调查表", "双联入户需求调查表（改）", 1)
    again = await _post(
        client, world, "/design/household/publish", text=other, acknowledge="1", seen=seen.group(1)
    )
    assert again.status_code == 409

    seen = re.search(r'name="seen" value="([0-9a-f]+)"', again.text)
    assert seen is not None
    done = await _post(
        client,
        world,
        "/design/household/publish",
        text=other,
        acknowledge="1",
        seen=seen.group(1),
        note="去掉特困",
    )
    assert done.status_code == 303, done.text
    assert "done=published" in done.headers["location"]
    versions = (
        await client.get("/api/forms/household/versions", headers=world.as_("designer"))
    ).json()
    assert (versions[0]["version"], versions[0]["note"]) == (2, "去掉特困")


async def test_a_broken_schema_is_shown_back_with_its_problems_not_published(client, world) -> None:
    response = await _post(client, world, "/design/water/publish", text='{"type": "object"}')
    assert response.status_code == 422
    assert "/$schema" in response.text
    assert (await client.get("/api/forms/water")).status_code == 404


async def test_retire_and_restore_from_the_page(client, world) -> None:
    retired = await _post(client, world, "/design/household/versions/1/retire", reason="换版")
    assert retired.status_code == 303
    page = await client.get("/design/household", headers=world.as_("designer"))
    assert "已停用" in page.text and "换版" in page.text
    restored = await _post(client, world, "/design/household/versions/1/restore")
    assert restored.status_code == 303
    assert (await client.get("/api/forms/household")).json()["version"] == 1


async def test_the_page_shows_a_diff(client, world) -> None:
    changed = json.loads(json.dumps(shipped_forms()["household"]))
    del changed["properties"]["needs"]
    await client.put(
        "/api/forms/household/draft", json={"schema": changed}, headers=world.as_("designer")
    )
    page = await client.get("/design/household?from=1&to=draft", headers=world.as_("designer"))
    assert "field_removed" in page.text and "/properties/needs" in page.text


# ---------------------------------------------------------------- the preview


async def test_the_preview_is_the_phone_page_framed_by_this_site_only(client, world) -> None:
    response = await client.get("/design/household/preview", headers=world.as_("designer"))
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "form-action 'none'" in policy
    assert "script-src 'self'" in policy
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "preview.js" in response.text and "app.js" not in response.text
    assert 'id="page-0"' in response.text


async def test_the_preview_of_typed_text_renders_it_or_lists_its_problems(client, world) -> None:
    shown = await _post(client, world, "/design/water/preview", text=json.dumps(_small()))
    assert shown.status_code == 200 and "类别" in shown.text
    broken = await _post(client, world, "/design/water/preview", text='{"type": "object",,}')
    assert broken.status_code == 200 and "第 1 行" in broken.text
    assert (
        await client.get("/api/forms/water/draft", headers=world.as_("designer"))
    ).status_code == 404


async def test_the_qr_code_opens_the_draft_on_a_phone_without_logging_in(client, world) -> None:
    await client.put(
        "/api/forms/water/draft", json={"schema": _small()}, headers=world.as_("designer")
    )
    page = await _post(client, world, "/design/water/qr")
    assert page.status_code == 200 and "<svg" in page.text
    found = re.search(r'href="https?://[^/"]+(/preview/p_[A-Za-z0-9_-]+)\?lang=zh"', page.text)
    assert found is not None
    phone = await client.get(found.group(1), headers=world.as_("anonymous"))
    assert phone.status_code == 200 and "类别" in phone.text
    assert phone.headers["referrer-policy"] == "no-referrer"


async def test_an_expired_or_unknown_preview_link_is_404(client, world) -> None:
    await client.put(
        "/api/forms/water/draft", json={"schema": _small()}, headers=world.as_("designer")
    )
    page = await _post(client, world, "/design/water/qr")
    found = re.search(r"(/preview/p_[A-Za-z0-9_-]+)", page.text)
    assert found is not None
    await client.app.state.db.write(
        lambda conn: conn.execute("UPDATE draft_previews SET expires_at = ?", (now_iso(),))
    )
    expired = await client.get(found.group(1), headers=world.as_("anonymous"))
    assert (expired.status_code, expired.json()["code"]) == (404, "preview_expired")
    unknown = await client.get("/preview/p_nothing", headers=world.as_("anonymous"))
    assert unknown.status_code == 404


async def test_page_assets_may_be_loaded_by_the_sandboxed_preview(client) -> None:
    response = await client.get("/static/preview.js")
    assert response.headers["access-control-allow-origin"] == "*"


async def test_officials_cadres_and_households_cannot_design(client, world) -> None:
    for persona in ("official", "cadre_a", "household"):
        page = await client.get("/design/household", headers=world.as_(persona))
        assert page.status_code == 403, persona
        preview = await client.get("/design/household/preview", headers=world.as_(persona))
        assert preview.status_code == 403, persona
        publish = await _post(client, world, "/design/household/publish", persona, text="{}")
        assert publish.status_code == 403, persona
