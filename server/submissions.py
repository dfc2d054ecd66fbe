"""Submissions: answers to one form version, stored once per client UUID.

A phone may send the same answer many times (it retries until it hears back),
so the client's UUID is the key: the same body again is acknowledged with the
stored copy, a different body under the same UUID is a conflict.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import uuid
from datetime import date
from typing import Annotated, Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIType,
    Schema,
)
from litestar.params import FromPath, FromQuery, QueryParameter

from forms.issues import Issue
from forms.media import photo_refs
from forms.places import answered_village
from forms.rules import derive
from forms.schema import canonical_json, form_subject
from forms.validate import check_answers, localize, quickly_valid, rule_issues
from server import audit
from server.auth import Principal
from server.authz import Answer, Form, Household, allowed, area_sql, require
from server.db import Database, now_iso, query, rows
from server.errors import AppError, documented_errors, not_found, zh_en
from server.form_versions import MAX_VERSION, FormVersion, get_version
from server.http import documented_body, json_body, request_lang
from server.media import attach_media
from server.needs_sync import sync_needs
from server.pagination import MAX_OFFSET, check_offset, decode_cursor, encode_cursor
from server.place_answers import village_issues
from server.reviews import Review, latest_review
from server.settings import Settings
from server.subjects import Subject, subject_of


class SubmissionCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    version: Annotated[int, msgspec.Meta(ge=1, le=MAX_VERSION)]
    answers: dict[str, Any]
    household_id: str | None = None  # the roster household the answers are about ...
    village_code: str | None = None  # ... or the village, for a village-level form
    corrects: uuid.UUID | None = None  # the earlier answer this one corrects


class Submission(msgspec.Struct):
    id: str
    form_id: str
    version: int
    received_at: str
    village_code: str | None
    household_id: str | None
    answers: dict[str, Any]
    derived: dict[str, Any]
    corrects: str | None = None
    corrected_by: str | None = None
    submitted_by: str | None = None
    review: Review | None = None  # an official's latest word on it (GET of one answer)


class SubmissionPage(msgspec.Struct):
    items: list[Submission]
    total: int  # answers matching the filters, on every page
    limit: int
    offset: int  # deprecated: the offset asked for; 0 when paging with `after`
    next: str | None = None  # pass as `after` for the next page; None on the last page


def _submission(
    row: Any, answers: dict[str, Any] | None = None, derived: dict[str, Any] | None = None
) -> Submission:
    """A stored answer as the API shows it; `answers` and `derived` when the caller has them
    already (it just stored them), so they are not parsed back."""
    return Submission(
        id=row["id"],
        form_id=row["form_id"],
        version=row["form_version"],
        received_at=row["received_at"],
        village_code=row["village_code"],
        household_id=row["household_id"],
        answers=json.loads(row["answers"]) if answers is None else answers,
        derived=json.loads(row["derived"]) if derived is None else derived,
        corrects=row["corrects"],
        corrected_by=row["corrected_by"],
        submitted_by=row["submitted_by"],
    )


def _json(value: Any) -> str:
    """JSON text as stored: compact, characters as they are (msgspec: ~5 µs, json: ~30 µs)."""
    return msgspec.json.encode(value).decode()


def body_material(
    version: int,
    answers: dict[str, Any],
    corrects: str | None = None,
    household_id: str | None = None,
    village_code: str | None = None,
) -> dict[str, Any]:
    """What a body hash is a hash of: only what was sent, so an answer stored before these
    fields existed keeps its hash."""
    material: dict[str, Any] = {"version": version, "answers": answers}
    for key, value in (
        ("corrects", corrects),
        ("household_id", household_id),
        ("village_code", village_code),
    ):
        if value is not None:
            material[key] = value
    return material


def body_hash(version: int, answers: dict[str, Any], **named: str | None) -> str:
    return _hash(body_material(version, answers, **named))


def _hash(material: dict[str, Any]) -> str:
    return hashlib.sha256(msgspec.json.encode(material, order="sorted")).hexdigest()


def _same_body(stored: str, material: dict[str, Any], digest: str) -> bool:
    """Whether a stored hash is this body's. Answers stored before msgspec hashed them were
    hashed from json's spelling, which writes some floats differently (1e+16, not 1e16):
    a resend of such an answer is recognised by that spelling too."""
    if stored == digest:
        return True
    return stored == hashlib.sha256(canonical_json(material).encode()).hexdigest()


def answer_of(submission: Submission) -> Answer:
    return Answer(submission.id, submission.household_id, submission.village_code)


async def get_submission(
    db: Database, submission_id: str, principal: Principal, *, receipt: bool = False
) -> Submission:
    """One answer, if `principal` sent it or may read it; 404 as if absent otherwise.

    A `receipt` (what became of an answer sent: its id and when) is also given to
    whoever may answer for that household, who could have sent the same answer.
    """
    row = await db.fetch_one("SELECT * FROM submissions WHERE id = ?", (submission_id,))
    if row is None:
        await require(db, principal, "submission.read", Answer(submission_id, None, None))
        raise not_found(f"答案 {submission_id!r}", f"submission {submission_id!r}")
    found = _submission(row)
    if not await _may_see(db, principal, found, receipt):
        await require(db, principal, "submission.read", answer_of(found))
    found.review = await latest_review(db, submission_id)
    return found


async def _may_see(db: Database, principal: Principal, found: Submission, receipt: bool) -> bool:
    if principal.authenticated and found.submitted_by == principal.actor.name:
        return True
    if receipt and found.household_id is not None:
        mine = Household(found.household_id, found.village_code or "")
        return await allowed(db, principal, "submission.create", mine)
    return False


async def list_submissions(
    db: Database,
    principal: Principal,
    form_id: str,
    *,
    village_code: str | None = None,
    county_code: str | None = None,
    limit: int = 50,
    after: str | None = None,
    offset: int = 0,
) -> SubmissionPage:
    """A page of the answers of a form `principal` may read, in the order they were stored,
    optionally of one village or county, starting after the cursor `after` (or, deprecated,
    `offset` rows in).

    The order is the rowid's, which the single writer gives in commit order, so a
    client paging with `next` sees every answer once, however many arrive meanwhile
    (migrations/0007_listing.sql). `total` is a sum over the per-village counts the
    database keeps, so no page counts the answers themselves (a cadre's few households'
    answers are counted directly).
    """
    check_offset(offset, after)
    village_code, county_code = village_code or None, county_code or None  # "" filters nothing
    area, area_params = area_sql(principal, "village_code", "household_id")
    where: list[str] = ["form_id = ?", area]
    params: list[str | int | None] = [form_id, *area_params]
    if village_code is not None:
        where.append("village_code = ?")
        params.append(village_code)
    if county_code is not None:
        where.append("county_code = ?")
        params.append(county_code)
    counted = " AND ".join(where)
    counted_params = list(params)
    if after is not None:
        where.append("rowid > ?")
        params.append(decode_cursor(after))
    if principal.role == "cadre":
        total_sql, total_params = (
            f"SELECT count(*) FROM submissions WHERE {counted}",
            counted_params,
        )
    else:  # an admin's or official's area is a range of villages: sum the kept counts
        range_sql, range_params = area_sql(principal, "village_code", "household_id")
        total_sql = (
            f"SELECT coalesce(sum(answers), 0) FROM submission_counts WHERE {range_sql}"
            " AND form_id = ? AND (? IS NULL OR village_code = ?)"
            " AND (? IS NULL OR substr(village_code, 1, 6) = ?)"
        )
        total_params = [
            *range_params,
            form_id,
            village_code,
            village_code,
            county_code,
            county_code,
        ]

    async def read(conn: aiosqlite.Connection) -> tuple[list[Any], int]:
        rows = await query(
            conn,
            f"SELECT rowid AS position, * FROM submissions WHERE {' AND '.join(where)}"
            " ORDER BY rowid LIMIT ? OFFSET ?",
            (*params, limit + 1, offset),
        )
        total = await query(conn, total_sql, tuple(total_params))
        return rows, total[0][0]

    rows, total = await db.read(read)  # one snapshot: the total is the page's
    more = len(rows) > limit
    rows = rows[:limit]
    return SubmissionPage(
        [_submission(r) for r in rows],
        total,
        limit,
        offset,
        encode_cursor(rows[-1]["position"]) if more else None,
    )


async def create_submission(
    db: Database,
    form_id: str,
    body: SubmissionCreate,
    *,
    principal: Principal,
    lang: str = "zh",
    today: date | None = None,
) -> tuple[Submission, bool]:
    """Check, authorize and store an answer; (stored record, True if it is new).

    Raises AppError 401/403 (`principal` may not answer for that household),
    404 (unknown form or version), 409 (the UUID holds another answer, or the
    answer it corrects has another correction) or 422 (no roster household or
    village named, invalid answers, or `corrects` names no answer of this form;
    nothing is stored). A resend of a stored answer is 200 for whoever sent it
    or may read it. The record returned is the one the write itself read back,
    so it never depends on what a reader's snapshot has seen yet.
    """
    submission_id = str(body.id)
    corrects = str(body.corrects) if body.corrects else None
    material = body_material(
        body.version, body.answers, corrects, body.household_id, body.village_code
    )
    digest = _hash(material)
    try:
        form, subject, photos = await _checked(db, form_id, body, principal, lang, today)
    except AppError:
        # An answer stored already is acknowledged whatever the checks say today (its
        # version retired since, its household moved, a rule tightened): they are only
        # looked up when a check fails, so a new answer costs no extra read.
        existing = await _existing(db, form_id, submission_id, material, digest)
        if existing is None:
            raise
        if not await _may_see(db, principal, existing, receipt=True):
            await require(db, principal, "submission.read", answer_of(existing))
        return existing, False

    derived = derive(form_id, body.answers)
    row = (
        submission_id,
        form_id,
        body.version,
        now_iso(),
        digest,
        _json(body.answers),
        _json(derived),
        subject.village_code,
        subject.household_id,
        corrects,
        principal.actor.name,
    )

    def work(conn: sqlite3.Connection) -> tuple[Submission, bool]:
        if corrects is not None:
            _check_correctable(conn, form_id, corrects, submission_id, subject)
        inserted = rows(
            conn,
            "INSERT INTO submissions (id, form_id, form_version, received_at, body_hash, answers,"
            " derived, village_code, household_id, corrects, submitted_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *",
            row,
        )
        if not inserted:  # another request stored this UUID after our first look
            stored = rows(conn, "SELECT * FROM submissions WHERE id = ?", (submission_id,))
            return _same_or_conflict(stored[0], form_id, submission_id, material, digest), False
        if photos:  # uploaded before the answer, by its sender; else nothing is stored
            attach_media(conn, submission_id, photos, subject, principal.actor.name, lang)
        if corrects is not None:
            conn.execute(
                "UPDATE submissions SET corrected_by = ? WHERE id = ?", (submission_id, corrects)
            )
        audit.record_now(
            conn,
            principal.actor,
            "submission.create",
            f"submission:{submission_id}",
            form_id=form_id,
            version=body.version,
            household_id=subject.household_id,
            **({"corrects": corrects} if corrects else {}),
        )
        # The household's needs ledger, in the answer's own transaction: both or neither.
        sync_needs(conn, form, inserted[0], principal.actor)
        return _submission(inserted[0], body.answers, derived), True

    return await db.write_now(work)


async def _checked(
    db: Database,
    form_id: str,
    body: SubmissionCreate,
    principal: Principal,
    lang: str,
    today: date | None,
) -> tuple[FormVersion, Subject, list[tuple[str, str]]]:
    """The version a new answer that passed every check answers, what it is about, and
    the photos it names ((pointer, id) pairs); AppError if it fails a check."""
    # A household's link fills one form only: asked before the form is looked up.
    await require(db, principal, "form.read", Form(form_id))
    form = await get_version(db, form_id, body.version)
    village = body.village_code
    if village is None and body.household_id is None and form_subject(form.schema) == "village":
        village = answered_village(form.schema, body.answers, form.schema_hash)
    subject = await subject_of(db, form.schema, body.household_id, village)
    await require(db, principal, "submission.create", subject.resource)
    if form.status != "published":
        raise await retired_error(db, form_id, body.version)
    issues = await _issues(form, body.answers, today)
    wrong = {issue.path for issue in issues}  # a code the schema refused is not looked up
    named = await village_issues(db, principal, form.schema, body.answers, form.schema_hash)
    issues += [issue for issue in named if issue.path not in wrong]
    if issues:
        raise AppError(
            422,
            "invalid_answers",
            zh_en("答案有误，请按提示修改", "answers are invalid; see errors"),
            localize(issues, lang),
        )
    return form, subject, photo_refs(form.schema, body.answers, form.schema_hash)


async def retired_error(db: Database, form_id: str, version: int) -> AppError:
    """409 `version_retired`, naming the version to move to (`current_version`, null when
    every version of the form is retired), so a phone can carry its draft over."""
    try:
        current: int | None = (await get_version(db, form_id)).version
    except AppError:
        current = None
    if current is None:
        zh_next, en_next = "，目前没有可用的版本", "; no version is in use now"
    else:
        zh_next, en_next = f"，请改用第 {current} 版", f"; use version {current}"
    return AppError(
        409,
        "version_retired",
        zh_en(
            f"调查表 {form_id!r} 的第 {version} 版已停用{zh_next}",
            f"version {version} of {form_id!r} is retired{en_next}",
        ),
        extra={"version": version, "current_version": current},
    )


async def _issues(form: FormVersion, answers: dict[str, Any], today: date | None) -> list[Issue]:
    """The answers' issues. A valid answer is known valid in microseconds and checked here;
    the reference's full error list can take milliseconds, so it is found off the event loop."""
    if quickly_valid(form.schema, answers, form.schema_hash):
        return rule_issues(form.form_id, answers, today or date.today(), form.schema)
    return await asyncio.to_thread(
        check_answers, form.form_id, form.schema, answers, today, schema_key=form.schema_hash
    )


