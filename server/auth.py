"""Who is asking: a session cookie, an API token, a household's link, or nobody.

Every request is resolved to one `Principal` before its handler runs (the
`authenticate` hook). A session or token is a random string whose SHA-256 is
looked up, and the answer is kept in memory for a few seconds, so checking one
costs no argon2 work and, mostly, no database read. Ending a session, changing
a password or disabling an account forgets what this process kept.

A write that rides on a cookie (a session, or a household's link) must show it
comes from our own pages: its Origin, when sent, is this server, and it carries
the session's CSRF token in `X-CSRF-Token` or a `_csrf` form field. Scripts
using `Authorization: Bearer` send no cookie and need neither.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar import Request

from server.audit import Actor
from server.db import Database, now_iso
from server.errors import AppError, zh_en
from server.users import token_hash

SESSION_COOKIE = "minsheng_session"
LINK_COOKIE = "minsheng_link"
CACHE_SECONDS = 15.0
_CACHE_MAX = 20_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The person (or household link) a request acts for."""

    kind: str  # "anonymous", "user" or "link"
    via: str = ""  # "session", "token" or "link"
    user_id: int | None = None
    username: str = ""
    name: str = ""
    role: str = ""  # admin, designer, official, cadre; "household" for a link
    place_code: str | None = None  # an official's place (their whole area)
    place_prefix: str | None = None
    household_id: str | None = None  # a link's household ...
    form_id: str | None = None  # ... and the one form it may fill
    link_id: int | None = None
    csrf: str | None = None
    expires_at: str | None = None
    address: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def actor(self) -> Actor:
        if self.kind == "user":
            name = f"user:{self.user_id}" if self.user_id is not None else self.username
            return Actor(name, self.address)
        if self.kind == "link":
            return Actor(f"link:{self.link_id}", self.address)
        return Actor("anonymous", self.address)


ANONYMOUS = Principal("anonymous")


def system_principal(name: str) -> Principal:
    """The command line and start-up: an administrator with no account (`cli:load-demo`)."""
    return Principal("user", via="system", username=name, name=name, role="admin")


# token hash -> (monotonic time looked up, principal or None); per process.
_cache: dict[str, tuple[float, Principal | None]] = {}


def forget(token_digest: str | None = None, user_id: int | None = None) -> None:
    """Drop what this process remembers of a token, or of every token of one user;
    of everything, given neither.

    For a user, the tokens remembered as valid for no one go too: which of them were
    this user's is not known, and an account just enabled again must not wait for
    them to expire.
    """
    if token_digest is None and user_id is None:
        _cache.clear()
    if token_digest is not None:
        _cache.pop(token_digest, None)
    if user_id is not None:
        for key in [k for k, (_, p) in _cache.items() if p is None or p.user_id == user_id]:
            _cache.pop(key, None)


def _prefix(code: str | None, level: str | None) -> str | None:
    widths = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
    return code[: widths[level]] if code and level in widths else None


_USER_COLUMNS = "u.id AS user_id, u.username, u.name, u.role, u.place_code, p.level AS place_level"


def _user_principal(row: Any, via: str, **extra: Any) -> Principal:
    return Principal(
        "user",
        via=via,
        user_id=row["user_id"],
        username=row["username"],
        name=row["name"],
        role=row["role"],
        place_code=row["place_code"],
        place_prefix=_prefix(row["place_code"], row["place_level"]),
        **extra,
    )


