"""Logging in and out, and changing one's password: pages for people, JSON for scripts.

A login checks the password (argon2id, off the event loop) and starts a session:
a random token in an HttpOnly, SameSite=Lax cookie (Secure over TLS), its hash
in the database, valid MINSHENG_SESSION_DAYS so a cadre can keep working
offline that long. Failed attempts are counted per account and per address;
past the limits the next try waits (429 with Retry-After) whatever the password.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect

from server import audit
from server.auth import LINK_COOKIE, SESSION_COOKIE, Principal, check_origin, forget, session_expiry
from server.authz import require
from server.db import Database, now_iso, query
from server.errors import AppError, documented_errors, zh_en
from server.html import render_page
from server.http import documented_body, json_body, request_lang
from server.settings import Settings
from server.users import (
    ROLE_NAMES,
    User,
    password_hash_of,
    password_matches,
    set_password,
    token_hash,
)

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_ACCOUNT = 5
MAX_FAILURES_ADDRESS = 30
# Checked against when the username is unknown, so an unknown name takes as long as a
# wrong password and the time does not tell which names exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
    "Gq1Fq0vZ1PpsOa7q0VGmmm8JrE6XQ2uQ4Uu1tC5yR9k"
)


class Login(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current: str
    new: str


class Me(msgspec.Struct):
    kind: str
    username: str
    name: str
    role: str
    place_code: str | None
    household_id: str | None
    form_id: str | None
    csrf_token: str | None
    expires_at: str | None


def me(principal: Principal) -> Me:
    return Me(
        kind=principal.kind,
        username=principal.username,
        name=principal.name,
        role=principal.role,
        place_code=principal.place_code,
        household_id=principal.household_id,
        form_id=principal.form_id,
        csrf_token=principal.csrf,
        expires_at=principal.expires_at,
    )


def _since(delta: timedelta) -> str:
    at = datetime.now(UTC) - delta
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _throttled(db: Database, username: str, address: str) -> int | None:
    """Seconds to wait before another try, when the limits are reached; else None."""
    since = _since(FAILURE_WINDOW)
    row = await db.fetch_one(
        "SELECT (SELECT count(*) FROM login_failures WHERE username = ? AND at > ?),"
        " (SELECT count(*) FROM login_failures WHERE address = ? AND at > ?),"
        " (SELECT min(at) FROM login_failures WHERE (username = ? OR address = ?) AND at > ?)",
        (username, since, address, since, username, address, since),
    )
    if row[0] < MAX_FAILURES_ACCOUNT and row[1] < MAX_FAILURES_ADDRESS:
        return None
    oldest = datetime.fromisoformat(row[2].replace("Z", "+00:00"))
    return max(1, int((oldest + FAILURE_WINDOW - datetime.now(UTC)).total_seconds()) + 1)


async def log_in(
    db: Database,
    settings: Settings,
    username: str,
    password: str,
    address: str,
    user_agent: str,
) -> tuple[User, str, str, str]:
    """Check a password and start a session: (user, session token, csrf token, expires at).

    Raises 429 when throttled, 401 for a wrong name or password (the same words for both).
    """
    username = username.strip()[:40]
    wait = await _throttled(db, username, address)
    if wait is not None:
        raise AppError(
            429,
            "too_many_attempts",
            zh_en(
                f"登录失败次数过多，请 {wait} 秒后再试",
                f"too many failed logins; try again in {wait} s",
            ),
            headers={"Retry-After": str(wait)},
        )
    found = await password_hash_of(db, username)
    ok = await password_matches(found[1] if found else _DUMMY_HASH, password)
    if not (found and ok and found[0].active):

        async def failed(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)",
                (username, address, now_iso()),
            )
            await conn.execute(
                "DELETE FROM login_failures WHERE at < ?", (_since(timedelta(days=1)),)
            )
            await audit.record(
                conn, audit.Actor("anonymous", address), "login.fail", f"username:{username}"
            )

        await db.write(failed)
        raise AppError(
            401,
            "bad_login",
            zh_en("用户名或密码不对", "wrong username or password"),
        )
    user = found[0]
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    expires = session_expiry(settings.session_days)

    async def start(conn: aiosqlite.Connection) -> None:
        await conn.execute("DELETE FROM login_failures WHERE username = ?", (username,))
        await conn.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at,"
            " address, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash(token), user.id, csrf, now_iso(), expires, address, user_agent[:200]),
        )
        await audit.record(
            conn, audit.Actor(f"user:{user.id}", address), "login", f"user:{user.id}"
        )

    await db.write(start)
    return user, token, csrf, expires


async def log_out(db: Database, principal: Principal, token: str) -> None:
    digest = token_hash(token)

    async def end(conn: aiosqlite.Connection) -> None:
        rows = await query(
            conn,
            "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL"
            " RETURNING user_id",
            (now_iso(), digest),
        )
        if rows:
            await audit.record(conn, principal.actor, "logout", f"user:{rows[0]['user_id']}")

    await db.write(end)
    forget(digest)


def _session_cookie(request: Request[Any, Any, Any], token: str, expires: str | None) -> Cookie:
    max_age = None
    if expires:
        ends = datetime.fromisoformat(expires.replace("Z", "+00:00"))
        max_age = max(0, int((ends - datetime.now(UTC)).total_seconds()))
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=0 if not token else max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def _next(raw: Any) -> str:
    """Where to go after logging in: a path on this site only."""
    target = raw if isinstance(raw, str) else ""
    # "//host" and "/\host" both leave the site in a browser.
    local = target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target
    return target if local else "/"


def _login_page(
    request: Request[Any, Any, Any],
    status: int = 200,
    error: str = "",
    username: str = "",
    next_url: str = "/",
) -> Response[str]:
    return render_page(
        request,
        "login.html",
        status_code=status,
        error=error,
        username=username,
        next_url=next_url,
        request_changed=request.query_params.get("changed") == "1",
    )


_ERRORS = documented_errors(
    {401: "wrong username or password", 403: "from another site", 429: "too many failed logins"}
)


class AccountController(Controller):
    tags = ("accounts",)

    @get("/login", include_in_schema=False)
    async def login_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        """The login page; ?next= says where to go afterwards."""
        return _login_page(request, next_url=_next(request.query_params.get("next")))

    @post("/login", include_in_schema=False, status_code=303, opt={"csrf": False})
    async def login_form(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        """The login form: a session cookie and back to where the person was going."""
        check_origin(request)
        form = await request.form()
        username, password = str(form.get("username") or ""), str(form.get("password") or "")
        next_url = _next(form.get("next"))
        try:
            _, token, _, expires = await log_in(
                db,
                settings,
                username,
                password,
                _address(request),
                request.headers.get("user-agent", ""),
            )
        except AppError as exc:
            if exc.status in (401, 429):
                return _login_page(
                    request, exc.status, exc.detail_in(request_lang(request)), username, next_url
                )
            raise
        response: Response[Any] = Redirect(next_url, status_code=303)
        response.set_cookie(_session_cookie(request, token, expires))
        response.delete_cookie(LINK_COOKIE)
        return response

    @post("/logout", include_in_schema=False, status_code=303)
    async def logout_form(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[Any]:
        """End this session; back to the login page."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await log_out(db, principal, token)
        response: Response[Any] = Redirect(f"/login?lang={request_lang(request)}", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @get("/account", include_in_schema=False)
    async def account_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """One's own account: who, which role, and a form to change the password."""
        await require(db, principal, "account.self")
        return render_page(request, "account.html", role_names=ROLE_NAMES, error="")

    @post("/account/password", include_in_schema=False, status_code=200)
    async def password_form(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[Any]:
        """Change one's password (the no-JavaScript form); every other session ends."""
        await require(db, principal, "account.self")
        form = await request.form()
        change = PasswordChange(
            current=str(form.get("current") or ""), new=str(form.get("new") or "")
        )
        try:
            await change_password(db, principal, change)
        except AppError as exc:
            if exc.status in (401, 422):
                return render_page(
                    request,
                    "account.html",
                    status_code=exc.status,
                    role_names=ROLE_NAMES,
                    error=exc.detail_in(request_lang(request)),
                )
            raise
        return Redirect(f"/login?lang={request_lang(request)}&changed=1", status_code=303)

    # ------------------------------------------------------------ JSON

    @post(
        "/api/session",
        status_code=201,
        responses=_ERRORS,
        opt={"csrf": False},
        operation_class=documented_body(Login),
    )
    async def api_login(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
    ) -> Response[Me]:
        """Log in: `{"username", "password"}`; the session comes back as a cookie, with the
        CSRF token to send as `X-CSRF-Token` on writes."""
        check_origin(request)
        body = await json_body(request, Login)
        user, token, csrf, expires = await log_in(
            db,
            settings,
            body.username,
            body.password,
            _address(request),
            request.headers.get("user-agent", ""),
        )
        principal = Principal(
            "user",
            via="session",
            user_id=user.id,
            username=user.username,
            name=user.name,
            role=user.role,
            place_code=user.place_code,
            csrf=csrf,
            expires_at=expires,
        )
        response = Response(me(principal), status_code=201)
        response.set_cookie(_session_cookie(request, token, expires))
        return response

    @delete("/api/session", status_code=204, responses=_ERRORS)
    async def api_logout(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[None]:
        """Log out: the session ends here and now."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await log_out(db, principal, token)
        response = Response(None, status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @get("/api/me", responses=documented_errors({401: "not logged in"}))
    async def api_me(
        self, db: NamedDependency[Database], principal: NamedDependency[Principal]
    ) -> Me:
        """Who you are logged in as (or which household's link you hold)."""
        if not principal.authenticated:
            await require(db, principal, "account.self")
        return me(principal)

    @post(
        "/api/me/password",
        status_code=204,
        responses=_ERRORS,
        operation_class=documented_body(PasswordChange),
    )
    async def api_password(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> None:
        """Change your password: `{"current", "new"}`; every session of yours ends."""
        await require(db, principal, "account.self")
        await change_password(db, principal, await json_body(request, PasswordChange))


async def change_password(db: Database, principal: Principal, change: PasswordChange) -> None:
    found = await password_hash_of(db, principal.username)
    if found is None or not await password_matches(found[1], change.current):
        raise AppError(
            401,
            "bad_password",
            zh_en("当前密码不对", "the current password is wrong"),
            [{"path": "/current", "code": "bad_password", "message": "wrong"}],
        )
    await set_password(db, principal.actor, found[0].id, change.new)
    forget(user_id=found[0].id)


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "-"
