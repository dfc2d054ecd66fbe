"""A household's own link (and QR code) to fill its form without an account.

The link carries a random token (stored only as its SHA-256) that lets whoever
holds it fill one form for one household until it expires or is revoked:
nothing else, not even reading what the household sent before. Opening the
link sets a cookie with the token and goes to the form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from server import audit
from server.auth import LINK_COOKIE, Principal, principal_for_token
from server.db import Database, now_iso, query
from server.errors import AppError, not_found, zh_en
from server.http import request_lang
from server.users import new_token, token_hash

LINK_DAYS = 90


class LinkRecord(msgspec.Struct):
    id: int
    household_id: str
    form_id: str
    created_by: str
    created_at: str
    expires_at: str
    revoked_at: str | None


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def create_link(
    db: Database, actor: audit.Actor | str, household_id: str, form_id: str, days: int = LINK_DAYS
) -> tuple[LinkRecord, str]:
    """A new link for a household and form; (its record, the token, shown only now)."""
    token = new_token("h")
    expires = _iso(datetime.now(UTC) + timedelta(days=days))
    who = actor.name if isinstance(actor, audit.Actor) else actor

    async def work(conn: aiosqlite.Connection) -> LinkRecord:
        if not await query(conn, "SELECT 1 FROM households WHERE id = ?", (household_id,)):
            raise not_found(f"户 {household_id!r}", f"household {household_id!r}")
        if not await query(conn, "SELECT 1 FROM forms WHERE id = ?", (form_id,)):
            raise not_found(f"调查表 {form_id!r}", f"form {form_id!r}")
        rows = await query(
            conn,
            "INSERT INTO household_links (token_hash, household_id, form_id, created_by,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
            (token_hash(token), household_id, form_id, who, now_iso(), expires),
        )
        await audit.record(conn, actor, "link.create", f"household:{household_id}", form_id=form_id)
        row = dict(rows[0])
        row.pop("token_hash")
        return LinkRecord(**row)

    return await db.write(work), token


async def revoke_links(db: Database, actor: audit.Actor | str, household_id: str) -> int:
    async def work(conn: aiosqlite.Connection) -> int:
        cursor = await conn.execute(
            "UPDATE household_links SET revoked_at = ? WHERE household_id = ?"
            " AND revoked_at IS NULL",
            (now_iso(), household_id),
        )
        if cursor.rowcount:
            await audit.record(conn, actor, "link.revoke", f"household:{household_id}")
        return cursor.rowcount

    return await db.write(work)


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
