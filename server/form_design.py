"""The publish cycle: a form's one draft, publishing it, retiring and restoring versions.

A designer writes a form as a draft, kept exactly as typed (work in progress is
saved even when it is not JSON yet). Publishing checks the draft as the command
line does (forms.schema, off the event loop: a big form takes a second or two,
and the server keeps answering meanwhile), compares it with the version it
replaces (forms.compat) and, when answers made for that version may not fit the
new one, asks the designer to acknowledge the report first. A published version
never changes; it can be retired (its answers stay readable, new answers to it
are refused with 409 `version_retired` naming the current version) and restored.
Every change is audited by the write that makes it: `form.draft.save`,
`form.version.publish`, `form.version.retire`, `form.version.restore`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import msgspec

from forms.compat import Change, compatibility, diff_schemas
from forms.schema import SchemaProblem, form_id_problem, parse_schema, schema_hash
from server import audit
from server.audit_log import account_names
from server.db import Database, now_iso, query
from server.errors import AppError, not_found, zh_en
from server.form_versions import FormVersion, forget_versions, get_version, insert_version
from server.users import new_token, token_hash

PREVIEW_MINUTES = 30
LONGEST_NOTE = 500
# Checks run in these threads, two at a time at most (the server has few cores, and a
# live preview asks for one whenever the designer pauses); the rest wait their turn.
_CHECKERS: ThreadPoolExecutor | None = None


class Draft(msgspec.Struct):
    form_id: str
    text: str  # as the designer typed it; not necessarily JSON
    text_hash: str  # name it when publishing, so what is published is what was read
    based_on: int | None  # the version it was started from
    saved_by: str
    saved_at: str


class DraftUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A new draft: `schema` (a JSON Schema object) or `text` (as typed), not both."""

    schema: dict[str, Any] | None = None
    text: str | None = None
    based_on: int | None = None


class Problem(msgspec.Struct):
    """Something the check refuses: where in the schema (a JSON pointer, or null for a
    place named by position only, like a JSON typo) and on which line and column."""

    pointer: str | None
    line: int | None
    column: int | None
    message: str


class ChangeItem(msgspec.Struct):
    """One difference between two versions (forms/compat.py); `breaking` ones make the
    compatibility report."""

    kind: str
    breaking: bool
    path: str  # where the answer lives: /members/*/name
    pointer: str  # where the question is defined in the schema
    label: str
    label_en: str
    old: Any
    new: Any
    text: str


class CheckReport(msgspec.Struct):
    ok: bool
    problems: list[Problem]
    against: int | None  # the version the changes are counted from
    changes: list[ChangeItem]  # the compatibility report: what old answers may not survive


class PublishRequest(msgspec.Struct, forbid_unknown_fields=True):
    acknowledge: bool = False  # required when the compatibility report is not empty
    note: str | None = None  # why this version, kept with it
    text_hash: str | None = None  # the draft read; publishing another one is refused


class Published(msgspec.Struct):
    form_id: str
    version: int
    published_by: str
    published_at: str
    against: int | None
    changes: list[ChangeItem]


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None


class VersionInfo(msgspec.Struct):
    version: int
    status: str  # published or retired
    current: bool  # the version a phone opening the form gets
    schema_hash: str
    published_by: str
    published_by_name: str | None
    published_at: str
    note: str | None
    retired_by: str | None
    retired_at: str | None
    restored_by: str | None
    restored_at: str | None
    reason: str | None  # of the last retire or restore


@dataclass(frozen=True)
class Checked:
    schema: dict[str, Any] | None
    problems: list[Problem]


def _check_now(text: str, source: str) -> Checked:
    try:
        return Checked(parse_schema(text, source), [])
    except SchemaProblem as problem:
        return Checked(None, [Problem(**p) for p in problem.items()])


async def check_text(text: str, source: str = "draft") -> Checked:
    """Check a schema's text as `minsheng form check` does, off the event loop."""
    global _CHECKERS
    if _CHECKERS is None:
        _CHECKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="form-check")
    return await asyncio.get_running_loop().run_in_executor(_CHECKERS, _check_now, text, source)


def change_items(changes: list[Change], lang: str) -> list[ChangeItem]:
    return [ChangeItem(**c.as_json(lang)) for c in changes]


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def checked_form_id(form_id: str) -> str:
    problem = form_id_problem(form_id)
    if problem:
        raise AppError(422, "bad_form_id", problem)
    return form_id


