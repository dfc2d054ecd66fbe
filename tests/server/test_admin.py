"""The administrator's pages, used as a browser without JavaScript would, and their API."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiosqlite

from server import audit
from server.auth import Principal
from server.households import HouseholdCreate, propose_household
from tests.world import PASSWORD, VILLAGE_A, World


async def _browser_as(client: Any, username: str = "admin") -> str:
    """Log the client in with a session cookie, as a browser; its CSRF token."""
    client.headers.pop("Authorization", None)
    client.cookies.clear()
    login = await client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert login.status_code == 201, login.text
    return str(login.json()["csrf_token"])


async def _post(client: Any, url: str, csrf: str, **fields: str) -> Any:
    return await client.post(url, data={"_csrf": csrf, **fields}, follow_redirects=False)


def _forms(html: str) -> list[str]:
    return re.findall(r'<form method="post".*?</form>', html, re.S)


async def _propose(client: Any, world: World, head: str, village: str = VILLAGE_A) -> str:
    cadre = Principal("user", user_id=world.user_ids["cadre_a"], role="cadre", name="a")
    body = HouseholdCreate(id=uuid.uuid4(), village_code=village, head_name=head, category="out")
    record, _ = await propose_household(client.app.state.db, cadre, body)
    return record.id


async def test_every_post_form_of_the_pages_carries_the_csrf_field(client, world) -> None:
    await _propose(client, world, "新户丁")
    csrf = await _browser_as(client)
    cadre = world.user_ids["cadre_a"]
    pages = [
        "/",
        "/account",
        "/admin",
        "/admin/people",
        "/admin/people/new?place=620523000000",
        f"/admin/people/{cadre}",
        "/admin/pairings",
        f"/admin/pairings/{cadre}?place={VILLAGE_A}",
        "/admin/audit",
        "/households/proposed",
    ]
    seen = 0
    for url in pages:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-store"
        for form in _forms(response.text):
            assert f'<input type="hidden" name="_csrf" value="{csrf}">' in form, (url, form)
            seen += 1
    assert seen >= 12


async def test_adding_an_official_with_their_place_picked_from_the_tree(client, world) -> None:
    csrf = await _browser_as(client)
    page = (await client.get("/admin/people/new?place=620523000000")).text
    assert "甘肃省" in page and "甘谷县" in page  # the way down, from the province
    assert 'href="/admin/people/new?place=620523102000&amp;lang=zh"' in page  # a township
    assert '<input type="hidden" name="place_code" value="620523000000">' in page

    added = await _post(
        client,
        "/admin/people",
        csrf,
        username="official2",
        name="县局干部乙",
        role="official",
        place_code="620523000000",
        unit="乡村振兴局",
        phone="13800000000",
        password="long-enough-1",
    )

    assert added.status_code == 303
    person = (await client.get(added.headers["location"])).text
    assert "县局干部乙" in person and "甘谷县" in person and "账号已添加" in person
    client.cookies.clear()
    login = await client.post(
        "/api/session", json={"username": "official2", "password": "long-enough-1"}
    )
    assert login.json()["place_code"] == "620523000000"


async def test_a_wrong_value_shows_the_form_again_with_the_problem(client, world) -> None:
    csrf = await _browser_as(client)
    fields = {"username": "official3", "name": "某干部", "role": "official", "password": "pw"}

    no_place = await _post(client, "/admin/people", csrf, **fields)
    taken = await _post(
        client,
        "/admin/people",
        csrf,
        **{**fields, "username": "cadre_b", "role": "cadre", "password": "long-enough-1"},
    )

    assert no_place.status_code == 422
    assert "主管干部须指定所辖地区" in no_place.text
    assert 'value="official3"' in no_place.text  # what was typed stays ...
    assert 'value="pw"' not in no_place.text  # ... but a password is never sent back
    assert taken.status_code == 409 and "cadre_b 已被使用" in taken.text
    everyone = (await client.get("/api/users", headers=world.as_("admin"))).json()
    assert "official3" not in {u["username"] for u in everyone}


async def test_disabling_someone_stops_them_at_once_and_enabling_lets_them_back(
    client, world
) -> None:
    csrf = await _browser_as(client)
    cadre = world.user_ids["cadre_b"]
    assert (await client.get("/api/me", headers=world.as_("cadre_b"))).status_code == 200

    off = await _post(client, f"/admin/people/{cadre}/active", csrf, active="0")

    assert off.status_code == 303
    assert "已停用" in (await client.get(off.headers["location"])).text
    assert (await client.get("/api/me", headers=world.as_("cadre_b"))).status_code == 401
    on = await _post(client, f"/admin/people/{cadre}/active", csrf, active="1")
    assert on.status_code == 303
    assert (await client.get("/api/me", headers=world.as_("cadre_b"))).status_code == 200


async def test_an_admin_cannot_disable_their_own_account(client, world) -> None:
    csrf = await _browser_as(client)
    mine = await _post(client, f"/admin/people/{world.user_ids['admin']}/active", csrf, active="0")
    assert mine.status_code == 409 and "不能停用自己的账号" in mine.text
    assert (await client.get("/admin")).status_code == 200


async def test_a_new_password_from_the_admin(client, world) -> None:
    csrf = await _browser_as(client)
    cadre = world.user_ids["cadre_b"]

    short = await _post(client, f"/admin/people/{cadre}/password", csrf, password="short")
    done = await _post(client, f"/admin/people/{cadre}/password", csrf, password="reset-pass-9")

    assert short.status_code == 422 and "至少 8 个字符" in short.text
    assert done.status_code == 303
    client.cookies.clear()
    for password, status in ((PASSWORD, 401), ("reset-pass-9", 201)):
        login = await client.post(
            "/api/session", json={"username": "cadre_b", "password": password}
        )
        assert login.status_code == status


async def test_a_token_is_shown_once_and_can_be_revoked(client, world) -> None:
    csrf = await _browser_as(client)
    cadre = world.user_ids["cadre_b"]

    made = await _post(client, f"/admin/people/{cadre}/tokens", csrf, name="导出脚本")

    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    token = re.search(r'id="new-token">(mst_[\w-]+)<', made.text)
    assert token, made.text
    script = {"Authorization": f"Bearer {token.group(1)}"}
    assert (await client.get("/api/me", headers=script)).status_code == 200
    page = (await client.get(f"/admin/people/{cadre}")).text
    assert token.group(1) not in page and "导出脚本" in page
    revoke = re.search(rf'action="(/admin/people/{cadre}/tokens/\d+/revoke)[?"]', page)
    assert revoke
    tokens = (await client.get(f"/api/users/{cadre}/tokens", headers=world.as_("admin"))).json()
    named = next(t for t in tokens if t["name"] == "导出脚本")
    gone = await _post(client, f"/admin/people/{cadre}/tokens/{named['id']}/revoke", csrf)
    assert gone.status_code == 303
    assert (await client.get("/api/me", headers=script)).status_code == 401
    assert "已吊销" in (await client.get(f"/admin/people/{cadre}")).text


async def test_pairing_a_cadre_with_a_household_found_in_the_village_roster(client, world) -> None:
    csrf = await _browser_as(client)
    cadre, a1 = world.user_ids["cadre_b"], world.households["A1"]
    head = world.answers["A1"]["household"]["head_name"]
    assert (
        await client.get(f"/api/households/{a1}", headers=world.as_("cadre_b"))
    ).status_code == 404

    found = await client.get(f"/admin/pairings/{cadre}", params={"place": VILLAGE_A, "q": head})

    assert head in found.text
    assert f'<input type="hidden" name="household_id" value="{a1}">' in found.text
    paired = await _post(
        client, f"/admin/pairings/{cadre}", csrf, household_id=a1, place=VILLAGE_A, q=head
    )
    assert paired.status_code == 303
    back = parse_qs(urlsplit(paired.headers["location"]).query)
    assert back["place"] == [VILLAGE_A] and back["q"] == [head]  # to pair the next one
    assert (
        await client.get(f"/api/households/{a1}", headers=world.as_("cadre_b"))
    ).status_code == 200

    pairings = (await client.get("/api/pairings", headers=world.as_("admin"))).json()
    pairing = next(p["id"] for p in pairings if p["cadre_id"] == cadre and p["household_id"] == a1)
    page = (await client.get(f"/admin/pairings/{cadre}")).text
    assert f'action="/admin/pairings/{cadre}/{pairing}/end' in page
    ended = await _post(client, f"/admin/pairings/{cadre}/{pairing}/end", csrf)
    assert ended.status_code == 303
    assert (
        await client.get(f"/api/households/{a1}", headers=world.as_("cadre_b"))
    ).status_code == 404
    history = (await client.get(f"/admin/pairings/{cadre}")).text
    assert "已结束的结对" in history and head in history  # kept, with its dates


async def test_pairing_a_cadre_with_a_whole_village(client, world) -> None:
    csrf = await _browser_as(client)
    cadre = world.user_ids["cadre_b"]  # paired with village B (household B1)
    paired = await _post(client, f"/admin/pairings/{cadre}", csrf, village_code=VILLAGE_A)
    assert paired.status_code == 303
    mine = (await client.get("/api/me/households", headers=world.as_("cadre_b"))).json()
    assert {h["id"] for h in mine} == {world.households[k] for k in ("A1", "A2", "B1")}
    page = (await client.get(f"/admin/pairings/{cadre}?place={VILLAGE_A}")).text
    assert "已整村结对" in page


async def test_an_official_confirms_a_proposed_household_of_their_area(client, world) -> None:
    household = await _propose(client, world, "新户戊")
    other = (await client.get("/households/proposed", headers=world.as_("official_other"))).text
    assert "新户戊" not in other
    cadre = (await client.get("/households/proposed", headers=world.as_("cadre_a"))).text
    assert "新户戊" in cadre and "待主管干部确认" in cadre and "/review" not in cadre

    csrf = await _browser_as(client, "official")
    page = (await client.get("/households/proposed")).text
    assert "新户戊" in page and f'action="/households/{household}/review' in page

    done = await _post(client, f"/households/{household}/review", csrf, decision="confirm")
    again = await _post(client, f"/households/{household}/review", csrf, decision="reject")

    assert done.status_code == 303 and "decision" not in done.headers["location"]
    assert "已确认" in (await client.get(done.headers["location"])).text
    assert again.status_code == 409 and "不是待确认的新增户" in again.text
    record = await client.get(f"/api/households/{household}", headers=world.as_("admin"))
    assert record.json()["status"] == "active"


async def _log_many(client: Any, count: int) -> None:
    async def work(conn: aiosqlite.Connection) -> None:
        for i in range(count):
            await audit.record(conn, audit.Actor("cli", "10.0.0.8"), "test.entry", f"n:{i}")

    await client.app.state.db.write(work)


async def test_the_audit_page_filters_and_goes_back_a_page_at_a_time(client, world) -> None:
    await _log_many(client, 60)
    await _browser_as(client)

    first = (await client.get("/admin/audit", params={"action": "test."})).text
    older = re.search(r'class="button" href="/admin/audit(\?[^"]+)"', first)

    assert first.count("<strong>test.entry</strong>") == 50
    assert "n:59" in first and "n:9<" not in first  # newest first
    assert older and "action=test." in older.group(1).replace("&amp;", "&")
    rest = (await client.get("/admin/audit" + older.group(1).replace("&amp;", "&"))).text
    assert rest.count("<strong>test.entry</strong>") == 10 and "n:0<" in rest
    by_address = (await client.get("/admin/audit", params={"address": "10.0.0.8"})).text
    assert by_address.count("<strong>test.entry</strong>") == 50
    tomorrow = (await client.get("/admin/audit", params={"from": "2999-01-01"})).text
    assert "没有符合条件的记录" in tomorrow
    bad = await client.get("/admin/audit", params={"from": "2026-02-30"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


async def test_the_audit_page_names_people(client, world) -> None:
    await _browser_as(client)
    page = (await client.get("/admin/audit", params={"actor": "admin", "action": "login"})).text
    assert "测试admin" in page and f"user:{world.user_ids['admin']}" in page


async def test_the_audit_api_pages_by_keyset(client, world) -> None:
    await _log_many(client, 5)
    admin = world.as_("admin")
    first = (await client.get("/api/audit?action=test.&limit=3", headers=admin)).json()
    assert [e["target"] for e in first["items"]] == ["n:4", "n:3", "n:2"]
    await _log_many(client, 1)  # a new entry does not shift the next page
    rest = await client.get(
        f"/api/audit?action=test.&limit=3&before={first['next_before']}", headers=admin
    )
    assert [e["target"] for e in rest.json()["items"]] == ["n:1", "n:0"]
    assert rest.json()["next_before"] is None
    bad = await client.get("/api/audit?from=2026-05-02&to=2026-05-01", headers=admin)
    assert bad.status_code == 422 and bad.json()["code"] == "bad_period"


async def test_the_people_api(client, world) -> None:
    admin = world.as_("admin")
    body = {
        "username": "official4",
        "name": "乡镇干部",
        "role": "official",
        "place_code": "620523102000",
        "password": "long-enough-1",
    }
    made = await client.post("/api/users", json=body, headers=admin)
    again = await client.post("/api/users", json=body, headers=admin)
    bad = await client.post("/api/users", json={**body, "username": "x y"}, headers=admin)
    shape = await client.post("/api/users", json={**body, "age": 3}, headers=admin)

    assert made.status_code == 201 and made.json()["place_code"] == "620523102000"
    assert "password_hash" not in made.text
    assert again.status_code == 409
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "/username"
    assert shape.status_code == 400
    user_id = made.json()["id"]
    assert (await client.get(f"/api/users/{user_id}", headers=admin)).json()["name"] == "乡镇干部"
    weak = await client.put(f"/api/users/{user_id}/password", json={"password": "x"}, headers=admin)
    assert weak.status_code == 422
    assert (await client.get("/api/users/999999", headers=admin)).status_code == 404


async def test_openapi_describes_the_admin_api(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    create = doc["paths"]["/api/users"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["username", "name", "role"]
    for path, method, statuses in (
        ("/api/users", "post", ("400", "401", "403", "409", "422")),
        ("/api/users/{user_id}", "patch", ("401", "403", "404")),
        ("/api/users/{user_id}/tokens/{token_id}", "delete", ("401", "403", "404")),
        ("/api/audit", "get", ("400", "401", "403")),
    ):
        responses = doc["paths"][path][method]["responses"]
        for status in statuses:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == error_body, (path, status)
    assert "/admin/people" not in doc["paths"]  # pages are for people, not the API
