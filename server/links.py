"""A household's own link (and QR code) to fill its form without an account.

The link carries a random token (stored only as its SHA-256) that lets whoever
holds it fill one form for one household until it expires or is revoked:
nothing else, not even reading what the household sent before. Opening the
link sets a cookie with the token and goes to the form.

A link made for someone to hand on (the API, the household's page) is random
and shown once, with its QR code. A link made for a village's printed QR sheet
is derived from a key kept in a file beside the database (an HMAC of the
link's id), so printing the sheet again shows the same codes rather than
making new ones each time. Either kind is stored only as its hash: the
database alone (a backup, say) never yields a working link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from reports.qr_sheet import qr_code
from server import audit
from server.auth import LINK_COOKIE, Principal, forget, principal_for_token
from server.db import Database, now_iso, query
from server.errors import AppError, documented_errors, not_found, zh_en
from server.households import household_in_scope
from server.http import json_body, request_lang
from server.users import new_token, token_hash

LINK_DAYS = 90
# A printed sheet reuses a household's printable link only while it has this long to
# run; past that a new one is made (the old one is left to expire, not revoked).
SHEET_MIN_DAYS = 30


class LinkRecord(msgspec.Struct):
    id: int
    household_id: str
    form_id: str
    created_by: str
    created_at: str
    expires_at: str
    revoked_at: str | None


class LinkCreate(msgspec.Struct, forbid_unknown_fields=True):
    form_id: str = "household"
    days: Annotated[int, msgspec.Meta(ge=1, le=366)] = LINK_DAYS


class LinkMade(msgspec.Struct):
    """A new link: the only time its address is shown, with it as a QR code (SVG)."""

    link: LinkRecord
    url: str
    qr_svg: str


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _record(row: Any) -> LinkRecord:
    values = dict(row)
    values.pop("token_hash", None)
    return LinkRecord(**values)


def qr_svg(url: str, title: str = "") -> str:
    """`url` as a QR code, an SVG element that scales to its box (as on the printed sheet)."""
    return str(qr_code(url, title))


def link_url(request: Request[Any, Any, Any], token: str) -> str:
    """The address a household opens (or scans): this server's, as the request reached it."""
    return f"{str(request.base_url).rstrip('/')}/h/{token}"


# ---------------------------------------------------------------- printable links


@lru_cache(maxsize=4)
def link_key(path: Path) -> bytes:
    """The key printable links are derived from, made (readable by the owner only) on
    first use. Losing it loses nothing but the reprint: those links keep working, and
    the next sheet makes new ones."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


def printable_token(key: bytes, link_id: int) -> str:
    digest = hmac.new(key, f"link:{link_id}".encode(), hashlib.sha256).digest()
    return "h_" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# ---------------------------------------------------------------- storage


async def _insert(
    conn: aiosqlite.Connection,
    actor: audit.Actor | str,
    household_id: str,
    form_id: str,
    days: int,
    key: bytes | None,
) -> tuple[LinkRecord, str]:
    who = actor.name if isinstance(actor, audit.Actor) else actor
    expires = _iso(datetime.now(UTC) + timedelta(days=days))
    token = new_token("h")
    rows = await query(
        conn,
        "INSERT INTO household_links (token_hash, household_id, form_id, created_by,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
        (token_hash(token), household_id, form_id, who, now_iso(), expires),
    )
    record = _record(rows[0])
    if key is not None:  # printable: the token follows from the row's id
        token = printable_token(key, record.id)
        await conn.execute(
            "UPDATE household_links SET token_hash = ? WHERE id = ?",
            (token_hash(token), record.id),
        )
    await audit.record(
        conn,
        actor,
        "link.create",
        f"household:{household_id}",
        form_id=form_id,
        link_id=record.id,
        printable=key is not None,
    )
    return record, token


async def create_link(
    db: Database,
    actor: audit.Actor | str,
    household_id: str,
    form_id: str,
    days: int = LINK_DAYS,
) -> tuple[LinkRecord, str]:
    """A new link for a household and form; (its record, the token, shown only now)."""

    async def work(conn: aiosqlite.Connection) -> tuple[LinkRecord, str]:
        if not await query(conn, "SELECT 1 FROM households WHERE id = ?", (household_id,)):
            raise not_found(f"户 {household_id!r}", f"household {household_id!r}")
        if not await query(conn, "SELECT 1 FROM forms WHERE id = ?", (form_id,)):
            raise not_found(f"调查表 {form_id!r}", f"form {form_id!r}")
        return await _insert(conn, actor, household_id, form_id, days, None)

    return await db.write(work)


async def list_links(db: Database, household_id: str) -> list[LinkRecord]:
    """A household's links, the ones still valid first, newest first."""
    rows = await db.fetch_all(
        "SELECT * FROM household_links WHERE household_id = ?"
        " ORDER BY revoked_at IS NULL AND expires_at > ? DESC, id DESC",
        (household_id, now_iso()),
    )
    return [_record(r) for r in rows]


