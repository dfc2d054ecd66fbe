"""Submissions: answers to one form version, stored once per client UUID.

A phone may send the same answer many times (it retries until it hears back),
so the client's UUID is the key: the same body again is acknowledged with the
stored copy, a different body under the same UUID is a conflict.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import date
from typing import Annotated, Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIType,
    Schema,
)
from litestar.params import FromPath, FromQuery, QueryParameter

from forms.issues import Issue
from forms.rules import derive
from forms.schema import canonical_json
from forms.validate import check_answers, localize, quickly_valid, rule_issues
from server import audit
from server.db import Database, now_iso, query
from server.errors import NOT_FOUND, AppError, documented_errors, not_found, zh_en
from server.form_versions import MAX_VERSION, FormVersion, get_version
from server.http import documented_body, json_body, request_lang
from server.settings import Settings


class SubmissionCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    version: Annotated[int, msgspec.Meta(ge=1, le=MAX_VERSION)]
    answers: dict[str, Any]
    corrects: uuid.UUID | None = None  # the earlier answer this one corrects


class Submission(msgspec.Struct):
    id: str
    form_id: str
    version: int
    received_at: str
    village_code: str | None
    household_key: str | None
    answers: dict[str, Any]
    derived: dict[str, Any]
    corrects: str | None = None
    corrected_by: str | None = None


class SubmissionPage(msgspec.Struct):
    items: list[Submission]
    total: int
    limit: int
    offset: int


def _submission(row: Any) -> Submission:
    return Submission(
        id=row["id"],
        form_id=row["form_id"],
        version=row["form_version"],
        received_at=row["received_at"],
        village_code=row["village_code"],
        household_key=row["household_key"],
        answers=json.loads(row["answers"]),
        derived=json.loads(row["derived"]),
        corrects=row["corrects"],
        corrected_by=row["corrected_by"],
    )


def body_hash(version: int, answers: dict[str, Any], corrects: str | None = None) -> str:
    material: dict[str, Any] = {"version": version, "answers": answers}
    if corrects is not None:  # answers stored before corrections existed keep their hash
        material["corrects"] = corrects
    return hashlib.sha256(canonical_json(material).encode()).hexdigest()


def household_key(answers: dict[str, Any]) -> str | None:
    """The household's identity across surveys: its head's ID number."""
    for member in answers.get("members") or []:
        if isinstance(member, dict) and member.get("relation") == "head":
            value = member.get("id_number")
            return value if isinstance(value, str) else None
    return None


async def get_submission(db: Database, submission_id: str) -> Submission:
    row = await db.fetch_one("SELECT * FROM submissions WHERE id = ?", (submission_id,))
    if row is None:
        raise not_found(f"答案 {submission_id!r}", f"submission {submission_id!r}")
    return _submission(row)


async def list_submissions(
    db: Database, form_id: str, village_code: str | None, limit: int, offset: int
) -> SubmissionPage:
    where, params = "form_id = ?", [form_id]
    if village_code:
        where += " AND village_code = ?"
        params.append(village_code)
    total = (await db.fetch_one(f"SELECT count(*) FROM submissions WHERE {where}", tuple(params)))[
        0
    ]
    rows = await db.fetch_all(
        f"SELECT * FROM submissions WHERE {where} ORDER BY received_at, id LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return SubmissionPage([_submission(r) for r in rows], total, limit, offset)


async def create_submission(
    db: Database,
    form_id: str,
    body: SubmissionCreate,
    *,
    lang: str = "zh",
    actor: str = "anonymous",
    today: date | None = None,
) -> tuple[Submission, bool]:
    """Validate and store an answer; (stored record, True if it is new).

    Raises AppError 404 (unknown form or version), 409 (the UUID holds another
    answer, or the answer it corrects has another correction) or 422 (the
    answers are invalid, or `corrects` names no answer of this form; nothing is
    stored). The record returned is the one the write itself read back, so it
    never depends on what a reader's snapshot has seen yet.
    """
    submission_id = str(body.id)
    corrects = str(body.corrects) if body.corrects else None
    digest = body_hash(body.version, body.answers, corrects)
    existing = await _existing(db, form_id, submission_id, digest)
    if existing is not None:
        return existing, False
    form = await get_version(db, form_id, body.version)
    if form.status != "published":
        raise AppError(
            409,
            "version_retired",
            zh_en(
                f"调查表 {form_id!r} 的第 {body.version} 版已停用",
                f"version {body.version} of {form_id!r} is retired",
            ),
        )
    issues = await _issues(form, body.answers, today)
    if issues:
        raise AppError(
            422,
            "invalid_answers",
            zh_en("答案有误，请按提示修改", "answers are invalid; see errors"),
            localize(issues, lang),
        )

    derived = derive(form_id, body.answers)
    village = (body.answers.get("household") or {}).get("village_code")
    row = (
        submission_id,
        form_id,
        body.version,
        now_iso(),
        digest,
        json.dumps(body.answers, ensure_ascii=False),
        json.dumps(derived, ensure_ascii=False),
        village,
        household_key(body.answers),
        corrects,
    )

    async def work(conn: aiosqlite.Connection) -> tuple[Submission, bool]:
        if corrects is not None:
            await _check_correctable(conn, form_id, corrects, submission_id)
        inserted = await query(
            conn,
            "INSERT INTO submissions (id, form_id, form_version, received_at, body_hash, answers,"
            " derived, village_code, household_key, corrects)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *",
            row,
        )
        if not inserted:  # another request stored this UUID after our first look
            stored = await query(
                conn,
                "SELECT * FROM submissions WHERE id = ?", (submission_id,)
            )
            return _same_or_conflict(stored[0], form_id, submission_id, digest), False
        if corrects is not None:
            await conn.execute(
                "UPDATE submissions SET corrected_by = ? WHERE id = ?", (submission_id, corrects)
            )
        await audit.record(
            conn,
            actor,
            "submission.create",
            f"submission:{submission_id}",
            form_id=form_id,
            version=body.version,
            **({"corrects": corrects} if corrects else {}),
        )
        return _submission(inserted[0]), True

    return await db.write(work)


async def _issues(form: FormVersion, answers: dict[str, Any], today: date | None) -> list[Issue]:
    """The answers' issues. A valid answer is known valid in microseconds and checked here;
    the reference's full error list can take milliseconds, so it is found off the event loop."""
    if quickly_valid(form.schema, answers, form.schema_hash):
        return rule_issues(form.form_id, answers, today or date.today())
    return await asyncio.to_thread(
        check_answers, form.form_id, form.schema, answers, today, schema_key=form.schema_hash
    )


