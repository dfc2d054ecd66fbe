from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import new_id
from tests.world import A1, VILLAGE_B, build_world

URL = "/api/forms/household/submissions"


async def _count(client: AsyncTestClient[Any]) -> int:
    response = await client.get(URL)
    assert response.status_code == 200
    return int(response.json()["total"])


async def test_valid_answer_is_stored_and_read_back(client, household) -> None:
    sid = new_id()
    response = await client.post(
        URL, json={"id": sid, "version": 1, "answers": household, "household_id": A1}
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["id"] == sid and stored["version"] == 1
    assert stored["village_code"] == household["household"]["village_code"]
    assert stored["answers"] == household
    assert stored["household_id"] == A1
    assert stored["submitted_by"] == "user:" + str(client.app.state.world.user_ids["cadre_a"])

    again = await client.get(f"/api/submissions/{sid}")
    assert again.status_code == 200
    assert again.json() == stored


async def test_same_id_and_body_again_is_200_and_one_copy(client, household) -> None:
    body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    first = await client.post(URL, json=body)
    second = await client.post(URL, json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert await _count(client) == 1


async def test_same_id_with_other_body_is_409_and_first_kept(client, household) -> None:
    sid = new_id()
    assert (
        await client.post(
            URL, json={"id": sid, "version": 1, "answers": household, "household_id": A1}
        )
    ).status_code == 201
    changed = json.loads(json.dumps(household))
    changed["survey"]["surveyor"] = "另一个人"
    response = await client.post(
        URL, json={"id": sid, "version": 1, "answers": changed, "household_id": A1}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "id_conflict"
    kept = (await client.get(f"/api/submissions/{sid}")).json()
    assert kept["answers"]["survey"]["surveyor"] == household["survey"]["surveyor"]


async def test_invalid_answers_get_422_with_every_error_in_chinese(client, household) -> None:
    del household["survey"]["date"]
    household["members"][0]["id_number"] = "12345"
    response = await client.post(
        URL, json={"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    )
    assert response.status_code == 422
    errors = {e["path"]: e for e in response.json()["errors"]}
    assert errors["/survey/date"]["code"] == "required"
    assert errors["/survey/date"]["message"] == "此项必填"
    assert errors["/members/0/id_number"]["code"] == "pattern"
    assert await _count(client) == 0


async def test_invalid_answers_in_english_when_asked(client, household) -> None:
    del household["survey"]["date"]
    response = await client.post(
        URL,
        json={"id": new_id(), "version": 1, "answers": household, "household_id": A1},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert response.status_code == 422
    errors = {e["path"]: e["message"] for e in response.json()["errors"]}
    assert errors["/survey/date"] == "This field is required"


async def test_form_rule_error_is_reported_at_its_field(client, household) -> None:
    member = household["members"][0]
    idn = member["id_number"]
    wrong = "0" if idn[-1] != "0" else "1"
    member["id_number"] = idn[:-1] + wrong
    response = await client.post(
        URL, json={"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    )
    assert response.status_code == 422
    paths = {(e["path"], e["code"]) for e in response.json()["errors"]}
    assert ("/members/0/id_number", "id_number.check_digit") in paths


async def test_hidden_question_value_is_rejected(client, household) -> None:
    member = household["members"][0]
    member["health"] = "healthy"
    for key in ("disease", "disability_type", "disability_grade"):
        member.pop(key, None)
    member["disease"] = "高血压"
    response = await client.post(
        URL, json={"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    )
    assert response.status_code == 422
    paths = {(e["path"], e["code"]) for e in response.json()["errors"]}
    assert ("/members/0/disease", "not_applicable") in paths


async def test_malformed_json_is_400_naming_the_line(client) -> None:
    response = await client.post(
        URL, content=b'{"id": "x",\n "version": }', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert "第 2 行" in response.json()["detail"]
    english = await client.post(
        URL,
        content=b'{"id": "x",\n "version": }',
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert "line 2 column 13" in english.json()["detail"]


async def test_body_missing_fields_is_400(client) -> None:
    response = await client.post(URL, json={"version": 1, "answers": {}})
    assert response.status_code == 400
    assert "id" in response.json()["detail"]


async def test_id_that_is_not_a_uuid_is_400(client, household) -> None:
    response = await client.post(
        URL, json={"id": "abc", "version": 1, "answers": household, "household_id": A1}
    )
    assert response.status_code == 400


async def test_body_over_the_limit_is_413(client, household) -> None:
    household["needs"] = [{"description": "x" * 2_000_000}]
    response = await client.post(
        URL, json={"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    )
    assert response.status_code == 413
    assert await _count(client) == 0


async def test_wrong_content_type_is_415(client) -> None:
    response = await client.post(URL, content=b"id=1", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


async def test_unknown_form_is_404(client, household) -> None:
    response = await client.post(
        "/api/forms/nope/submissions",
        json={"id": new_id(), "version": 1, "answers": household, "household_id": A1},
    )
    assert response.status_code == 404
    assert (await client.get("/api/forms/nope/submissions")).status_code == 404


async def test_unknown_version_is_404(client, household) -> None:
    response = await client.post(
        URL, json={"id": new_id(), "version": 99, "answers": household, "household_id": A1}
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "找不到调查表 'household' 的第 99 版"


async def test_unknown_submission_is_404(client) -> None:
    assert (await client.get(f"/api/submissions/{new_id()}")).status_code == 404


async def test_list_is_paginated_and_filtered_by_village(client, world) -> None:
    for key in ("A1", "A1", "A2", "B1"):
        body = {"id": new_id(), "version": 1, "answers": world.answer(key)}
        body["household_id"] = world.households[key]
        assert (await client.post(URL, json=body, headers=world.as_("admin"))).status_code == 201
    admin = world.as_("admin")
    page = (await client.get(URL, params={"limit": 2}, headers=admin)).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    rest = (await client.get(URL, params={"limit": 2, "offset": 2}, headers=admin)).json()
    assert len(rest["items"]) == 2
    ids = {i["id"] for i in page["items"]} | {i["id"] for i in rest["items"]}
    assert len(ids) == 4
    only = (await client.get(URL, params={"village_code": VILLAGE_B}, headers=admin)).json()
    assert only["total"] == 1 and only["items"][0]["village_code"] == VILLAGE_B


async def test_each_reader_lists_only_the_answers_of_their_area(client, world) -> None:
    for key in ("A1", "A2", "B1", "C1"):
        body = {"id": new_id(), "version": 1, "answers": world.answer(key)}
        body["household_id"] = world.households[key]
        assert (await client.post(URL, json=body, headers=world.as_("admin"))).status_code == 201
    seen = {}
    for persona in ("admin", "official", "official_other", "cadre_a", "cadre_b", "cadre_c"):
        page = (await client.get(URL, headers=world.as_(persona))).json()
        seen[persona] = sorted(i["household_id"] for i in page["items"])
    h = world.households
    assert seen["admin"] == sorted(h.values())
    assert seen["official"] == sorted([h["A1"], h["A2"], h["B1"]])
    assert seen["official_other"] == [h["C1"]]
    assert seen["cadre_a"] == sorted([h["A1"], h["A2"]])
    assert seen["cadre_b"] == [h["B1"]]
    assert seen["cadre_c"] == [h["C1"]]
    assert (await client.get(URL, headers=world.as_("anonymous"))).status_code == 401


async def test_bad_page_size_is_400_not_500(client) -> None:
    response = await client.get(URL, params={"limit": 0})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("请求有误: limit: ")


async def test_submission_write_is_audited(client, household, settings) -> None:
    import sqlite3

    sid = new_id()
    await client.post(URL, json={"id": sid, "version": 1, "answers": household, "household_id": A1})
    with sqlite3.connect(settings.db_path) as conn:
        actions = [
            r[0]
            for r in conn.execute(
                "SELECT action FROM audit_log WHERE target = ?", (f"submission:{sid}",)
            )
        ]
    # Then what the answer did to its household's needs ledger, when it lists needs.
    assert actions == ["submission.create", "need.sync"][: 1 + bool(household.get("needs"))]


async def test_bodies_of_the_wrong_shape_are_400_never_500(client, household) -> None:
    sid = new_id()
    for body in (
        [1, 2],
        {"id": sid, "version": "one", "answers": household, "household_id": A1},
        {"id": sid, "version": 1, "answers": [household]},
        {"id": sid, "version": 1, "answers": household, "household_id": A1, "extra": True},
    ):
        response = await client.post(URL, json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == "bad_body"
    response = await client.post(
        URL, content=b"\xff\xfe{}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert await _count(client) == 0


async def test_concurrent_resends_store_one_copy(client, household) -> None:
    import asyncio

    body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    responses = await asyncio.gather(*(client.post(URL, json=body) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert await _count(client) == 1


async def test_derived_income_is_computed_by_the_server(client, household) -> None:
    income = household["income"]
    transfers = sum((income.get("transfers") or {}).values())
    expected = (
        income["wages"]
        + income["business_income"]
        - income["business_expense"]
        + income["property_income"]
        + transfers
    )
    response = await client.post(
        URL, json={"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    )
    derived = response.json()["derived"]
    assert derived["net_income"] == expected
    assert derived["per_capita_income"] == round(expected / len(household["members"]), 2)


async def test_errors_other_than_422_follow_the_language_too(client) -> None:
    zh = await client.post(URL, content=b"id=1", headers={"Content-Type": "text/plain"})
    en = await client.post(
        URL, content=b"id=1", headers={"Content-Type": "text/plain", "Accept-Language": "en"}
    )
    assert zh.json()["detail"] == "请以 application/json 格式提交，而不是 text/plain"
    assert en.json()["detail"] == "send the body as application/json, not text/plain"
    missing = await client.get("/api/nothing-here", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json() == {"code": "not_found", "detail": "no such address"}


async def test_numbers_json_has_not_and_unstorable_text_are_400(client, household) -> None:
    sid = new_id()
    good = json.dumps(
        {"id": sid, "version": 1, "answers": household, "household_id": A1}, ensure_ascii=False
    )
    bodies = [
        good.replace('"cultivated_land": ', '"cultivated_land": NaN, "x": ', 1),
        good.replace('"forest_land": ', '"forest_land": Infinity, "y": ', 1),
        good.replace('"wages": ', '"wages": 1e400, "z": ', 1),
        good.replace('"wages": ', '"wages": ' + "9" * 5000 + ', "z": ', 1),
        '{"id": "' + sid + '", "version": 1, "answers": ' + "[" * 100_000 + "]" * 100_000 + "}",
        good.replace('"surveyor": "', '"surveyor": "\\ud800', 1),
    ]
    for body in bodies:
        response = await client.post(
            URL, content=body.encode(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (body[:80], response.text[:200])
        assert response.json()["code"] == "malformed_json"
    assert await _count(client) == 0


async def test_full_width_digits_are_not_digits(client, household) -> None:
    household["household"]["village_code"] = "62" + "０" * 10
    household["members"][0]["id_number"] = "１" * 17 + "X"
    response = await client.post(
        URL, json={"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    )
    assert response.status_code == 422
    codes = {(e["path"], e["code"]) for e in response.json()["errors"]}
    assert ("/household/village_code", "pattern") in codes
    assert ("/members/0/id_number", "pattern") in codes


async def test_integers_beyond_sqlite_are_400_or_404(client, household) -> None:
    huge = 99999999999999999999
    body = {"id": new_id(), "version": huge, "answers": household, "household_id": A1}
    assert (await client.post(URL, json=body)).status_code == 400
    assert (await client.get(f"/api/forms/household/versions/{huge}")).status_code == 404
    assert (await client.get(URL, params={"offset": huge})).status_code == 400


async def test_an_id_stored_for_one_form_conflicts_on_another(client, household) -> None:
    body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    assert (await client.post(URL, json=body)).status_code == 201
    response = await client.post("/api/forms/other/submissions", json=body)
    assert response.status_code == 409


async def test_today_is_the_survey_time_zone_not_the_servers(tmp_path, household) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from server.app import create_app
    from server.settings import Settings

    # Etc/GMT-14 is 26 hours ahead of Etc/GMT+12: its today is always their tomorrow or later.
    ahead = datetime.now(ZoneInfo("Etc/GMT-14")).date().isoformat()
    household["survey"]["date"] = ahead
    for zone, status in (("Etc/GMT-14", 201), ("Etc/GMT+12", 422)):
        settings = Settings(db_path=tmp_path / f"{status}.db", timezone=zone)
        async with AsyncTestClient(app=create_app(settings)) as zoned:
            world = await build_world(zoned.app.state.db, household)
            body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
            response = await zoned.post(URL, json=body, headers=world.as_("cadre_a"))
            assert response.status_code == status, (zone, response.text)


async def test_correction_stores_a_new_revision_and_keeps_the_first(client, household) -> None:
    first = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    assert (await client.post(URL, json=first)).status_code == 201
    fixed = json.loads(json.dumps(household))
    fixed["survey"]["surveyor"] = "更正后的调查人"
    correction = {
        "id": new_id(),
        "version": 1,
        "answers": fixed,
        "household_id": A1,
        "corrects": first["id"],
    }
    response = await client.post(URL, json=correction)
    assert response.status_code == 201, response.text
    assert response.json()["corrects"] == first["id"]
    earlier = (await client.get(f"/api/submissions/{first['id']}")).json()
    assert earlier["corrected_by"] == correction["id"]
    assert earlier["answers"] == household  # the first answer is kept as it was
    again = await client.post(URL, json=correction)  # a resend of the correction
    assert again.status_code == 200
    assert again.json()["corrects"] == first["id"]


async def test_second_correction_of_the_same_answer_is_409(client, household) -> None:
    first = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    await client.post(URL, json=first)
    one = {
        "id": new_id(),
        "version": 1,
        "answers": household,
        "household_id": A1,
        "corrects": first["id"],
    }
    two = {
        "id": new_id(),
        "version": 1,
        "answers": household,
        "household_id": A1,
        "corrects": first["id"],
    }
    assert (await client.post(URL, json=one)).status_code == 201
    response = await client.post(URL, json=two)
    assert response.status_code == 409
    assert response.json()["code"] == "already_corrected"
    assert one["id"] in response.json()["detail"]
    # Correcting the correction is how a second fix is made.
    two["corrects"] = one["id"]
    assert (await client.post(URL, json=two)).status_code == 201


async def test_correction_of_an_unknown_answer_is_422_and_nothing_stored(client, household) -> None:
    body = {
        "id": new_id(),
        "version": 1,
        "answers": household,
        "household_id": A1,
        "corrects": new_id(),
    }
    response = await client.post(URL, json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "corrects_unknown"
    assert await _count(client) == 0


async def test_same_id_claiming_another_correction_is_a_conflict(client, household) -> None:
    first = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    await client.post(URL, json=first)
    sid = new_id()
    plain = await client.post(
        URL, json={"id": sid, "version": 1, "answers": household, "household_id": A1}
    )
    assert plain.status_code == 201
    response = await client.post(
        URL,
        json={
            "id": sid,
            "version": 1,
            "answers": household,
            "household_id": A1,
            "corrects": first["id"],
        },
    )
    assert response.status_code == 409
    assert response.json()["code"] == "id_conflict"


async def test_an_answer_hashed_the_old_way_is_still_recognised_on_resend(
    client, household, settings
) -> None:
    import hashlib
    import sqlite3

    from forms.schema import canonical_json
    from server.submissions import body_material

    # json and msgspec spell this float differently (1e-07 and 1e-7)
    household["production"]["cultivated_land"] = 1e-07
    household["production"].pop("irrigated_land", None)
    body = {"id": new_id(), "version": 1, "answers": household, "household_id": A1}
    assert (await client.post(URL, json=body)).status_code == 201
    old = hashlib.sha256(
        canonical_json(body_material(1, household, household_id=A1)).encode()
    ).hexdigest()
    with sqlite3.connect(settings.db_path) as conn:  # as stored before msgspec hashed bodies
        conn.execute("UPDATE submissions SET body_hash = ? WHERE id = ?", (old, body["id"]))
    conn.close()
    again = await client.post(URL, json=body)
    assert again.status_code == 200, again.text
    household["production"]["cultivated_land"] = 2e-07
    other = await client.post(URL, json=body)
    assert other.status_code == 409
