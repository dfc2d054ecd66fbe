"""Logging in and out, sessions, tokens, CSRF, caching and the audit of it all."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.accounts import MAX_FAILURES_ACCOUNT
from server.app import create_app
from server.auth import SESSION_COOKIE
from server.settings import Settings
from server.testing import live_server
from tests.world import PASSWORD, VILLAGE_A, World, build_world, seed_file

URL = "/api/forms/household/submissions"
NO_TOKEN = {"Authorization": ""}


async def _log_in(client: Any, username: str = "cadre_a", password: str = PASSWORD) -> Any:
    return await client.post(
        "/api/session", json={"username": username, "password": password}, headers=NO_TOKEN
    )


def _cookie_of(response: Any) -> str:
    return str(response.cookies[SESSION_COOKIE])


def _as_session(cookie: str, csrf: str | None = None) -> dict[str, str]:
    headers = {**NO_TOKEN, "Cookie": f"{SESSION_COOKIE}={cookie}"}
    return {**headers, "X-CSRF-Token": csrf} if csrf else headers


async def _me(client: Any, cookie: str) -> int:
    client.cookies.clear()
    return int((await client.get("/api/me", headers=_as_session(cookie))).status_code)


async def _audit(client: Any, world: World, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/api/audit", params=params, headers=world.as_("admin"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# ---------------------------------------------------------------- the cookie


async def test_login_sets_an_httponly_samesite_lax_cookie(client) -> None:
    for response in (
        await _log_in(client),
        await client.post(
            "/login",
            data={"username": "cadre_a", "password": PASSWORD},
            headers=NO_TOKEN,
            follow_redirects=False,
        ),
    ):
        assert response.status_code in (201, 303)
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # plain http: a Secure cookie would never come back


async def test_login_over_https_sets_a_secure_cookie(settings: Settings, household) -> None:
    async with AsyncTestClient(
        app=create_app(settings), base_url="https://testserver.local"
    ) as client:
        await build_world(client.app.state.db, household)
        response = await _log_in(client)
    assert response.status_code == 201
    assert "secure" in response.headers["set-cookie"].lower()


@pytest.mark.e2e
def test_behind_a_tls_proxy_the_cookie_is_secure(tmp_path: Path, household) -> None:
    """uvicorn believes X-Forwarded-Proto from 127.0.0.1, where the proxy runs."""
    seed_file(tmp_path / "minsheng.db", household)
    with live_server(tmp_path / "minsheng.db") as server:
        cookies = {}
        for proto in ("https", None):
            request = urllib.request.Request(
                f"{server.base}/api/session",
                data=json.dumps({"username": "cadre_a", "password": PASSWORD}).encode(),
                headers={
                    "Content-Type": "application/json",
                    **({"X-Forwarded-Proto": proto} if proto else {}),
                },
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 201
                cookies[proto] = response.headers["set-cookie"].lower()
    assert "secure" in cookies["https"]
    assert "secure" not in cookies[None]


# ---------------------------------------------------------------- logging in


async def test_wrong_password_and_unknown_user_get_the_same_words(client) -> None:
    wrong = await _log_in(client, "cadre_a", "not-the-password")
    unknown = await _log_in(client, "nobody_here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    page_wrong = await client.post(
        "/login", data={"username": "cadre_a", "password": "x"}, headers=NO_TOKEN
    )
    page_unknown = await client.post(
        "/login", data={"username": "nobody_here", "password": "x"}, headers=NO_TOKEN
    )
    assert page_wrong.status_code == page_unknown.status_code == 401
    assert "用户名或密码不对" in page_wrong.text and "用户名或密码不对" in page_unknown.text


async def test_five_failures_on_one_account_then_429_even_with_the_right_password(
    client,
) -> None:
    for _ in range(MAX_FAILURES_ACCOUNT):
        assert (await _log_in(client, "cadre_a", "not-the-password")).status_code == 401

    throttled = await _log_in(client, "cadre_a", PASSWORD)

    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert SESSION_COOKIE not in throttled.cookies
    # The account is throttled, not the address: another account still logs in.
    assert (await _log_in(client, "cadre_b")).status_code == 201


# ---------------------------------------------------------------- sessions end


async def test_logging_out_ends_the_session(client) -> None:
    login = await _log_in(client)
    cookie, csrf = _cookie_of(login), login.json()["csrf_token"]
    assert await _me(client, cookie) == 200

    client.cookies.clear()
    out = await client.delete("/api/session", headers=_as_session(cookie, csrf))

    assert out.status_code == 204
    assert await _me(client, cookie) == 401  # the old cookie, sent again, is no one


async def test_the_logout_form_ends_the_session(client) -> None:
    login = await _log_in(client)
    cookie, csrf = _cookie_of(login), login.json()["csrf_token"]
    client.cookies.clear()
    out = await client.post(
        "/logout", data={"_csrf": csrf}, headers=_as_session(cookie), follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"].startswith("/login")
    assert await _me(client, cookie) == 401


async def test_a_password_change_ends_the_other_sessions(client) -> None:
    phone, laptop = await _log_in(client), await _log_in(client)
    phone_cookie, laptop_cookie = _cookie_of(phone), _cookie_of(laptop)
    assert await _me(client, phone_cookie) == 200 and await _me(client, laptop_cookie) == 200

    client.cookies.clear()
    changed = await client.post(
        "/api/me/password",
        json={"current": PASSWORD, "new": "a-new-password-2"},
        headers=_as_session(laptop_cookie, laptop.json()["csrf_token"]),
    )

    assert changed.status_code == 204
    assert await _me(client, phone_cookie) == 401
    assert (await _log_in(client, "cadre_a", PASSWORD)).status_code == 401
    assert (await _log_in(client, "cadre_a", "a-new-password-2")).status_code == 201


async def test_a_revoked_token_gets_401_at_once(client, world) -> None:
    made = await client.post(
        f"/api/users/{world.user_ids['cadre_b']}/tokens",
        json={"name": "survey script"},
        headers=world.as_("admin"),
    )
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    token = made.json()["token"]
    script = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/me", headers=script)).json()["username"] == "cadre_b"

    revoked = await client.delete(
        f"/api/users/{world.user_ids['cadre_b']}/tokens/{made.json()['id']}",
        headers=world.as_("admin"),
    )

    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = await client.get("/api/me", headers=script)
    assert refused.status_code == 401 and refused.json()["code"] == "bad_token"


async def test_a_disabled_account_is_refused_at_once(client, world) -> None:
    login = await _log_in(client, "cadre_b")
    cookie = _cookie_of(login)
    assert await _me(client, cookie) == 200

    disabled = await client.patch(
        f"/api/users/{world.user_ids['cadre_b']}",
        json={"active": False},
        headers=world.as_("admin"),
    )

    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert await _me(client, cookie) == 401
    assert (await client.get("/api/me", headers=world.as_("cadre_b"))).status_code == 401
    assert (await _log_in(client, "cadre_b")).status_code == 401


# ---------------------------------------------------------------- CSRF and caching


async def test_a_cookie_write_without_the_csrf_token_is_403(client, world) -> None:
    login = await _log_in(client)
    cookie, csrf = _cookie_of(login), login.json()["csrf_token"]
    stored = (await client.app.state.db.fetch_one("SELECT count(*) FROM submissions"))[0]

    def answer() -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "version": 1,
            "answers": world.answer("A1"),
            "household_id": world.households["A1"],
        }

    client.cookies.clear()
    bare = await client.post(URL, json=answer(), headers=_as_session(cookie))
    wrong = await client.post(URL, json=answer(), headers=_as_session(cookie, "x" * 32))

    assert bare.status_code == wrong.status_code == 403
    assert bare.json()["code"] == "csrf"
    after = (await client.app.state.db.fetch_one("SELECT count(*) FROM submissions"))[0]
    assert after == stored
    ok = await client.post(URL, json=answer(), headers=_as_session(cookie, csrf))
    assert ok.status_code == 201


async def test_responses_with_personal_data_are_not_stored(client, world) -> None:
    sid = str(uuid.uuid4())
    stored = await client.post(
        URL,
        json={
            "id": sid,
            "version": 1,
            "answers": world.answer("A1"),
            "household_id": world.households["A1"],
        },
    )
    assert stored.status_code == 201
    login = await _log_in(client, "admin")
    session = _as_session(_cookie_of(login))
    for url in (
        f"/api/submissions/{sid}",
        "/api/needs",
        "/api/needs/1",
        "/api/me/needs",
        f"/api/households/{world.households['A1']}",
        "/api/households",
        f"{URL}?village_code={VILLAGE_A}",
        "/api/me/households",
        "/api/users",
        "/api/audit",
        "/",
        "/admin/people",
        "/households/proposed",
    ):
        for headers in (world.as_("admin"), session):
            client.cookies.clear()
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.text)
            assert "no-store" in response.headers["cache-control"], url


# ---------------------------------------------------------------- the audit log


async def test_the_audit_log_records_logins_failures_with_their_address_and_logouts(
    client, world
) -> None:
    assert (await _log_in(client, "cadre_a", "not-the-password")).status_code == 401
    login = await _log_in(client)
    client.cookies.clear()
    out = await client.delete(
        "/api/session", headers=_as_session(_cookie_of(login), login.json()["csrf_token"])
    )
    assert out.status_code == 204
    cadre = f"user:{world.user_ids['cadre_a']}"

    entries = await _audit(client, world, action="log")

    assert [e["action"] for e in entries] == ["logout", "login", "login.fail"]
    assert all(e["address"] == "testclient" for e in entries)
    logout, login_entry, failed = entries
    assert failed["actor"] == "anonymous" and failed["target"] == "username:cadre_a"
    assert login_entry["actor"] == logout["actor"] == cadre
    assert login_entry["actor_name"] == "测试cadre_a"
    assert [e["action"] for e in await _audit(client, world, action="login")] == [
        "login",
        "login.fail",
    ]
    assert [e["action"] for e in await _audit(client, world, actor="cadre_a")] == [
        "logout",
        "login",
    ]
    assert await _audit(client, world, address="10.9.9.9") == []
