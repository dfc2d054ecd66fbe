"""Forms and their published versions.

A form is an identity; each published version is immutable. Start-up publishes
the shipped surveys: a schema whose content changed becomes a new version, an
unchanged one is left as it is.
"""

from __future__ import annotations

import json
import time
from typing import Any

import aiosqlite
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from forms.schema import schema_hash, schema_text
from server import audit
from server.auth import Principal
from server.authz import Form, require
from server.db import Database, now_iso, query
from server.errors import NOT_FOUND, documented_errors, not_found

# Far more versions than any form will have, and well inside SQLite's integers.
MAX_VERSION = 2**31 - 1


class FormSummary(msgspec.Struct):
    id: str
    title: str
    title_en: str | None
    version: int
    published_at: str


class FormVersion(msgspec.Struct):
    form_id: str
    version: int
    schema_hash: str
    status: str
    published_at: str
    published_by: str
    schema: dict[str, Any]


# A published version never changes, so its schema is parsed once per process and kept
# under its hash: the submission path read and parsed 80 KB of JSON for every answer.
_SCHEMAS: dict[str, dict[str, Any]] = {}
_META = "form_id, version, schema_hash, status, published_at, published_by"


async def _version(db: Database, row: Any) -> FormVersion:
    digest = row["schema_hash"]
    schema = _SCHEMAS.get(digest)
    if schema is None:
        text = await db.fetch_one(
            "SELECT schema FROM form_versions WHERE form_id = ? AND version = ?",
            (row["form_id"], row["version"]),
        )
        schema = json.loads(text[0])
        if len(_SCHEMAS) >= 256:
            _SCHEMAS.clear()
        _SCHEMAS[digest] = schema
    return FormVersion(
        form_id=row["form_id"],
        version=row["version"],
        schema_hash=digest,
        status=row["status"],
        published_at=row["published_at"],
        published_by=row["published_by"],
        schema=schema,
    )


async def list_forms(db: Database) -> list[FormSummary]:
    rows = await db.fetch_all(
        "SELECT v.form_id, v.version, v.published_at, v.schema FROM form_versions v"
        " WHERE v.status = 'published' AND v.version = (SELECT max(version) FROM form_versions"
        "  WHERE form_id = v.form_id AND status = 'published') ORDER BY v.form_id"
    )
    summaries = []
    for row in rows:
        schema = json.loads(row["schema"])
        summaries.append(
            FormSummary(
                id=row["form_id"],
                title=schema.get("title", row["form_id"]),
                title_en=(schema.get("x-en") or {}).get("title"),
                version=row["version"],
                published_at=row["published_at"],
            )
        )
    return summaries


# (form, version or None for the current one) -> (monotonic time, version): every answer
# asks for its version, which changes only when a version is published or retired.
# Kept briefly, and dropped at once when this process publishes; another server process
# publishing is seen within VERSION_CACHE_SECONDS.
VERSION_CACHE_SECONDS = 5.0
_versions: dict[tuple[str, int | None], tuple[float, FormVersion]] = {}


_states: dict[str, tuple[float, tuple[int | None, tuple[int, ...]]]] = {}


def forget_versions() -> None:
    _versions.clear()
    _states.clear()


async def version_states(db: Database, form_id: str) -> tuple[int | None, tuple[int, ...]]:
    """The form's current version (None when none is published) and its retired ones,
    for a form's page: a phone moves its drafts of a retired version to the current one.
    Kept briefly, as the versions are."""
    hit = _states.get(form_id)
    if hit is not None and time.monotonic() - hit[0] < VERSION_CACHE_SECONDS:
        return hit[1]
    found = await db.fetch_all(
        "SELECT version, status FROM form_versions WHERE form_id = ? ORDER BY version", (form_id,)
    )
    published = [r["version"] for r in found if r["status"] == "published"]
    retired = tuple(r["version"] for r in found if r["status"] == "retired")
    states = (max(published, default=None), retired)
    if len(_states) >= 256:
        _states.clear()
    _states[form_id] = (time.monotonic(), states)
    return states


async def get_version(db: Database, form_id: str, version: int | None = None) -> FormVersion:
    """A given version, or the current published one; AppError 404 when there is none."""
    key = (form_id, version)
    hit = _versions.get(key)
    if hit is not None and time.monotonic() - hit[0] < VERSION_CACHE_SECONDS:
        return hit[1]
    found = await _read_version(db, form_id, version)
    if len(_versions) >= 256:
        _versions.clear()
    _versions[key] = (time.monotonic(), found)
    return found