def _check_correctable(
    conn: sqlite3.Connection, form_id: str, corrects: str, submission_id: str, subject: Subject
) -> None:
    """A correction names an answer of the same form about the same household (or village)."""
    found = rows(
        conn,
        "SELECT form_id, corrected_by, household_id, village_code FROM submissions WHERE id = ?",
        (corrects,),
    )
    if (
        not found
        or found[0]["form_id"] != form_id
        or (found[0]["household_id"], found[0]["village_code"])
        != (subject.household_id, subject.village_code)
    ):
        raise AppError(
            422,
            "corrects_unknown",
            zh_en(
                f"要更正的答案 {corrects} 不存在，或不是同一户的答案",
                f"the answer to correct, {corrects}, does not exist or is about another household",
            ),
            [{"path": "/corrects", "code": "corrects_unknown", "message": "not found"}],
        )
    corrected_by = found[0]["corrected_by"]
    if corrected_by is not None and corrected_by != submission_id:
        raise AppError(
            409,
            "already_corrected",
            zh_en(
                f"答案 {corrects} 已被更正（更正后的答案为 {corrected_by}），请在最新的答案上更正",
                f"answer {corrects} was already corrected by {corrected_by}; correct that one",
            ),
        )


def _same_or_conflict(
    row: Any, form_id: str, submission_id: str, material: dict[str, Any], digest: str
) -> Submission:
    if row["form_id"] != form_id or not _same_body(row["body_hash"], material, digest):
        raise AppError(
            409,
            "id_conflict",
            zh_en(
                f"编号 {submission_id} 已存有另一份答案；新答案须用新编号",
                f"submission {submission_id} already holds a different answer; "
                "a new answer needs a new id",
            ),
        )
    return _submission(row)