async def _lookup(db: Database, kind: str, digest: str) -> Principal | None:
    at = now_iso()
    if kind == "session":
        row = await db.fetch_one(
            f"SELECT {_USER_COLUMNS}, s.csrf_token, s.expires_at FROM sessions s"
            " JOIN users u ON u.id = s.user_id LEFT JOIN places p ON p.code = u.place_code"
            " WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND u.active",
            (digest, at),
        )
        if row is None:
            return None
        return _user_principal(row, "session", csrf=row["csrf_token"], expires_at=row["expires_at"])
    if kind == "token":
        row = await db.fetch_one(
            f"SELECT {_USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id"
            " LEFT JOIN places p ON p.code = u.place_code"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active",
            (digest,),
        )
        return None if row is None else _user_principal(row, "token")
    row = await db.fetch_one(
        "SELECT l.id, l.household_id, l.form_id, l.expires_at, h.village_code"
        " FROM household_links l JOIN households h ON h.id = l.household_id"
        " WHERE l.token_hash = ? AND l.revoked_at IS NULL AND l.expires_at > ?"
        " AND h.status = 'active'",
        (digest, at),
    )
    if row is None:
        return None
    return Principal(
        "link",
        via="link",
        role="household",
        household_id=row["household_id"],
        form_id=row["form_id"],
        link_id=row["id"],
        csrf=link_csrf(digest),
        expires_at=row["expires_at"],
    )


def link_csrf(digest: str) -> str:
    """A link's CSRF token: derived from its own hash, so it needs no row of its own."""
    return token_hash("csrf:" + digest)[:32]


async def principal_for_token(db: Database, kind: str, token: str) -> Principal | None:
    digest = token_hash(token)
    now = time.monotonic()
    hit = _cache.get(digest)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        found = hit[1]
    else:
        found = await _lookup(db, kind, digest)
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[digest] = (now, found)
    if found is not None and found.expires_at is not None and found.expires_at <= now_iso():
        return None
    return found


def client_address(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


async def resolve(db: Database, request: Request[Any, Any, Any]) -> Principal:
    """The principal a request acts for; ANONYMOUS when it shows nothing valid.

    A Bearer token that is not valid is refused (401): a script should hear so,
    not carry on as nobody. A stale cookie is simply no login.
    """
    address = client_address(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        found = None
        if scheme.lower() == "bearer":
            found = await principal_for_token(db, "token", token.strip())
        if found is None:
            raise AppError(
                401,
                "bad_token",
                zh_en("API 令牌无效或已被吊销", "the API token is not valid or was revoked"),
                headers={"WWW-Authenticate": "Bearer"},
            )
        return replace(found, address=address)
    for cookie, kind in ((SESSION_COOKIE, "session"), (LINK_COOKIE, "link")):
        value = request.cookies.get(cookie)
        if value:
            found = await principal_for_token(db, kind, value)
            if found is not None:
                return replace(found, address=address)
    return replace(ANONYMOUS, address=address)


# ---------------------------------------------------------------- cross-site writes


def _same_origin(request: Request[Any, Any, Any], url: str) -> bool:
    given = urlsplit(url)
    host = request.headers.get("host", "")
    return bool(given.netloc) and given.netloc.lower() == host.lower()


def check_origin(request: Request[Any, Any, Any]) -> None:
    """A write whose Origin (or, without one, Referer) names another site is refused."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and origin != "null" and not _same_origin(request, origin):
        raise AppError(
            403,
            "cross_site",
            zh_en("拒绝来自其他网站的提交", "a request from another site is refused"),
        )
    if origin == "null":
        raise AppError(
            403, "cross_site", zh_en("拒绝来源不明的提交", "a request of no origin is refused")
        )


async def check_csrf(request: Request[Any, Any, Any], principal: Principal) -> None:
    """The session's CSRF token must come with a cookie-authenticated write."""
    check_origin(request)
    given = request.headers.get("x-csrf-token")
    if given is None:
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            value = form.get("_csrf")
            given = value if isinstance(value, str) else None
    if not given or not principal.csrf or not hmac.compare_digest(given, principal.csrf):
        raise AppError(
            403,
            "csrf",
            zh_en(
                "页面已过期或来自其他网站，请刷新页面后再提交",
                "the page is stale or from another site; reload it and send again",
            ),
        )


def session_expiry(days: float) -> str:
    at = datetime.now(UTC) + timedelta(days=days)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
