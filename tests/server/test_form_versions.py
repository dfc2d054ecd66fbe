from __future__ import annotations

import copy
import json
import logging
import shutil
import sqlite3
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from forms.schema import SURVEYS_DIR, shipped_forms
from server.app import create_app
from server.db import Database
from server.form_versions import get_version, list_forms, publish, publish_shipped
from tests.forms.small_forms import form, group, text


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


# ---------------------------------------------------------------- start-up


async def test_a_broken_survey_file_is_skipped_and_the_others_publish(
    tmp_path, settings, caplog
) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    shutil.copy(SURVEYS_DIR / "household.json", surveys / "household.json")
    (surveys / "typo.json").write_text('{"type": "object",,}', encoding="utf-8")
    unfinishable = form(s=group(q=text()))
    unfinishable["properties"]["s"]["required"] = ["nobody"]
    (surveys / "water.json").write_text(json.dumps(unfinishable), encoding="utf-8")
    settings = replace(settings, surveys_dir=surveys)
    with caplog.at_level(logging.ERROR, logger="minsheng"):
        async with AsyncTestClient(app=create_app(settings)) as client:
            health = await client.get("/healthz")
            assert health.status_code == 200 and health.json()["published_forms"] == 1
            db = client.app.state.db
            assert [f.id for f in await list_forms(db)] == ["household"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "typo.json is not published" in logged and "line 1 column 19" in logged
    assert "water.json is not published" in logged and "/properties/s/required/0" in logged


async def test_start_up_keeps_what_designers_did(settings) -> None:
    """A version retired stays retired, and one published since stays current: start-up
    publishes only content that is new to the form."""
    schema = shipped_forms()["household"]
    db = await Database.open(settings.db_path)
    try:
        assert await publish_shipped(db, "household", schema) == (1, True)
        changed = copy.deepcopy(schema)
        changed["title"] += "（修订）"
        assert await publish(db, "household", changed, actor="designer") == 2
        await db.write(
            lambda conn: conn.execute(
                "UPDATE form_versions SET status = 'retired' WHERE version = 1"
            )
        )
        assert await publish_shipped(db, "household", schema) == (1, False)
        assert (await get_version(db, "household")).version == 2
        assert (await get_version(db, "household", 1)).status == "retired"
    finally:
        await db.close()


async def test_a_published_version_cannot_be_changed_in_the_database(settings) -> None:
    db = await Database.open(settings.db_path)
    try:
        await publish(db, "household", shipped_forms()["household"], actor="t")
        with pytest.raises(sqlite3.IntegrityError, match="never changes"):
            await db.write(
                lambda conn: conn.execute(
                    "UPDATE form_versions SET schema = '{}' WHERE version = 1"
                )
            )
    finally:
        await db.close()
