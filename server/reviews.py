"""Officials' review of answers: approved, has issues, or rejected, with a comment.

An official of the area reads an answer and says what they think of it; the cadre
who works with the household sees the latest word and its comment on the phone
(GET /api/submissions/{id}, GET /api/me/reviews) and corrects the answer if asked.
Every review is kept, in order, and audited (`submission.review`); an answer's
standing is its latest review. Reports leave out an answer whose latest review
rejects it: its household counts its latest answer that is not rejected (none, if
it has no other), so a rejected answer is never counted and no household twice. A
rejected or corrected answer stays stored and readable, with its revisions.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import aiosqlite
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import FromPath

from server import audit
from server.auth import Principal
from server.authz import Answer, area_sql, require
from server.db import Database, now_iso, query
from server.errors import AppError, documented_errors, not_found, zh_en
from server.http import documented_body, json_body, request_lang

DECISIONS = {
    "approved": ("通过", "Approved"),
    "has_issues": ("有问题", "Has issues"),
    "rejected": ("退回", "Rejected"),
}
COMMENT_MAX = 500


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID  # chosen by the client (a page makes one per form): resending is safe
    decision: str
    comment: str | None = None


class Review(msgspec.Struct):
    id: str
    submission_id: str
    decision: str
    comment: str | None
    reviewed_by: str
    reviewer_name: str | None
    reviewed_at: str


class ReviewedAnswer(msgspec.Struct):
    """An answer with the latest review of it, for the cadre working with the household."""

    submission_id: str
    household_id: str | None
    head_name: str | None
    village_code: str | None
    survey_date: str | None
    corrected_by: str | None  # the correction made since, if any
    review: Review


def _review(row: Any) -> Review:
    return Review(
        id=row["client_id"],
        submission_id=row["submission_id"],
        decision=row["decision"],
        comment=row["comment"],
        reviewed_by=row["reviewed_by"],
        reviewer_name=row["reviewer_name"],
        reviewed_at=row["reviewed_at"],
    )


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def review_hash(submission_id: str, body: ReviewCreate) -> str:
    material = {"submission_id": submission_id, "decision": body.decision, "comment": body.comment}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def check_review(body: ReviewCreate, lang: str) -> list[dict[str, str]]:
    """Every problem with a review, as `{path, code, message}` in `lang`."""
    errors: list[dict[str, str]] = []

    def add(path: str, code: str, zh: str, en: str) -> None:
        errors.append({"path": path, "code": code, "message": en if lang == "en" else zh})

    if body.decision not in DECISIONS:
        zh = "、".join(f"{code}（{names[0]}）" for code, names in DECISIONS.items())
        add(
            "/decision",
            "enum",
            f"审核意见应为：{zh}",
            "Decision must be one of: " + ", ".join(DECISIONS),
        )
    elif body.decision != "approved" and _clean(body.comment) is None:
        add(
            "/comment",
            "required",
            "有问题或退回时须写明原因，帮扶干部据此更正",
            "Say what is wrong when an answer has issues or is rejected: the cadre corrects it",
        )
    if body.comment is not None and len(body.comment) > COMMENT_MAX:
        add(
            "/comment",
            "maxLength",
            f"最多 {COMMENT_MAX} 个字",
            f"Must be at most {COMMENT_MAX} characters",
        )
    return errors


async def _answer(db: Database, principal: Principal, submission_id: str, verb: str) -> Any:
    row = await db.fetch_one(
        "SELECT id, household_id, village_code FROM submissions WHERE id = ?", (submission_id,)
    )
    resource = Answer(
        submission_id, row["household_id"] if row else None, row["village_code"] if row else None
    )
    await require(db, principal, verb, resource)
    if row is None:
        raise not_found(f"答案 {submission_id!r}", f"submission {submission_id!r}")
    return row


async def create_review(
    db: Database,
    submission_id: str,
    body: ReviewCreate,
    *,
    principal: Principal,
    lang: str = "zh",
) -> tuple[Review, bool]:
    """Store an official's review of an answer; (stored review, True if it is new).

    Raises AppError 404 (no such answer, or not of the official's area), 409 (the
    UUID holds another review) or 422 (no decision, or no comment for one that
    finds fault).
    """
    await _answer(db, principal, submission_id, "submission.review")
    client_id = str(body.id)
    body = ReviewCreate(body.id, body.decision, _clean(body.comment))
    digest = review_hash(submission_id, body)
    existing = await db.fetch_one("SELECT * FROM answer_reviews WHERE client_id = ?", (client_id,))
    if existing is not None:
        return _same_or_conflict(existing, client_id, digest), False
    errors = check_review(body, lang)
    if errors:
        raise AppError(
            422,
            "invalid_review",
            zh_en("审核意见有误，请按提示修改", "the review is invalid; see errors"),
            errors,
        )

    async def work(conn: aiosqlite.Connection) -> tuple[Review, bool]:
        inserted = await query(
            conn,
            "INSERT INTO answer_reviews (client_id, body_hash, submission_id, decision, comment,"
            " reviewed_by, reviewer_name, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (client_id) DO NOTHING RETURNING *",
            (
                client_id,
                digest,
                submission_id,
                body.decision,
                body.comment,
                principal.actor.name,
                principal.name or None,
                now_iso(),
            ),
        )
        if not inserted:
            stored = await query(
                conn, "SELECT * FROM answer_reviews WHERE client_id = ?", (client_id,)
            )
            return _same_or_conflict(stored[0], client_id, digest), False
        await audit.record(
            conn,
            principal.actor,
            "submission.review",
            f"submission:{submission_id}",
            decision=body.decision,
            review=client_id,
        )
        return _review(inserted[0]), True

    return await db.write(work)


def _same_or_conflict(row: Any, client_id: str, digest: str) -> Review:
    if row["body_hash"] != digest:
        raise AppError(
            409,
            "id_conflict",
            zh_en(
                f"编号 {client_id} 已存有另一条审核意见；新意见须用新编号",
                f"review {client_id} already holds a different review; a new one needs a new id",
            ),
        )
    return _review(row)


async def reviews_of(db: Database, principal: Principal, submission_id: str) -> list[Review]:
    """Every review of an answer `principal` may read, oldest first."""
    await _answer(db, principal, submission_id, "submission.read")
    rows = await db.fetch_all(
        "SELECT * FROM answer_reviews WHERE submission_id = ? ORDER BY id", (submission_id,)
    )
    return [_review(r) for r in rows]


async def latest_review(db: Database, submission_id: str) -> Review | None:
    """The latest review of an answer, if any (its caller checked who may read it)."""
    row = await db.fetch_one(
        "SELECT * FROM answer_reviews WHERE submission_id = ? ORDER BY id DESC LIMIT 1",
        (submission_id,),
    )
    return _review(row) if row else None


async def my_reviews(db: Database, principal: Principal, limit: int = 100) -> list[ReviewedAnswer]:
    """The latest review of each answer about the households `principal` works with,
    newest first: what an official said, for the cadre to read and act on."""
    area, params = area_sql(principal, "s.village_code", "s.household_id")
    rows = await db.fetch_all(
        "SELECT r.*, s.household_id, s.village_code, s.survey_date, s.corrected_by,"
        " h.head_name FROM answer_reviews r JOIN submissions s ON s.id = r.submission_id"
        " LEFT JOIN households h ON h.id = s.household_id"
        " WHERE r.id = (SELECT max(l.id) FROM answer_reviews l"
        "               WHERE l.submission_id = r.submission_id)"
        f" AND {area} ORDER BY r.id DESC LIMIT ?",
        (*params, limit),
    )
    return [
        ReviewedAnswer(
            submission_id=r["submission_id"],
            household_id=r["household_id"],
            head_name=r["head_name"],
            village_code=r["village_code"],
            survey_date=r["survey_date"],
            corrected_by=r["corrected_by"],
            review=_review(r),
        )
        for r in rows
    ]


# ---------------------------------------------------------------- HTTP

_CreateOperation = documented_body(
    Schema(
        type=OpenAPIType.OBJECT,
        required=["id", "decision"],
        properties={
            "id": Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.UUID,
                description="UUID chosen by the client; resending is safe",
            ),
            "decision": Schema(type=OpenAPIType.STRING, enum=list(DECISIONS)),
            "comment": Schema(
                type=OpenAPIType.STRING,
                max_length=COMMENT_MAX,
                description="required unless approved: what the cadre should correct",
            ),
        },
    )
)
_CREATE_ERRORS = documented_errors(
    {
        400: "malformed JSON or a body of the wrong shape",
        401: "not logged in",
        403: "a write from another site, or without the session's CSRF token",
        404: "no such answer (or not of your area)",
        409: "the id already holds a different review",
        422: "invalid review: `errors` lists path, code and message of each",
    }
)


class ReviewController(Controller):
    tags = ("reviews",)

    @post(
        "/api/submissions/{submission_id:str}/reviews",
        status_code=201,
        operation_class=_CreateOperation,
        responses={
            **_CREATE_ERRORS,
            200: ResponseSpec(Review, description="this id already holds this same review"),
        },
    )
    async def create(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        submission_id: FromPath[str],
    ) -> Response[Review]:
        """An official's review of an answer of their area: approved, has issues or
        rejected, with a comment (required unless approved). 201 when stored, 200 for
        the same id and body again, 409 for the same id with another body."""
        body = await json_body(request, ReviewCreate)
        stored, created = await create_review(
            db, submission_id, body, principal=principal, lang=request_lang(request)
        )
        return Response(stored, status_code=201 if created else 200)

    @get(
        "/api/submissions/{submission_id:str}/reviews",
        responses=documented_errors({401: "not logged in", 404: "no such answer (or not yours)"}),
    )
    async def history(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        submission_id: FromPath[str],
    ) -> list[Review]:
        """Every review of an answer, oldest first."""
        return await reviews_of(db, principal, submission_id)

    @get("/api/me/reviews", responses=documented_errors({401: "not logged in", 403: "a link"}))
    async def mine(
        self, db: NamedDependency[Database], principal: NamedDependency[Principal]
    ) -> list[ReviewedAnswer]:
        """The latest review of each answer about the households you work with (or read),
        newest first."""
        await require(db, principal, "account.self")
        return await my_reviews(db, principal)