# ---------------------------------------------------------------- the draft


async def get_draft(db: Database, form_id: str) -> Draft | None:
    row = await db.fetch_one("SELECT * FROM form_drafts WHERE form_id = ?", (form_id,))
    return None if row is None else Draft(**dict(row))


async def draft_or_404(db: Database, form_id: str) -> Draft:
    draft = await get_draft(db, form_id)
    if draft is None:
        raise AppError(
            404,
            "no_draft",
            zh_en(f"调查表 {form_id!r} 没有草稿", f"form {form_id!r} has no draft"),
        )
    return draft


def draft_text(update: DraftUpdate) -> str:
    """The text a draft update stores: as typed, or the schema laid out for reading."""
    if (update.schema is None) == (update.text is None):
        raise AppError(
            422,
            "bad_draft",
            zh_en("请给出 schema 或 text 之一", "give one of schema or text"),
        )
    if update.text is not None:
        return update.text
    return json.dumps(update.schema, ensure_ascii=False, indent=2) + "\n"


async def save_draft(
    db: Database, actor: audit.Actor, form_id: str, text: str, based_on: int | None = None
) -> tuple[Draft, bool]:
    """Keep `text` as the form's one draft, replacing any other; (it, whether it is new)."""
    checked_form_id(form_id)
    digest = _text_hash(text)

    async def work(conn: aiosqlite.Connection) -> tuple[Draft, bool]:
        before = await query(conn, "SELECT based_on FROM form_drafts WHERE form_id = ?", (form_id,))
        if based_on is None and before:
            start = before[0]["based_on"]
        elif based_on is None:
            latest = await query(
                conn, "SELECT max(version) FROM form_versions WHERE form_id = ?", (form_id,)
            )
            start = latest[0][0]
        else:
            start = based_on
        rows = await query(
            conn,
            "INSERT INTO form_drafts (form_id, text, text_hash, based_on, saved_by, saved_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (form_id) DO UPDATE SET text = excluded.text,"
            " text_hash = excluded.text_hash, based_on = excluded.based_on,"
            " saved_by = excluded.saved_by, saved_at = excluded.saved_at RETURNING *",
            (form_id, text, digest, start, actor.name, now_iso()),
        )
        await audit.record(
            conn,
            actor,
            "form.draft.save",
            f"form:{form_id}",
            text_hash=digest,
            characters=len(text),
            replaced=bool(before),
        )
        return Draft(**dict(rows[0])), not before

    return await db.write(work)


# ---------------------------------------------------------------- checking and publishing


async def compared_with(db: Database, form_id: str) -> FormVersion | None:
    """The version a new one is compared with: the current one, else the latest retired."""
    try:
        return await get_version(db, form_id)
    except AppError:
        row = await db.fetch_one(
            "SELECT max(version) FROM form_versions WHERE form_id = ?", (form_id,)
        )
        return None if row[0] is None else await get_version(db, form_id, int(row[0]))


async def check_draft(db: Database, form_id: str, text: str, lang: str) -> CheckReport:
    """The check's problems, and the compatibility report against the current version."""
    checked = await check_text(text, f"draft of {form_id}")
    if checked.schema is None:
        return CheckReport(False, checked.problems, None, [])
    previous = await compared_with(db, form_id)
    if previous is None:
        return CheckReport(True, [], None, [])
    changes = compatibility(previous.schema, checked.schema)
    return CheckReport(True, [], previous.version, change_items(changes, lang))


def _invalid(form_id: str, problems: list[Problem]) -> AppError:
    return AppError(
        422,
        "schema_invalid",
        zh_en(
            f"调查表 {form_id!r} 的草稿有 {len(problems)} 处问题，未发布",
            f"the draft of {form_id!r} has {len(problems)} problems; nothing was published",
        ),
        extra={"problems": [msgspec.to_builtins(p) for p in problems]},
    )


