"""The needs ledger over HTTP: items, their history, steps, and who works on them.

Handlers only read parameters and call server/needs.py, which authorizes: officials
read the items of their area, paired cadres read and step on their households'
items, admins everything (server/authz.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import FromPath, FromQuery, QueryParameter

from server.auth import Principal
from server.authz import require
from server.db import Database
from server.errors import documented_errors
from server.http import documented_body, json_body, request_lang
from server.need_steps import NOTE_MAX, UNIT_MAX, NeedStepCreate, create_step
from server.needs import (
    SATISFACTION_NAMES,
    STATUS_GROUPS,
    STATUS_NAMES,
    Need,
    NeedDetail,
    NeedFilter,
    NeedPage,
    NeedStep,
    Overdue,
    Workload,
    get_need,
    list_needs,
    my_needs,
    workload,
)
from server.settings import Settings


def overdue_of(settings: Settings) -> Overdue:
    """Overdue days from the settings, counted to today where the surveys are made."""
    return Overdue(settings.overdue_urgent_days, settings.overdue_normal_days, settings.today())


_StepOperation = documented_body(
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
                description="the day of the step: not before the survey that raised the need,"
                " not after today",
            ),
            "responsible_unit": Schema(
                type=OpenAPIType.STRING, max_length=UNIT_MAX, description="required when referred"
            ),
            "note": Schema(type=OpenAPIType.STRING, max_length=NOTE_MAX),
            "satisfaction": Schema(
                type=OpenAPIType.STRING,
                enum=list(SATISFACTION_NAMES),
                description="only with a closing status",
            ),
        },
    )
)

_STEP_ERRORS = documented_errors(
    {
        400: "malformed JSON or a body of the wrong shape",
        401: "not logged in",
        403: "a write from another site, or without the session's CSRF token",
        404: "no such need (or not one you work on)",
        409: "the id already holds a different step",
        413: "body over the size limit",
        415: "body is not application/json",
        422: "invalid step: `errors` lists path, code and message of each",
    }
)
_READ_ERRORS = documented_errors({401: "not logged in", 404: "no such need (or not yours)"})
_LIST_ERRORS = documented_errors(
    {
        400: "a bad filter (status, under), or an `after` this server did not give",
        401: "not logged in",
        403: "no area to read needs in (a designer, a household's link)",
    }
)

# The patterns only describe (schema_extra): check_filter refuses in the asker's language.
Status = Annotated[
    str | None,
    QueryParameter(
        description="a status, or " + " / ".join(STATUS_GROUPS),
        schema_extra={"pattern": "^(" + "|".join(("", *STATUS_NAMES, *STATUS_GROUPS)) + ")$"},
    ),
]
Under = Annotated[
    str | None,
    QueryParameter(
        description="a place's code prefix: 2, 4, 6, 9 or 12 digits",
        schema_extra={"pattern": "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})?$"},
    ),
]


class NeedController(Controller):
    tags = ("needs",)

    @get("/api/needs", responses=_LIST_ERRORS)
    async def listing(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        under: Under = None,
        village: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
        status: Status = None,
        unit: Annotated[str | None, QueryParameter(description="responsible unit")] = None,
        cadre: Annotated[int | None, QueryParameter(description="the cadre's user id")] = None,
        household: FromQuery[str | None] = None,
        overdue: FromQuery[bool | None] = None,
        attention: Annotated[
            bool | None, QueryParameter(description="items the cadre is asked about")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        after: Annotated[
            str | None,
            QueryParameter(description="the `next` of the page before (empty: the first page)"),
        ] = None,
    ) -> NeedPage:
        """The needs you may read: overdue first, then the most urgent, then the oldest.

        Filters: `under` (a place), `village`, `category`, `status` (a status, or
        `unclosed` / `closed`), `unit`, `cadre`, `household`, `overdue`, `attention`.
        `next`, when there are more, is the `after` of the next page.
        """
        await require(db, principal, "need.list")
        asked = NeedFilter(
            under, village, category, status, unit, cadre, household, overdue, attention
        )
        return await list_needs(
            db, principal, asked, overdue_of(settings), limit=limit, after=after or None
        )

    @get("/api/needs/workload", responses=_LIST_ERRORS)
    async def workload(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        by: Annotated[
            Literal["cadre", "unit"], QueryParameter(description="cadre or unit")
        ] = "cadre",
        under: Under = None,
    ) -> list[Workload]:
        """Per cadre or per responsible unit: open, overdue and closed needs, mean days to
        close and the households' satisfaction, over the needs you may read."""
        await require(db, principal, "need.list")
        return await workload(db, principal, by, overdue_of(settings), under)

    @get("/api/needs/{need_id:int}", responses=_READ_ERRORS)
    async def read(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        need_id: FromPath[int],
    ) -> NeedDetail:
        """One need with its steps and every answer that listed it."""
        return await get_need(db, principal, need_id, overdue_of(settings))

    @post(
        "/api/needs/{need_id:int}/steps",
        status_code=201,
        operation_class=_StepOperation,
        responses={
            **_STEP_ERRORS,
            200: ResponseSpec(NeedStep, description="this id already holds this same step"),
        },
    )
    async def step(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        need_id: FromPath[int],
    ) -> Response[NeedStep]:
        """Record one step taken on a need.

        Body: `{"id": "<client UUID>", "status", "happened_on", "responsible_unit"?,
        "note"?, "satisfaction"?}`. 201 when stored, 200 when the same id and body
        were already stored, 409 for the same id with another body.
        """
        body = await json_body(request, NeedStepCreate)
        stored, created = await create_step(
            db,
            need_id,
            body,
            principal=principal,
            overdue=overdue_of(settings),
            lang=request_lang(request),
        )
        return Response(stored, status_code=201 if created else 200)

    @get("/api/me/needs", responses=documented_errors({401: "not logged in", 403: "a link"}))
    async def mine(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
    ) -> list[Need]:
        """A cadre's needs to work on: open ones of the households paired with them, and
        those they are asked about (not listed since an answer, or listed again after
        closing) first, then the most urgent, then the oldest."""
        await require(db, principal, "account.self")
        return await my_needs(db, principal, overdue_of(settings))
