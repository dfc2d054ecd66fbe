from __future__ import annotations

import copy

from forms.schema import shipped_forms
from server.db import Database
from server.form_versions import get_version, publish


async def test_list_shows_the_household_form(client) -> None:
    response = await client.get("/api/forms")
    assert response.status_code == 200
    forms = {f["id"]: f for f in response.json()}
    assert forms["household"]["version"] == 1
    assert forms["household"]["title"] == shipped_forms()["household"]["title"]


async def test_current_and_numbered_version_carry_the_schema(client) -> None:
    current = (await client.get("/api/forms/household")).json()
    numbered = (await client.get("/api/forms/household/versions/1")).json()
    assert current == numbered
    assert current["schema"] == shipped_forms()["household"]
    assert current["status"] == "published"


async def test_unknown_form_and_version_are_404(client) -> None:
    assert (await client.get("/api/forms/nope")).status_code == 404
    response = await client.get("/api/forms/household/versions/7")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_publishing_unchanged_schema_keeps_the_version(settings) -> None:
    db = await Database.open(settings.db_path)
    try:
        schema = shipped_forms()["household"]
        assert await publish(db, "household", schema, actor="t") == 1
        assert await publish(db, "household", schema, actor="t") == 1
    finally:
        await db.close()


async def test_changed_schema_becomes_a_new_version_and_old_stays(settings) -> None:
    db = await Database.open(settings.db_path)
    try:
        schema = shipped_forms()["household"]
        await publish(db, "household", schema, actor="designer")
        changed = copy.deepcopy(schema)
        changed["title"] = schema["title"] + "（修订）"
        assert await publish(db, "household", changed, actor="designer") == 2
        assert (await get_version(db, "household")).version == 2
        assert (await get_version(db, "household", 1)).schema == schema
        audit = await db.fetch_all(
            "SELECT actor, action FROM audit_log WHERE target = 'form:household' ORDER BY id"
        )
        assert [tuple(r) for r in audit] == [("designer", "form.version.publish")] * 2
    finally:
        await db.close()


async def test_stored_version_keeps_the_order_of_questions(client) -> None:
    schema = (await client.get("/api/forms/household/versions/1")).json()["schema"]
    shipped = shipped_forms()["household"]
    assert list(schema["properties"]) == list(shipped["properties"])
    members = schema["properties"]["members"]["items"]["properties"]
    assert list(members) == list(shipped["properties"]["members"]["items"]["properties"])


async def test_moving_a_question_publishes_a_new_version(settings) -> None:
    db = await Database.open(settings.db_path)
    try:
        schema = shipped_forms()["household"]
        await publish(db, "household", schema, actor="designer")
        moved = copy.deepcopy(schema)
        moved["properties"] = dict(reversed(list(schema["properties"].items())))
        assert await publish(db, "household", moved, actor="designer") == 2
    finally:
        await db.close()