async def publish_draft(
    db: Database, actor: audit.Actor, form_id: str, ask: PublishRequest, lang: str = "zh"
) -> Published:
    """Publish the form's draft as its next version, after the check and, when answers may
    not fit it, the designer's acknowledgement of the compatibility report.

    AppError 404 `no_draft`; 409 `draft_changed` (not the draft `ask.text_hash` names),
    `nothing_changed` (the same as the current version) or `acknowledge_required` (with
    `changes`); 422 `schema_invalid` (with `problems`).
    """
    draft = await draft_or_404(db, form_id)
    if ask.text_hash is not None and ask.text_hash != draft.text_hash:
        raise _draft_changed(form_id)
    note = (ask.note or "").strip()[:LONGEST_NOTE] or None
    checked = await check_text(draft.text, f"draft of {form_id}")
    if checked.schema is None:
        raise _invalid(form_id, checked.problems)
    schema = checked.schema
    previous = await compared_with(db, form_id)
    against = previous.version if previous else None
    changes = compatibility(previous.schema, schema) if previous else []
    items = change_items(changes, lang)
    if previous and previous.status == "published" and previous.schema_hash == schema_hash(schema):
        raise AppError(
            409,
            "nothing_changed",
            zh_en(
                f"草稿与第 {against} 版相同，无需发布",
                f"the draft is the same as version {against}; nothing to publish",
            ),
        )
    if items and not ask.acknowledge:
        raise AppError(
            409,
            "acknowledge_required",
            zh_en(
                f"与第 {against} 版相比有 {len(items)} 处改动可能使已有的"
                "答案不再有效，请确认后再发布",
                f"{len(items)} changes from version {against} may make"
                " answers made for it invalid; acknowledge them to publish",
            ),
            extra={
                "against": against,
                "changes": [msgspec.to_builtins(i) for i in items],
            },
        )

    async def work(conn: aiosqlite.Connection) -> tuple[int, str]:
        # Saved over since it was read: what was checked and acknowledged is not the draft.
        removed = await query(
            conn,
            "DELETE FROM form_drafts WHERE form_id = ? AND text_hash = ? RETURNING form_id",
            (form_id, draft.text_hash),
        )
        if not removed:
            raise _draft_changed(form_id)
        version = await insert_version(
            conn,
            form_id,
            schema,
            actor,
            note=note,
            against=against,
            breaking_changes=len(items),
            acknowledged=bool(items),
        )
        at = await query(
            conn,
            "SELECT published_at FROM form_versions WHERE form_id = ? AND version = ?",
            (form_id, version),
        )
        return version, at[0][0]

    version, published_at = await db.write(work)
    forget_versions()
    return Published(form_id, version, actor.name, published_at, against, items)


def _draft_changed(form_id: str) -> AppError:
    return AppError(
        409,
        "draft_changed",
        zh_en(
            f"调查表 {form_id!r} 的草稿已被另存，请重新查看后再发布",
            f"the draft of {form_id!r} was saved again since; look at it again, then publish",
        ),
    )


# ---------------------------------------------------------------- retire and restore


async def set_status(
    db: Database,
    actor: audit.Actor,
    form_id: str,
    version: int,
    status: str,
    reason: str | None = None,
) -> VersionInfo:
    """Retire (`status` "retired") or restore ("published") one version; audited."""
    reason = (reason or "").strip()[:LONGEST_NOTE] or None
    retiring = status == "retired"
    action = "form.version.retire" if retiring else "form.version.restore"
    who, when = ("retired_by", "retired_at") if retiring else ("restored_by", "restored_at")

    async def work(conn: aiosqlite.Connection) -> None:
        rows = await query(
            conn,
            "SELECT status FROM form_versions WHERE form_id = ? AND version = ?",
            (form_id, version),
        )
        if not rows:
            raise not_found(
                f"调查表 {form_id!r} 的第 {version} 版", f"version {version} of form {form_id!r}"
            )
        if rows[0]["status"] == status:
            raise AppError(
                409,
                "already_retired" if retiring else "not_retired",
                zh_en(
                    f"第 {version} 版{'已经停用' if retiring else '没有停用'}",
                    f"version {version} is {'already retired' if retiring else 'not retired'}",
                ),
            )
        await conn.execute(
            f"UPDATE form_versions SET status = ?, {who} = ?, {when} = ?, reason = ?"
            " WHERE form_id = ? AND version = ?",
            (status, actor.name, now_iso(), reason, form_id, version),
        )
        await audit.record(conn, actor, action, f"form:{form_id}", version=version, reason=reason)

    await db.write(work)
    forget_versions()
    return next(v for v in await list_versions(db, form_id) if v.version == version)


