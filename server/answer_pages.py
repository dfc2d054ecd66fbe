"""Answers as pages, for officials to review: the latest answers of their area, and one
answer with its revisions, the needs it listed and every review of it.

Plain HTML that works without JavaScript. An official of the area (or an admin) marks
an answer approved, has issues or rejected with a comment (server/reviews.py); the
cadre reads it on the phone. What an answer says is shown as stored (its JSON), since
these pages know no form's fields; what the server knows beside it (the household,
the village, who sent it, when) is shown as facts.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import Principal
from server.authz import Answer, allowed, area_sql, require
from server.db import Database
from server.errors import AppError
from server.html import render_page
from server.http import request_lang
from server.needs_pages import need_words
from server.places import list_villages
from server.reviews import DECISIONS, ReviewCreate, create_review, reviews_of
from server.submissions import get_submission

PAGE = 30
STATES = ("unreviewed", *DECISIONS)


async def _page_of_answers(
    db: Database, principal: Principal, village: str | None, state: str | None, before: int | None
) -> tuple[list[Any], int | None]:
    """The current answers `principal` may read, newest first, with their latest review."""
    area, params = area_sql(principal, "s.village_code", "s.household_id")
    clauses, values = [area, "s.corrected_by IS NULL"], list(params)
    if village:
        clauses.append("s.village_code = ?")
        values.append(village)
    if before is not None:
        clauses.append("s.rowid < ?")
        values.append(before)
    decision = (
        "(SELECT r.decision FROM answer_reviews r WHERE r.submission_id = s.id"
        " ORDER BY r.id DESC LIMIT 1)"
    )
    if state == "unreviewed":
        clauses.append(f"{decision} IS NULL")
    elif state in DECISIONS:
        clauses.append(f"{decision} = ?")
        values.append(state)
    rows = await db.fetch_all(
        f"SELECT s.rowid AS position, s.id, s.form_id, s.household_id, s.village_code,"
        f" s.survey_date, s.received_at, s.corrects, h.head_name, v.name AS village_name,"
        f" {decision} AS decision"
        " FROM submissions s LEFT JOIN households h ON h.id = s.household_id"
        " LEFT JOIN villages v ON v.code = s.village_code"
        f" WHERE {' AND '.join(clauses)} ORDER BY s.rowid DESC LIMIT ?",
        (*values, PAGE + 1),
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, rows[-1]["position"] if more else None


async def _answer_page(
    request: Request[Any, Any, Any],
    db: Database,
    principal: Principal,
    submission_id: str,
    *,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
    typed: dict[str, str] | None = None,
) -> Response[str]:
    answer = await get_submission(db, submission_id, principal)
    facts = await db.fetch_one(
        "SELECT h.head_name, h.group_name, v.name AS village_name, v.township_name,"
        " u.name AS sender FROM submissions s LEFT JOIN households h ON h.id = s.household_id"
        " LEFT JOIN villages v ON v.code = s.village_code"
        " LEFT JOIN users u ON 'user:' || u.id = s.submitted_by WHERE s.id = ?",
        (submission_id,),
    )
    needs = await db.fetch_all(
        "SELECT l.path, n.id, n.category, n.item, n.status, l.description FROM need_listings l"
        " JOIN needs n ON n.id = l.need_id WHERE l.submission_id = ? ORDER BY l.path",
        (submission_id,),
    )
    resource = Answer(answer.id, answer.household_id, answer.village_code)
    return render_page(
        request,
        "answer.html",
        status_code=status_code,
        answer=answer,
        facts=facts,
        needs=needs,
        reviews=await reviews_of(db, principal, submission_id),
        may_review=await allowed(db, principal, "submission.review", resource),
        decisions=DECISIONS,
        words=await need_words(db),
        pretty=json.dumps(answer.answers, ensure_ascii=False, indent=1),
        review_id=str(uuid.uuid4()),
        errors=errors or [],
        typed=typed or {},
        done=request.query_params.get("done", ""),
    )


class AnswerPages(Controller):
    include_in_schema = False

    @get("/answers")
    async def answers(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """The latest answers of one's area, newest first, with what review they had."""
        await require(db, principal, "submission.list")
        q = request.query_params
        village = (q.get("village") or "").strip() or None
        state = q.get("state") if q.get("state") in STATES else None
        before = q.get("before")
        rows, more = await _page_of_answers(
            db, principal, village, state, int(before) if before and before.isdigit() else None
        )
        under = principal.place_prefix if principal.role == "official" else None
        next_page = None
        if more is not None:
            kept = {"village": village, "state": state, "lang": request_lang(request)}
            next_page = "?" + urlencode({**{k: v for k, v in kept.items() if v}, "before": more})
        return render_page(
            request,
            "answers.html",
            rows=rows,
            villages=await list_villages(db, under) if principal.role != "cadre" else [],
            asked={"village": village or "", "state": state or ""},
            decisions=DECISIONS,
            next_page=next_page,
        )

    @get("/answers/{submission_id:str}")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        submission_id: FromPath[str],
    ) -> Response[str]:
        """One answer: facts, revisions, the needs it listed, its reviews, a review form."""
        return await _answer_page(request, db, principal, submission_id)

    @post("/answers/{submission_id:str}/review", status_code=303)
    async def review(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        submission_id: FromPath[str],
    ) -> Response[Any]:
        """A review sent as a plain form; its UUID was made with the page."""
        data = await request.form()
        fields = {k: v.strip() for k, v in data.items() if isinstance(v, str)}
        try:
            body = msgspec.convert(
                {
                    "id": fields.get("_id") or str(uuid.uuid4()),
                    "decision": fields.get("decision", ""),
                    "comment": fields.get("comment") or None,
                },
                ReviewCreate,
            )
        except msgspec.ValidationError:
            body = ReviewCreate(uuid.uuid4(), fields.get("decision", ""), fields.get("comment"))
        lang = request_lang(request)
        try:
            await create_review(db, submission_id, body, principal=principal, lang=lang)
        except AppError as error:
            if error.status != 422:
                raise
            return await _answer_page(
                request,
                db,
                principal,
                submission_id,
                status_code=422,
                errors=error.errors,
                typed=fields,
            )
        query = urlencode({"lang": lang, "done": "review"})
        return Redirect(f"/answers/{submission_id}?{query}", status_code=303)