async def _existing(
    db: Database, form_id: str, submission_id: str, material: dict[str, Any], digest: str
) -> Submission | None:
    row = await db.fetch_one("SELECT * FROM submissions WHERE id = ?", (submission_id,))
    if row is None:
        return None
    return _same_or_conflict(row, form_id, submission_id, material, digest)


_CreateOperation = documented_body(
    Schema(
        type=OpenAPIType.OBJECT,
        required=["id", "version", "answers"],
        properties={
            "id": Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.UUID,
                description="UUID chosen by the client; resending is safe",
            ),
            "version": Schema(
                type=OpenAPIType.INTEGER,
                minimum=1,
                maximum=MAX_VERSION,
                description="the form version the answers were made for",
            ),
            "answers": Schema(
                type=OpenAPIType.OBJECT,
                description="answers, valid against that version's schema",
            ),
            "household_id": Schema(
                type=OpenAPIType.STRING,
                description="the roster household the answers are about (household forms)",
            ),
            "village_code": Schema(
                type=OpenAPIType.STRING,
                description="the village the answers are about (village-level forms)",
            ),
            "corrects": Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.UUID,
                description="id of an earlier answer this one corrects (a new revision)",
            ),
        },
    )
)


_CREATE_ERRORS = documented_errors(
    {
        400: "malformed JSON or a body of the wrong shape",
        401: "not logged in (nor holding a household's link)",
        403: "a write from another site, or without the session's CSRF token",
        404: "unknown form or version, or a household not yours",
        409: "the id already holds a different answer (`id_conflict`), the version is"
        " retired (`version_retired`, with `current_version`: the version to move the draft"
        " to, null when none is in use), or the corrected answer already has another"
        " correction (`already_corrected`)",
        413: "body over the size limit",
        415: "body is not application/json",
        422: "no roster household or village named (`household_required`,"
        " `household_unknown`, `village_required`, `village_unknown`), invalid answers"
        " (`invalid_answers`: `errors` lists path, code and message of each), or"
        " `corrects` names no answer of this household (`corrects_unknown`), or a photo it"
        " names was not uploaded first by its sender (`photo_missing`, `errors` at each), or"
        " a village question names a village not on the list of places (`village_unknown`)"
        " or not one of the sender's (`village_not_yours`), in `errors` at the question",
        503: "the database is busy or its storage failed; nothing stored, retry later",
        507: "the server's storage is full; nothing stored, retry later",
    }
)
_READ_ERRORS = documented_errors(
    {401: "not logged in", 404: "no such form or answer (or not yours to read)"}
)