async def _check_correctable(
    conn: aiosqlite.Connection, form_id: str, corrects: str, submission_id: str
) -> None:
    found = await query(
        conn,
        "SELECT form_id, corrected_by FROM submissions WHERE id = ?", (corrects,)
    )
    if not found or found[0]["form_id"] != form_id:
        raise AppError(
            422,
            "corrects_unknown",
            zh_en(
                f"要更正的答案 {corrects} 不存在",
                f"the answer to correct, {corrects}, does not exist",
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


def _same_or_conflict(row: Any, form_id: str, submission_id: str, digest: str) -> Submission:
    if row["body_hash"] != digest or row["form_id"] != form_id:
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
    db: Database, form_id: str, submission_id: str, digest: str
) -> Submission | None:
    row = await db.fetch_one("SELECT * FROM submissions WHERE id = ?", (submission_id,))
    return None if row is None else _same_or_conflict(row, form_id, submission_id, digest)


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
        404: "unknown form or version",
        409: "the id already holds a different answer (`id_conflict`), the version is"
        " retired (`version_retired`), or the corrected answer already has another"
        " correction (`already_corrected`)",
        413: "body over the size limit",
        415: "body is not application/json",
        422: "invalid answers (`invalid_answers`: `errors` lists path, code and message of"
        " each), or `corrects` names no answer of this form (`corrects_unknown`)",
        503: "the database is busy or its storage failed; nothing stored, retry later",
        507: "the server's storage is full; nothing stored, retry later",
    }
)


class SubmissionController(Controller):
    tags = ("submissions",)

    @post(
        "/api/forms/{form_id:str}/submissions",
        status_code=201,
        operation_class=_CreateOperation,
        responses=_CREATE_ERRORS,
    )
    async def create(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
    ) -> Response[Submission]:
        """Store an answer, validated against the exact version it names.

        Body: `{"id": "<client UUID>", "version": N, "answers": {...}}`. 201 when stored,
        200 when the same id and body were already stored, 409 for the same id with
        another body, 422 with every error when the answers are invalid.
        """
        body = await json_body(request, SubmissionCreate)
        stored, created = await create_submission(
            db, form_id, body, lang=request_lang(request), today=settings.today()
        )
        return Response(stored, status_code=201 if created else 200)

    @get("/api/forms/{form_id:str}/submissions", responses=NOT_FOUND)
    async def list(
        self,
        db: NamedDependency[Database],
        form_id: FromPath[str],
        village_code: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
    ) -> SubmissionPage:
        """A page of a form's submissions in the order received, optionally for one village."""
        await get_version(db, form_id)
        return await list_submissions(db, form_id, village_code, limit, offset)

    @get("/api/submissions/{submission_id:str}", responses=NOT_FOUND)
    async def read(self, db: NamedDependency[Database], submission_id: FromPath[str]) -> Submission:
        """One stored submission."""
        return await get_submission(db, submission_id)