async def list_versions(db: Database, form_id: str) -> list[VersionInfo]:
    """Every version of a form, newest first, with who published, retired and restored it."""
    rows = await db.fetch_all(
        "SELECT version, status, schema_hash, published_by, published_at, note, retired_by,"
        " retired_at, restored_by, restored_at, reason FROM form_versions WHERE form_id = ?"
        " ORDER BY version DESC",
        (form_id,),
    )
    names = await account_names(db, {r["published_by"] for r in rows})
    current = next((r["version"] for r in rows if r["status"] == "published"), None)
    return [
        VersionInfo(
            current=r["version"] == current,
            published_by_name=names.get(r["published_by"]),
            **dict(r),
        )
        for r in rows
    ]


# ---------------------------------------------------------------- comparing


async def schema_at(db: Database, form_id: str, which: str) -> tuple[str, dict[str, Any]]:
    """(a name for it, the schema) of version `which` ("3") or of the draft ("draft")."""
    if which == "draft":
        draft = await draft_or_404(db, form_id)
        try:
            schema = json.loads(draft.text)
        except json.JSONDecodeError as exc:
            raise AppError(
                422,
                "draft_not_json",
                zh_en(
                    f"草稿不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）",
                    f"the draft is not JSON (line {exc.lineno} column {exc.colno})",
                ),
            ) from exc
        return "draft", schema
    if not which.isdigit() or len(which) > 10:
        raise AppError(
            400,
            "bad_version",
            zh_en(f"{which!r} 不是版本号或 draft", f"{which!r} is not a version number or draft"),
        )
    return which, (await get_version(db, form_id, int(which))).schema


async def diff(db: Database, form_id: str, old: str, new: str) -> list[Change]:
    _, before = await schema_at(db, form_id, old)
    _, after = await schema_at(db, form_id, new)
    return diff_schemas(before, after)


# ---------------------------------------------------------------- a preview for a phone


async def create_preview(db: Database, actor: audit.Actor, form_id: str) -> tuple[str, str]:
    """A token that opens the form's draft preview for PREVIEW_MINUTES; (token, expiry)."""
    token = new_token("p")
    expires = datetime.now(UTC) + timedelta(minutes=PREVIEW_MINUTES)
    expires_at = expires.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    async def work(conn: aiosqlite.Connection) -> None:
        await conn.execute("DELETE FROM draft_previews WHERE expires_at <= ?", (now_iso(),))
        await conn.execute(
            "INSERT INTO draft_previews (token_hash, form_id, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (token_hash(token), form_id, actor.name, now_iso(), expires_at),
        )

    await db.write(work)
    return token, expires_at


async def previewed_form(db: Database, token: str) -> str | None:
    """The form whose draft `token` opens, while it has not expired."""
    row = await db.fetch_one(
        "SELECT form_id FROM draft_previews WHERE token_hash = ? AND expires_at > ?",
        (token_hash(token[:200]), now_iso()),
    )
    return None if row is None else str(row[0])


# ---------------------------------------------------------------- every form, for the designer


class Design(msgspec.Struct):
    form_id: str
    title: str
    current: int | None  # the version phones get; None before the first or with all retired
    versions: int
    draft_saved_at: str | None
    draft_saved_by: str | None


async def designs(db: Database) -> list[Design]:
    """Every form, published or only drafted, by id."""
    rows = await db.fetch_all(
        "SELECT f.id AS form_id, f.title,"
        " (SELECT max(version) FROM form_versions WHERE form_id = f.id AND status = 'published')"
        " AS current, (SELECT count(*) FROM form_versions WHERE form_id = f.id) AS versions,"
        " d.saved_at, d.saved_by FROM forms f LEFT JOIN form_drafts d ON d.form_id = f.id"
        " UNION ALL SELECT d.form_id,"
        " coalesce(CASE WHEN json_valid(d.text) THEN json_extract(d.text, '$.title') END, ''),"
        " NULL, 0, d.saved_at, d.saved_by FROM form_drafts d"
        " WHERE d.form_id NOT IN (SELECT id FROM forms) ORDER BY 1"
    )
    return [
        Design(
            r["form_id"],
            str(r["title"] or r["form_id"]),
            r["current"],
            r["versions"],
            r["saved_at"],
            r["saved_by"],
        )
        for r in rows
    ]