async def revoke_link(
    db: Database, actor: audit.Actor | str, household_id: str, link_id: int
) -> LinkRecord:
    """Revoke one of a household's links at once (revoking it again changes nothing)."""

    async def work(conn: aiosqlite.Connection) -> Any:
        rows = await query(
            conn,
            "UPDATE household_links SET revoked_at = ? WHERE id = ? AND household_id = ?"
            " AND revoked_at IS NULL RETURNING *",
            (now_iso(), link_id, household_id),
        )
        if rows:
            await audit.record(
                conn, actor, "link.revoke", f"household:{household_id}", link_id=link_id
            )
            return rows[0]
        found = await query(
            conn,
            "SELECT * FROM household_links WHERE id = ? AND household_id = ?",
            (link_id, household_id),
        )
        if not found:
            raise not_found(f"链接 {link_id}", f"link {link_id}")
        return found[0]

    row = await db.write(work)
    forget(row["token_hash"])  # not even the few seconds this process remembers a link
    return _record(row)


async def revoke_links(db: Database, actor: audit.Actor | str, household_id: str) -> int:
    async def work(conn: aiosqlite.Connection) -> list[str]:
        rows = await query(
            conn,
            "UPDATE household_links SET revoked_at = ? WHERE household_id = ?"
            " AND revoked_at IS NULL RETURNING token_hash",
            (now_iso(), household_id),
        )
        if rows:
            await audit.record(conn, actor, "link.revoke", f"household:{household_id}")
        return [r["token_hash"] for r in rows]

    digests = await db.write(work)
    for digest in digests:
        forget(digest)
    return len(digests)


async def sheet_links(
    db: Database,
    actor: audit.Actor | str,
    household_ids: list[str],
    form_id: str,
    key: bytes,
    *,
    target: str,
    days: int = LINK_DAYS,
    min_days: int = SHEET_MIN_DAYS,
) -> dict[str, tuple[LinkRecord, str]]:
    """A printable link for each household: the one it has (valid for `min_days` more),
    else a new one. Nothing is revoked. {household id: (link, token)}; the printing of
    the sheet (`target`, a village) is audited as `link.sheet`."""
    keep_after = _iso(datetime.now(UTC) + timedelta(days=min_days))

    async def work(conn: aiosqlite.Connection) -> dict[str, tuple[LinkRecord, str]]:
        found: dict[str, tuple[LinkRecord, str]] = {}
        made = 0
        for household_id in household_ids:
            rows = await query(
                conn,
                "SELECT * FROM household_links WHERE household_id = ? AND form_id = ?"
                " AND revoked_at IS NULL AND expires_at > ? ORDER BY expires_at DESC",
                (household_id, form_id, keep_after),
            )
            for row in rows:
                token = printable_token(key, row["id"])
                if hmac.compare_digest(token_hash(token), row["token_hash"]):
                    found[household_id] = (_record(row), token)
                    break
            else:
                found[household_id] = await _insert(conn, actor, household_id, form_id, days, key)
                made += 1
        await audit.record(
            conn, actor, "link.sheet", target, households=len(found), links_made=made
        )
        return found

    return await db.write(work)


# ---------------------------------------------------------------- HTTP

_ERRORS = documented_errors(
    {401: "not logged in", 404: "no such household (or not one you may make links for)"}
)


class LinkController(Controller):
    tags = ("links",)

    @get("/h/{token:str}", include_in_schema=False)
    async def enter(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], token: FromPath[str]
    ) -> Response[Any]:
        """Open a household's link: it is remembered (a cookie) and the form opens."""
        found: Principal | None = await principal_for_token(db, "link", token[:200])
        if found is None:
            raise AppError(
                404,
                "link_unknown",
                zh_en(
                    "此链接无效、已过期或已被收回，请联系帮扶干部",
                    "this link is not valid, has expired or was revoked; ask your cadre",
                ),
            )
        response: Response[Any] = Redirect(
            f"/f/{found.form_id}?lang={request_lang(request)}", status_code=303
        )
        response.set_cookie(
            Cookie(
                key=LINK_COOKIE,
                value=token,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
                max_age=LINK_DAYS * 86400,
            )
        )
        return response

    @get("/api/households/{household_id:str}/links", responses=_ERRORS)
    async def list(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        household_id: FromPath[str],
    ) -> list[LinkRecord]:
        """A household's links (never their tokens), valid ones first."""
        household = await household_in_scope(db, principal, "link.manage", household_id)
        return await list_links(db, household.id)

    @post("/api/households/{household_id:str}/links", status_code=201, responses=_ERRORS)
    async def create(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        household_id: FromPath[str],
    ) -> LinkMade:
        """Make a household's own link to its form: `{"form_id"?: "household", "days"?: 90}`.

        The answer holds the link's address and its QR code (SVG): shown this once,
        since only the token's hash is kept."""
        household = await household_in_scope(db, principal, "link.manage", household_id)
        body = await json_body(request, LinkCreate) if await request.body() else LinkCreate()
        record, token = await create_link(
            db, principal.actor, household.id, body.form_id, body.days
        )
        url = link_url(request, token)
        return LinkMade(record, url, qr_svg(url, household.head_name))

    @delete(
        "/api/households/{household_id:str}/links/{link_id:int}",
        status_code=200,
        responses=_ERRORS,
    )
    async def revoke(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        household_id: FromPath[str],
        link_id: FromPath[int],
    ) -> LinkRecord:
        """Revoke one of a household's links: it stops working at once."""
        household = await household_in_scope(db, principal, "link.manage", household_id)
        return await revoke_link(db, principal.actor, household.id, link_id)