async def _read_version(db: Database, form_id: str, version: int | None) -> FormVersion:
    if version is not None and not 1 <= version <= MAX_VERSION:  # SQLite integers are 64-bit
        row = None
    elif version is None:
        row = await db.fetch_one(
            f"SELECT {_META} FROM form_versions WHERE form_id = ? AND status = 'published'"
            " ORDER BY version DESC LIMIT 1",
            (form_id,),
        )
    else:
        row = await db.fetch_one(
            f"SELECT {_META} FROM form_versions WHERE form_id = ? AND version = ?",
            (form_id, version),
        )
    if row is None:
        if version is None:
            raise not_found(f"调查表 {form_id!r}", f"form {form_id!r}")
        raise not_found(
            f"调查表 {form_id!r} 的第 {version} 版", f"version {version} of form {form_id!r}"
        )
    return await _version(db, row)


async def insert_version(
    conn: aiosqlite.Connection,
    form_id: str,
    schema: dict[str, Any],
    actor: audit.Actor | str,
    **detail: Any,
) -> int:
    """Inside a write: store `schema` as the next version of `form_id`, audited."""
    who = actor.name if isinstance(actor, audit.Actor) else actor
    rows = await query(conn, "SELECT max(version) FROM form_versions WHERE form_id = ?", (form_id,))
    latest = rows[0][0]
    at = now_iso()
    await conn.execute(
        "INSERT INTO forms (id, title, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        (form_id, schema.get("title", form_id), at),
    )
    version = 1 if latest is None else int(latest) + 1
    await conn.execute(
        "INSERT INTO form_versions (form_id, version, schema, schema_hash, status,"
        " published_by, published_at, note) VALUES (?, ?, ?, ?, 'published', ?, ?, ?)",
        (form_id, version, schema_text(schema), schema_hash(schema), who, at, detail.get("note")),
    )
    await audit.record(
        conn, actor, "form.version.publish", f"form:{form_id}", version=version, **detail
    )
    return version


async def publish(db: Database, form_id: str, schema: dict[str, Any], actor: str) -> int:
    """Publish `schema` as the next version of `form_id` unless it is already the latest."""
    digest = schema_hash(schema)

    async def work(conn: aiosqlite.Connection) -> int:
        async with conn.execute(
            "SELECT version, schema_hash FROM form_versions WHERE form_id = ?"
            " ORDER BY version DESC LIMIT 1",
            (form_id,),
        ) as cursor:
            latest = await cursor.fetchone()
        if latest is not None and latest["schema_hash"] == digest:
            return int(latest["version"])
        return await insert_version(conn, form_id, schema, actor)

    published = await db.write(work)
    forget_versions()
    return published


async def publish_shipped(
    db: Database, form_id: str, schema: dict[str, Any], actor: str = "system"
) -> tuple[int, bool]:
    """A survey shipped in forms/surveys/, at start-up: published when its content is new
    to the form; (the version holding it, whether it was published now).

    Content published before is left as it is, whatever its status: a version a designer
    retired stays retired, and one a designer published since stays the current one.
    """
    digest = schema_hash(schema)

    async def work(conn: aiosqlite.Connection) -> tuple[int, bool]:
        async with conn.execute(
            "SELECT version FROM form_versions WHERE form_id = ? AND schema_hash = ?"
            " ORDER BY version DESC LIMIT 1",
            (form_id, digest),
        ) as cursor:
            known = await cursor.fetchone()
        if known is not None:
            return int(known["version"]), False
        return await insert_version(conn, form_id, schema, actor, shipped=True), True

    found = await db.write(work)
    forget_versions()
    return found


_READ_ERRORS = {
    **NOT_FOUND,
    **documented_errors({401: "not logged in", 403: "a household's link to another form"}),
}


class FormController(Controller):
    path = "/api/forms"
    tags = ("forms",)

    @get("/", responses=documented_errors({401: "not logged in", 403: "a household's link"}))
    async def list(
        self, db: NamedDependency[Database], principal: NamedDependency[Principal]
    ) -> list[FormSummary]:
        """Every form with its current published version."""
        await require(db, principal, "form.read")
        return await list_forms(db)

    @get("/{form_id:str}", responses=_READ_ERRORS)
    async def current(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> FormVersion:
        """The current published version of a form, with its JSON Schema."""
        await require(db, principal, "form.read", Form(form_id))
        return await get_version(db, form_id)

    @get("/{form_id:str}/versions/{version:int}", responses=_READ_ERRORS)
    async def version(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        version: FromPath[int],
    ) -> FormVersion:
        """One version of a form, published or retired; versions never change."""
        await require(db, principal, "form.read", Form(form_id))
        return await get_version(db, form_id, version)
