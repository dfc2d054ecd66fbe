"""A need's follow-up: what was done about one need of one household, and when.

Cadres record needs at the visit; what happens to each need afterwards (referred
to a unit, in progress, solved, or explained as not solvable, and whether the
household was satisfied) is recorded here, step by step, after the visit. Steps
are only added, never edited, so a report can tell a need's status on any day:
its latest step up to that day, a need without one being open. Like answers, a
step is keyed by the client's UUID, so resending it is safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from datetime import date
from typing import Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIType,
    Schema,
)
from litestar.params import FromPath

from reports.labels import CLOSING_STATUSES, FOLLOWUP_STATUSES, SATISFACTION
from server import audit
from server.auth import Principal
from server.authz import Answer, require
from server.db import Database, now_iso, query
from server.errors import NOT_FOUND, AppError, documented_errors, not_found, zh_en
from server.http import documented_body, json_body, request_lang
from server.settings import Settings

STATUS_NAMES = {code: (zh, en) for code, zh, en in FOLLOWUP_STATUSES}
SATISFACTION_NAMES = {code: (zh, en) for code, zh, en in SATISFACTION}
UNIT_MAX = 100
RESULT_MAX = 500
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class FollowupCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    status: str
    happened_on: str
    responsible_unit: str | None = None
    result: str | None = None
    satisfaction: str | None = None


class Followup(msgspec.Struct):
    id: str
    submission_id: str
    need_index: int
    status: str
    happened_on: str
    responsible_unit: str | None
    result: str | None
    satisfaction: str | None
    recorded_at: str
    recorded_by: str


class NeedWithFollowups(msgspec.Struct):
    index: int
    category: str | None
    item: str | None
    description: str | None
    urgency: str | None
    status: str  # the latest follow-up's; "open" when there is none
    followups: list[Followup]


class SubmissionNeeds(msgspec.Struct):
    submission_id: str
    survey_date: str | None
    needs: list[NeedWithFollowups]


def _followup(row: Any) -> Followup:
    return Followup(
        id=row["client_id"],
        submission_id=row["submission_id"],
        need_index=row["need_index"],
        status=row["status"],
        happened_on=row["happened_on"],
        responsible_unit=row["responsible_unit"],
        result=row["result"],
        satisfaction=row["satisfaction"],
        recorded_at=row["recorded_at"],
        recorded_by=row["recorded_by"],
    )


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _hash(submission_id: str, need_index: int, body: FollowupCreate) -> str:
    material = {
        "submission_id": submission_id,
        "need_index": need_index,
        "status": body.status,
        "happened_on": body.happened_on,
        "responsible_unit": _clean(body.responsible_unit),
        "result": _clean(body.result),
        "satisfaction": body.satisfaction,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------- checking a step


def _names(pairs: dict[str, tuple[str, str]], codes: tuple[str, ...], lang: str) -> str:
    i = 1 if lang == "en" else 0
    return ("、" if lang == "zh" else ", ").join(pairs[c][i] for c in codes)


def check_followup(
    body: FollowupCreate, survey_date: str | None, today: date, lang: str
) -> list[dict[str, str]]:
    """Every problem with a follow-up step, as `{path, code, message}` in `lang`."""
    errors: list[dict[str, str]] = []

    def add(path: str, code: str, zh: str, en: str) -> None:
        errors.append({"path": path, "code": code, "message": en if lang == "en" else zh})

    if body.status not in STATUS_NAMES:
        choices = _names(STATUS_NAMES, tuple(STATUS_NAMES), lang)
        add("/status", "enum", f"办理状态应为：{choices}", f"Status must be one of: {choices}")
    happened: date | None = None
    if _DATE.fullmatch(body.happened_on):
        with contextlib.suppress(ValueError):  # 2026-02-30 matches but is no date
            happened = date.fromisoformat(body.happened_on)
    if happened is None:
        add(
            "/happened_on",
            "format",
            "应为日期（年-月-日），如 2026-05-01",
            "Must be a date (YYYY-MM-DD), e.g. 2026-05-01",
        )
    elif happened > today:
        add(
            "/happened_on",
            "date.future",
            f"办理日期不能晚于今天（{today.isoformat()}）",
            f"Must not be after today ({today.isoformat()})",
        )
    elif survey_date and body.happened_on < survey_date:
        add(
            "/happened_on",
            "date.before_survey",
            f"办理日期不能早于入户调查日期（{survey_date}）",
            f"Must not be before the survey date ({survey_date})",
        )
    if body.satisfaction is not None:
        if body.satisfaction not in SATISFACTION_NAMES:
            choices = _names(SATISFACTION_NAMES, tuple(SATISFACTION_NAMES), lang)
            add(
                "/satisfaction",
                "enum",
                f"群众满意度应为：{choices}",
                f"Satisfaction must be one of: {choices}",
            )
        elif body.status in STATUS_NAMES and body.status not in CLOSING_STATUSES:
            closing = _names(STATUS_NAMES, CLOSING_STATUSES, lang)
            add(
                "/satisfaction",
                "satisfaction.not_closed",
                f"只有办结（{closing}）后才填写群众满意度",
                f"Satisfaction is recorded only once a need is closed ({closing})",
            )
    if body.status == "referred" and _clean(body.responsible_unit) is None:
        add(
            "/responsible_unit",
            "required",
            "已转办的须填写责任单位",
            "A referred need must name the responsible unit",
        )
    for path, text, limit in (
        ("/responsible_unit", body.responsible_unit, UNIT_MAX),
        ("/result", body.result, RESULT_MAX),
    ):
        if text is not None and len(text) > limit:
            add(path, "maxLength", f"最多 {limit} 个字", f"Must be at most {limit} characters")
    return errors


# ---------------------------------------------------------------- queries


async def _answer(
    db: Database, submission_id: str, principal: Principal, verb: str
) -> tuple[str | None, list[Any]]:
    """(survey date, needs) of a stored answer `principal` may `verb`; 404 otherwise."""
    row = await db.fetch_one(
        "SELECT survey_date, answers ->> '$.needs', household_id, village_code"
        " FROM submissions WHERE id = ?",
        (submission_id,),
    )
    answer = Answer(submission_id, row[2], row[3]) if row else Answer(submission_id, None, None)
    await require(db, principal, verb, answer)
    if row is None:
        raise not_found(f"答案 {submission_id!r}", f"submission {submission_id!r}")
    needs = json.loads(row[1]) if row[1] else []
    return row[0], needs if isinstance(needs, list) else []


def _need_not_found(submission_id: str, index: int) -> AppError:
    return not_found(
        f"答案 {submission_id!r} 的第 {index} 项需求",
        f"need {index} of submission {submission_id!r}",
    )


async def _existing(db: Database, client_id: str, digest: str) -> Followup | None:
    row = await db.fetch_one("SELECT * FROM need_followups WHERE client_id = ?", (client_id,))
    return None if row is None else _same_or_conflict(row, client_id, digest)


def _same_or_conflict(row: Any, client_id: str, digest: str) -> Followup:
    if row["body_hash"] != digest:
        raise AppError(
            409,
            "id_conflict",
            zh_en(
                f"编号 {client_id} 已存有另一条办理记录；新记录须用新编号",
                f"follow-up {client_id} already holds a different record; "
                "a new record needs a new id",
            ),
        )
    return _followup(row)


async def create_followup(
    db: Database,
    submission_id: str,
    need_index: int,
    body: FollowupCreate,
    *,
    principal: Principal,
    lang: str = "zh",
    today: date | None = None,
) -> tuple[Followup, bool]:
    """Check and store one follow-up step; (stored record, True if it is new).

    Raises AppError 404 (no such answer or need), 409 (the UUID holds another
    step) or 422 (the step is invalid; nothing is stored).
    """
    client_id = str(body.id)
    digest = _hash(submission_id, need_index, body)
    survey_date, needs = await _answer(db, submission_id, principal, "followup.create")
    existing = await _existing(db, client_id, digest)
    if existing is not None:
        return existing, False
    if not 0 <= need_index < len(needs):
        raise _need_not_found(submission_id, need_index)
    errors = check_followup(body, survey_date, today or date.today(), lang)
    if errors:
        raise AppError(
            422,
            "invalid_followup",
            zh_en("办理记录有误，请按提示修改", "the follow-up is invalid; see errors"),
            errors,
        )

    async def work(conn: aiosqlite.Connection) -> tuple[Followup, bool]:
        inserted = await query(
            conn,
            "INSERT INTO need_followups (client_id, body_hash, submission_id, need_index, status,"
            " responsible_unit, result, satisfaction, happened_on, recorded_at, recorded_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING"
            " RETURNING *",
            (
                client_id,
                digest,
                submission_id,
                need_index,
                body.status,
                _clean(body.responsible_unit),
                _clean(body.result),
                body.satisfaction,
                body.happened_on,
                now_iso(),
                principal.actor.name,
            ),
        )
        if not inserted:  # a racing request stored this id first: same step, or a conflict
            stored = await query(
                conn, "SELECT * FROM need_followups WHERE client_id = ?", (client_id,)
            )
            return _same_or_conflict(stored[0], client_id, digest), False
        await audit.record(
            conn,
            principal.actor,
            "need.followup.create",
            f"submission:{submission_id}",
            need_index=need_index,
            followup=client_id,
            status=body.status,
            happened_on=body.happened_on,
        )
        return _followup(inserted[0]), True

    return await db.write(work)


async def list_needs(db: Database, submission_id: str, principal: Principal) -> SubmissionNeeds:
    """Each need of an answer with its follow-up steps, in the order they happened."""
    survey_date, needs = await _answer(db, submission_id, principal, "needs.read")
    rows = await db.fetch_all(
        "SELECT * FROM need_followups WHERE submission_id = ? ORDER BY need_index, happened_on, id",
        (submission_id,),
    )
    steps: dict[int, list[Followup]] = {}
    for row in rows:
        steps.setdefault(row["need_index"], []).append(_followup(row))
    listed = []
    for index, need in enumerate(needs):
        need = need if isinstance(need, dict) else {}
        history = steps.get(index, [])
        listed.append(
            NeedWithFollowups(
                index=index,
                category=need.get("category"),
                item=need.get("item"),
                description=need.get("description"),
                urgency=need.get("urgency"),
                status=history[-1].status if history else "open",
                followups=history,
            )
        )
    return SubmissionNeeds(submission_id, survey_date, listed)


# ---------------------------------------------------------------- HTTP


_CreateOperation = documented_body(
    Schema(
        type=OpenAPIType.OBJECT,
        required=["id", "status", "happened_on"],
        properties={
            "id": Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.UUID,
                description="UUID chosen by the client; resending is safe",
            ),
            "status": Schema(type=OpenAPIType.STRING, enum=list(STATUS_NAMES)),
            "happened_on": Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.DATE,
                description="the day of the step: not before the survey date, not after today",
            ),
            "responsible_unit": Schema(
                type=OpenAPIType.STRING,
                max_length=UNIT_MAX,
                description="required when referred",
            ),
            "result": Schema(type=OpenAPIType.STRING, max_length=RESULT_MAX),
            "satisfaction": Schema(
                type=OpenAPIType.STRING,
                enum=list(SATISFACTION_NAMES),
                description="only with a closing status",
            ),
        },
    )
)


_CREATE_ERRORS = documented_errors(
    {
        400: "malformed JSON or a body of the wrong shape",
        401: "not logged in",
        403: "a write from another site, or without the session's CSRF token",
        404: "unknown submission (or not yours), or no need with that index in it",
        409: "the id already holds a different follow-up",
        413: "body over the size limit",
        415: "body is not application/json",
        422: "invalid follow-up: `errors` lists path, code and message of each",
    }
)


class FollowupController(Controller):
    tags = ("needs",)

    @post(
        "/api/submissions/{submission_id:str}/needs/{index:int}/followups",
        status_code=201,
        operation_class=_CreateOperation,
        responses=_CREATE_ERRORS,
    )
    async def create(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        submission_id: FromPath[str],
        index: FromPath[int],
    ) -> Response[Followup]:
        """Record one follow-up step of a need.

        Body: `{"id": "<client UUID>", "status", "happened_on", "responsible_unit"?,
        "result"?, "satisfaction"?}`. 201 when stored, 200 when the same id and body
        were already stored, 409 for the same id with another body.
        """
        body = await json_body(request, FollowupCreate)
        stored, created = await create_followup(
            db,
            submission_id,
            index,
            body,
            principal=principal,
            lang=request_lang(request),
            today=settings.today(),
        )
        return Response(stored, status_code=201 if created else 200)

    @get("/api/submissions/{submission_id:str}/needs", responses=NOT_FOUND)
    async def needs(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        submission_id: FromPath[str],
    ) -> SubmissionNeeds:
        """Each need of an answer with its follow-ups and current status."""
        return await list_needs(db, submission_id, principal)
