"""The publish cycle over the API: drafts, checks, publishing, retiring, restoring, diffs."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from typing import Any

from litestar.testing import AsyncTestClient

from forms.schema import shipped_forms
from tests.conftest import new_id
from tests.forms.small_forms import choice, form, group, text
from tests.world import A1, World

DRAFT = "/api/forms/{}/draft"


def _small() -> dict[str, Any]:
    return form(s=group(name=text("姓名"), kind=choice("a", "b", title="类别")))


async def _save(client: AsyncTestClient[Any], world: World, form_id: str, **body: Any) -> Any:
    response = await client.put(DRAFT.format(form_id), json=body, headers=world.as_("designer"))
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _publish(
    client: AsyncTestClient[Any], world: World, form_id: str, persona: str = "designer", **body: Any
) -> Any:
    return await client.post(f"/api/forms/{form_id}/publish", json=body, headers=world.as_(persona))


async def _audit(client: AsyncTestClient[Any], prefix: str) -> list[Any]:
    rows = await client.app.state.db.fetch_all(
        "SELECT actor, action, target, detail FROM audit_log WHERE action LIKE ? ORDER BY id",
        (prefix + "%",),
    )
    return [(r["actor"], r["action"], r["target"], json.loads(r["detail"])) for r in rows]


# ---------------------------------------------------------------- the draft


async def test_a_draft_is_saved_then_replaced_and_read_back(client, world) -> None:
    first = await client.put(
        DRAFT.format("water"), json={"text": "{ not json yet"}, headers=world.as_("designer")
    )
    assert first.status_code == 201, first.text
    assert first.json()["text"] == "{ not json yet"  # work in progress is kept as typed
    second = await client.put(
        DRAFT.format("water"), json={"schema": _small()}, headers=world.as_("designer")
    )
    assert second.status_code == 200
    read = (await client.get(DRAFT.format("water"), headers=world.as_("designer"))).json()
    assert json.loads(read["text"]) == _small()
    assert read["saved_by"] == f"user:{world.user_ids['designer']}"
    assert read["text_hash"] == second.json()["text_hash"] != first.json()["text_hash"]
    saves = await _audit(client, "form.draft.save")
    assert [(a[1], a[2], a[3]["replaced"]) for a in saves] == [
        ("form.draft.save", "form:water", False),
        ("form.draft.save", "form:water", True),
    ]


async def test_a_draft_of_an_existing_form_remembers_its_version(client, world) -> None:
    draft = await _save(client, world, "household", schema=shipped_forms()["household"])
    assert draft["based_on"] == 1


async def test_no_draft_is_404_and_a_bad_form_id_422(client, world) -> None:
    missing = await client.get(DRAFT.format("water"), headers=world.as_("designer"))
    assert (missing.status_code, missing.json()["code"]) == (404, "no_draft")
    bad = await client.put(
        DRAFT.format("Water-Form"), json={"text": "{}"}, headers=world.as_("designer")
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "bad_form_id")


async def test_check_lists_problems_with_pointer_and_line(client, world) -> None:
    broken = _small()
    broken["properties"]["s"]["required"] = ["nobody"]
    text_ = json.dumps(broken, ensure_ascii=False, indent=2)
    response = await client.post(
        "/api/forms/water/draft/check", json={"text": text_}, headers=world.as_("designer")
    )
    report = response.json()
    assert response.status_code == 200 and report["ok"] is False
    (problem,) = report["problems"]
    assert problem["pointer"] == "/properties/s/required/0"
    assert text_.splitlines()[problem["line"] - 1].strip() == '"nobody"'


async def test_check_names_a_json_typo_by_line_and_column(client, world) -> None:
    response = await client.post(
        "/api/forms/water/draft/check",
        json={"text": '{\n  "type": "object",,\n}'},
        headers=world.as_("designer"),
    )
    (problem,) = response.json()["problems"]
    assert (problem["pointer"], problem["line"], problem["column"]) == (None, 2, 20)


# ---------------------------------------------------------------- publishing


async def test_a_new_form_publishes_as_version_1_and_its_draft_is_gone(client, world) -> None:
    await _save(client, world, "water", schema=_small())
    response = await _publish(client, world, "water", note="第一版")
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 1 and response.json()["changes"] == []
    current = (await client.get("/api/forms/water", headers=world.as_("cadre_a"))).json()
    assert current["schema"] == _small()
    gone = await client.get(DRAFT.format("water"), headers=world.as_("designer"))
    assert gone.status_code == 404
    (entry,) = [a for a in await _audit(client, "form.version.publish") if a[2] == "form:water"]
    assert entry[:3] == (f"user:{world.user_ids['designer']}", "form.version.publish", "form:water")
    assert entry[3]["version"] == 1 and entry[3]["note"] == "第一版"


async def test_a_breaking_change_needs_acknowledgement(client, world) -> None:
    await _save(client, world, "water", schema=_small())
    assert (await _publish(client, world, "water")).status_code == 201
    narrowed = _small()
    narrowed["properties"]["s"]["properties"]["kind"]["oneOf"].pop()
    await _save(client, world, "water", schema=narrowed)

    refused = await _publish(client, world, "water")
    body = refused.json()
    assert (refused.status_code, body["code"], body["against"]) == (409, "acknowledge_required", 1)
    assert [(c["kind"], c["pointer"], c["label"]) for c in body["changes"]] == [
        ("options_narrowed", "/properties/s/properties/kind", "类别")
    ]
    assert (await client.get("/api/forms/water")).json()["version"] == 1  # nothing published

    published = await _publish(client, world, "water", acknowledge=True)
    assert published.status_code == 201, published.text
    assert published.json()["version"] == 2
    assert published.json()["changes"][0]["kind"] == "options_narrowed"
    entry = (await _audit(client, "form.version.publish"))[-1]
    assert entry[3]["acknowledged"] is True and entry[3]["breaking_changes"] == 1


async def test_a_compatible_change_publishes_without_acknowledgement(client, world) -> None:
    await _save(client, world, "water", schema=_small())
    await _publish(client, world, "water")
    more = _small()
    more["properties"]["s"]["properties"]["phone"] = text("电话")
    await _save(client, world, "water", schema=more)
    response = await _publish(client, world, "water")
    assert response.status_code == 201 and response.json()["version"] == 2


async def test_a_broken_draft_is_refused_with_its_problems(client, world) -> None:
    broken = _small()
    broken["properties"]["s"]["properties"]["name"]["type"] = "strnig"
    typed = json.dumps(broken, indent=2)
    await _save(client, world, "water", text=typed)
    response = await _publish(client, world, "water", acknowledge=True)
    body = response.json()
    assert (response.status_code, body["code"]) == (422, "schema_invalid")
    assert body["problems"][0]["pointer"] == "/properties/s/properties/name/type"
    assert '"strnig"' in typed.splitlines()[body["problems"][0]["line"] - 1]
    assert (await client.get("/api/forms/water")).status_code == 404
    assert (
        await client.get(DRAFT.format("water"), headers=world.as_("designer"))
    ).status_code == 200


async def test_publishing_another_draft_than_the_one_read_is_refused(client, world) -> None:
    read = await _save(client, world, "water", schema=_small())
    await _save(client, world, "water", schema=form(t=group(x=text())))
    response = await _publish(client, world, "water", text_hash=read["text_hash"])
    assert (response.status_code, response.json()["code"]) == (409, "draft_changed")


async def test_publishing_the_current_version_again_is_refused(client, world) -> None:
    await _save(client, world, "household", schema=shipped_forms()["household"])
    response = await _publish(client, world, "household")
    assert (response.status_code, response.json()["code"]) == (409, "nothing_changed")


async def test_publishing_without_a_draft_is_404(client, world) -> None:
    response = await _publish(client, world, "household")
    assert (response.status_code, response.json()["code"]) == (404, "no_draft")


# ---------------------------------------------------------------- retire and restore


async def _household_v2(client: AsyncTestClient[Any], world: World) -> None:
    changed = copy.deepcopy(shipped_forms()["household"])
    changed["description"] += "（第二版）"
    await _save(client, world, "household", schema=changed)
    assert (await _publish(client, world, "household")).status_code == 201


async def test_an_answer_to_a_retired_version_is_409_naming_the_current(
    client, world, household
) -> None:
    await _household_v2(client, world)
    retired = await client.post(
        "/api/forms/household/versions/1/retire",
        json={"reason": "改用第二版"},
        headers=world.as_("designer"),
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["status"] == "retired" and retired.json()["reason"] == "改用第二版"

    body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    refused = await client.post("/api/forms/household/submissions", json=body)
    assert refused.status_code == 409
    assert refused.json()["code"] == "version_retired"
    assert refused.json()["current_version"] == 2 and refused.json()["version"] == 1
    assert "第 2 版" in refused.json()["detail"]
    body["version"] = 2
    stored = await client.post("/api/forms/household/submissions", json=body)
    assert stored.status_code == 201, stored.text


async def test_a_retired_versions_page_sends_the_phone_to_the_current_one(client, world) -> None:
    def visit(html: str) -> Any:
        return json.loads(html.split('id="ms-visit">')[1].split("</script>")[0])

    assert visit((await client.get(f"/f/household?household={A1}")).text)["retired"] == []
    await _household_v2(client, world)
    await client.post("/api/forms/household/versions/1/retire", headers=world.as_("designer"))
    old = await client.get(f"/f/household/v/1?household={A1}&lang=en", follow_redirects=False)
    assert old.status_code == 303
    assert old.headers["location"] == f"/f/household?household={A1}&lang=en"
    page = visit((await client.get(f"/f/household?household={A1}")).text)
    assert (page["current"], page["retired"]) == (2, [1])  # the phone moves its drafts of 1
    # With no version in use, the retired page is still shown (sending it is refused).
    await client.post("/api/forms/household/versions/2/retire", headers=world.as_("designer"))
    assert (await client.get("/f/household/v/1", follow_redirects=False)).status_code == 200


async def test_answers_to_a_retired_version_stay_readable(client, world, household) -> None:
    body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    assert (await client.post("/api/forms/household/submissions", json=body)).status_code == 201
    await _household_v2(client, world)
    await client.post("/api/forms/household/versions/1/retire", headers=world.as_("designer"))
    assert (await client.get(f"/api/submissions/{body['id']}")).status_code == 200
    assert (await client.get("/api/forms/household/versions/1")).json()["status"] == "retired"
    # a resend of what was stored before is still acknowledged
    assert (await client.post("/api/forms/household/submissions", json=body)).status_code == 200


async def test_with_every_version_retired_there_is_no_current_one(client, world, household) -> None:
    await client.post("/api/forms/household/versions/1/retire", headers=world.as_("admin"))
    body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    refused = await client.post("/api/forms/household/submissions", json=body)
    assert refused.json()["current_version"] is None
    assert (await client.get("/api/forms/household")).status_code == 404


async def test_a_restored_version_takes_answers_again(client, world, household) -> None:
    await client.post("/api/forms/household/versions/1/retire", headers=world.as_("designer"))
    again = await client.post(
        "/api/forms/household/versions/1/retire", headers=world.as_("designer")
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_retired")
    restored = await client.post(
        "/api/forms/household/versions/1/restore",
        json={"reason": "误停用"},
        headers=world.as_("designer"),
    )
    assert restored.status_code == 200 and restored.json()["status"] == "published"
    assert restored.json()["restored_by"] == f"user:{world.user_ids['designer']}"
    body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    assert (await client.post("/api/forms/household/submissions", json=body)).status_code == 201
    twice = await client.post("/api/forms/household/versions/1/restore", headers=world.as_("admin"))
    assert (twice.status_code, twice.json()["code"]) == (409, "not_retired")
    actions = [(a[1], a[3]["version"]) for a in await _audit(client, "form.version.re")]
    assert actions == [("form.version.retire", 1), ("form.version.restore", 1)]


async def test_retiring_an_unknown_version_is_404(client, world) -> None:
    response = await client.post(
        "/api/forms/household/versions/9/retire", headers=world.as_("designer")
    )
    assert response.status_code == 404


async def test_versions_list_who_published_each_and_when(client, world) -> None:
    await _household_v2(client, world)
    await client.post("/api/forms/household/versions/1/retire", headers=world.as_("admin"))
    response = await client.get("/api/forms/household/versions", headers=world.as_("designer"))
    assert response.status_code == 200
    v2, v1 = response.json()
    assert (v2["version"], v2["status"], v2["current"]) == (2, "published", True)
    assert v2["published_by_name"] == "测试designer" and v2["published_at"]
    assert (v1["version"], v1["status"], v1["current"]) == (1, "retired", False)
    assert v1["retired_by"] == f"user:{world.user_ids['admin']}" and v1["retired_at"]


# ---------------------------------------------------------------- diff


async def test_diff_between_two_versions_and_the_draft(client, world) -> None:
    await _household_v2(client, world)
    response = await client.get(
        "/api/forms/household/diff?from=1&to=2&lang=en", headers=world.as_("designer")
    )
    assert response.status_code == 200
    (change,) = response.json()["changes"]
    assert change["kind"] == "label_changed" and change["path"] == ""
    assert change["text"] == "the form's title or help: wording changed (description)"

    draft = (await client.get("/api/forms/household/versions/2")).json()["schema"]
    del draft["properties"]["living"]
    await _save(client, world, "household", schema=draft)
    response = await client.get("/api/forms/household/diff?from=2", headers=world.as_("designer"))
    assert [(c["kind"], c["pointer"], c["label"]) for c in response.json()["changes"]] == [
        ("field_removed", "/properties/living", "两不愁三保障")
    ]


async def test_diff_of_a_bad_version_is_400_and_an_unknown_one_404(client, world) -> None:
    bad = await client.get("/api/forms/household/diff?from=x&to=1", headers=world.as_("designer"))
    assert bad.status_code == 400
    unknown = await client.get(
        "/api/forms/household/diff?from=1&to=7", headers=world.as_("designer")
    )
    assert unknown.status_code == 404


# ---------------------------------------------------------------- who may


async def test_only_designers_and_admins_design(client, world) -> None:
    for persona, wanted in (
        ("designer", 201),
        ("admin", 200),
        ("official", 403),
        ("cadre_a", 403),
        ("household", 403),
        ("anonymous", 401),
    ):
        response = await client.put(
            DRAFT.format("water"), json={"schema": _small()}, headers=world.as_(persona)
        )
        assert response.status_code == wanted, (persona, response.text)
    for persona in ("official", "cadre_a"):
        response = await _publish(client, world, "water", persona=persona)
        assert response.status_code == 403
    assert (await _publish(client, world, "water", persona="admin")).status_code == 201


async def test_the_check_runs_beside_the_event_loop(monkeypatch) -> None:
    """The check of a big form takes a second or two: the server keeps answering meanwhile,
    because the loop is free (here it ticks on while a check sleeps in its thread)."""
    from server import form_design

    real = form_design.parse_schema

    def slow(text_: str, source: str) -> Any:
        time.sleep(1.0)
        return real(text_, source)

    monkeypatch.setattr(form_design, "parse_schema", slow)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.ensure_future(tick())
    checked = await form_design.check_text(json.dumps(_small()))
    ticking.cancel()
    assert checked.schema == _small()
    assert ticks >= 20  # on the loop, the check would have stopped it for the whole second