class SubmissionController(Controller):
    tags = ("submissions",)

    @post(
        "/api/forms/{form_id:str}/submissions",
        status_code=201,
        operation_class=_CreateOperation,
        responses={
            **_CREATE_ERRORS,
            200: ResponseSpec(
                Submission,
                description="this id was already stored with this same body (a"
                " resend); nothing new is stored",
            ),
        },
    )
    async def create(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
    ) -> Response[Submission]:
        """Store an answer about a roster household, validated against the version it names.

        Body: `{"id": "<client UUID>", "version": N, "answers": {...}, "household_id": "..."}`
        (`village_code` instead for a village-level form). 201 when stored, 200 when the
        same id and body were already stored, 409 for the same id with another body, 422
        with every error when the answers are invalid.
        """
        body = await json_body(request, SubmissionCreate)
        stored, created = await create_submission(
            db,
            form_id,
            body,
            principal=principal,
            lang=request_lang(request),
            today=settings.today(),
        )
        return Response(stored, status_code=201 if created else 200)

    @get(
        "/api/forms/{form_id:str}/submissions",
        responses=documented_errors(
            {
                400: "a bad parameter, an `after` this server did not give, or an offset past"
                f" {MAX_OFFSET} (page with `after`)",
                401: "not logged in",
                404: "no such form",
            }
        ),
    )
    async def list(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        village_code: FromQuery[str | None] = None,
        county_code: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        after: Annotated[
            str | None,
            QueryParameter(description="the `next` of the page before; absent for the first"),
        ] = None,
        offset: Annotated[
            int,
            QueryParameter(
                ge=0,
                le=2**62,
                description=f"deprecated, at most {MAX_OFFSET}: page with `after` instead",
                schema_extra={"maximum": MAX_OFFSET},  # past it: 400 offset_too_large
            ),
        ] = 0,
    ) -> SubmissionPage:
        """A page of the answers you may read, in the order stored; one village or county.

        `total` counts every answer that matches; `next`, when there are more, is the
        `after` of the next page. Pages read with `after` see each answer exactly once
        while new answers arrive.
        """
        await require(db, principal, "submission.list")
        await get_version(db, form_id)
        return await list_submissions(
            db,
            principal,
            form_id,
            village_code=village_code,
            county_code=county_code,
            limit=limit,
            after=after,
            offset=offset,
        )

    @get("/api/submissions/{submission_id:str}", responses=_READ_ERRORS)
    async def read(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        submission_id: FromPath[str],
    ) -> Submission:
        """One stored answer, with what the server derived and its revisions' links."""
        return await get_submission(db, submission_id, principal)
