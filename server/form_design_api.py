"""The publish cycle as JSON: the draft, checking it, publishing, retiring, restoring, diffs.

For scripts and the designer's page; designers and administrators only
(`form.design` to read and write drafts, `form.publish` to change what phones
get). The work is server/form_design.py's; each handler loads, authorizes,
acts and answers.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from server.auth import Principal
from server.authz import Form, require
from server.db import Database
from server.errors import documented_errors, not_found
from server.form_design import (
    ChangeItem,
    CheckReport,
    Draft,
    DraftUpdate,
    Published,
    PublishRequest,
    StatusChange,
    VersionInfo,
    change_items,
    check_draft,
    diff,
    draft_or_404,
    draft_text,
    get_draft,
    list_versions,
    publish_draft,
    save_draft,
    set_status,
)
from server.http import documented_body, json_body, request_lang
from server.xlsform_import import (
    UPLOAD_LIMIT,
    UploadOperation,
    XLSFormImport,
    import_workbook,
    uploaded,
)

T = TypeVar("T")


class CheckRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: str | None = None  # the text to check; the saved draft when left out


class DiffReport(msgspec.Struct):
    form_id: str
    old: str  # a version number, or "draft"
    new: str
    changes: list[ChangeItem]


async def optional_body(request: Request[Any, Any, Any], shape: type[T]) -> T:
    """A JSON body of `shape`, or its defaults when the request has none."""
    if not await request.body():
        return shape()
    return await json_body(request, shape)


# What schema_at reads: a version number (at most ten digits) or "draft".
VERSION_OR_DRAFT = "^(draft|[0-9]{1,10})$"
_WHO = {401: "not logged in", 403: "not a designer or administrator"}


class FormDesignController(Controller):
    path = "/api/forms/{form_id:str}"
    tags = ("form design",)

    @get("/draft", responses=documented_errors({**_WHO, 404: "no draft (`no_draft`)"}))
    async def draft(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Draft:
        """The form's draft, as the designer last saved it."""
        await require(db, principal, "form.design", Form(form_id))
        return await draft_or_404(db, form_id)

    @put(
        "/draft",
        operation_class=documented_body(DraftUpdate),
        responses={
            201: ResponseSpec(Draft, description="a new draft (200: a draft replaced)"),
            **documented_errors(
                {
                    **_WHO,
                    400: "a body of the wrong shape",
                    422: "a bad form id, or not one of schema and text",
                }
            ),
        },
    )
    async def save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[Draft]:
        """Save the form's one draft, replacing any other: `{"schema": {...}}` or
        `{"text": "..."}` (kept as typed, even when not JSON yet). 201 for a new draft,
        200 for one replaced. A new form id starts a new form."""
        await require(db, principal, "form.design", Form(form_id))
        update = await json_body(request, DraftUpdate)
        draft, created = await save_draft(
            db, principal.actor, form_id, draft_text(update), update.based_on
        )
        return Response(draft, status_code=201 if created else 200)

    @post(
        "/draft/xlsform",
        request_max_body_size=UPLOAD_LIMIT,
        operation_class=UploadOperation,
        responses={
            201: ResponseSpec(XLSFormImport, description="a new draft (200: a draft replaced)"),
            **documented_errors(
                {
                    **_WHO,
                    413: "the file is over 5 MB (`too_large`)",
                    422: "a bad form id (`bad_form_id`), no file (`no_file`), or a workbook that"
                    " is not an XLSForm (`xlsform_invalid`, with `sheet`, `row` and `column`):"
                    " nothing is saved",
                }
            ),
        },
    )
    async def import_xlsform(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[XLSFormImport]:
        """Save an XLSForm workbook (.xlsx, the body or a multipart form's `file`) as the
        form's draft, replacing any other: survey, choices and settings sheets, labels and
        hints in Chinese and English, required, relevant, constraints and calculations.
        `notes` lists everything not converted as written, by sheet, row and column; the
        draft is checked (`problems`) but not published. 201 for a new draft, 200 for one
        replaced."""
        await require(db, principal, "form.design", Form(form_id))
        _, data = await uploaded(request)
        result, created = await import_workbook(
            db, principal.actor, form_id, data, request_lang(request)
        )
        return Response(result, status_code=201 if created else 200)

    @post("/draft/check", status_code=200, responses=documented_errors({**_WHO, 404: "no draft"}))
    async def check(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> CheckReport:
        """Check `{"text": ...}` (or the saved draft) as publishing would: its problems with
        pointer and line, and the compatibility report against the current version."""
        await require(db, principal, "form.design", Form(form_id))
        asked = await optional_body(request, CheckRequest)
        text = asked.text if asked.text is not None else (await draft_or_404(db, form_id)).text
        return await check_draft(db, form_id, text, request_lang(request))

    @post(
        "/publish",
        status_code=201,
        responses=documented_errors(
            {
                **_WHO,
                404: "no draft (`no_draft`)",
                409: "`acknowledge_required` (with `against` and `changes`, the compatibility"
                " report), `nothing_changed` (the draft is the current version), or"
                " `draft_changed` (saved again since the `text_hash` given)",
                422: "`schema_invalid`: `problems` lists each (pointer, line, column, message)",
            }
        ),
    )
    async def publish(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Published:
        """Publish the draft as the next version: `{"acknowledge": true, "note": "...",
        "text_hash": "..."}`. `acknowledge` is needed when the compatibility report (fields
        removed, types changed, options removed, new required fields, constraints tightened,
        conditions changed) is not empty."""
        await require(db, principal, "form.publish", Form(form_id))
        ask = await optional_body(request, PublishRequest)
        return await publish_draft(db, principal.actor, form_id, ask, request_lang(request))

    @get("/versions", responses=documented_errors({**_WHO, 404: "no such form"}))
    async def versions(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> list[VersionInfo]:
        """Every version, newest first: status, who published it and when, and who retired
        or restored it, when and why."""
        await require(db, principal, "form.design", Form(form_id))
        found = await list_versions(db, form_id)
        if not found and await get_draft(db, form_id) is None:
            raise not_found(f"调查表 {form_id!r}", f"form {form_id!r}")
        return found

    async def _status(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        principal: Principal,
        form_id: str,
        version: int,
        status: str,
    ) -> VersionInfo:
        await require(db, principal, "form.publish", Form(form_id))
        change = await optional_body(request, StatusChange)
        return await set_status(db, principal.actor, form_id, version, status, change.reason)

    @post(
        "/versions/{version:int}/retire",
        status_code=200,
        responses=documented_errors(
            {**_WHO, 404: "no such version", 409: "already retired (`already_retired`)"}
        ),
    )
    async def retire(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        version: FromPath[int],
    ) -> VersionInfo:
        """Retire a version (`{"reason": "..."}`): its answers stay readable, new ones are
        refused with 409 `version_retired` and the `current_version`."""
        return await self._status(request, db, principal, form_id, version, "retired")

    @post(
        "/versions/{version:int}/restore",
        status_code=200,
        responses=documented_errors(
            {**_WHO, 404: "no such version", 409: "not retired (`not_retired`)"}
        ),
    )
    async def restore(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        version: FromPath[int],
    ) -> VersionInfo:
        """Put a retired version back in use (`{"reason": "..."}`)."""
        return await self._status(request, db, principal, form_id, version, "published")

    @get(
        "/diff",
        responses=documented_errors(
            {
                **_WHO,
                400: "not a version number",
                404: "no such version or draft",
                422: "the draft is not JSON",
            }
        ),
    )
    async def diff(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        old: Annotated[str, QueryParameter(name="from", pattern=VERSION_OR_DRAFT)],
        new: Annotated[str, QueryParameter(name="to", pattern=VERSION_OR_DRAFT)] = "draft",
    ) -> DiffReport:
        """What changed from version `from` to version `to` (a number, or `draft`):
        each question added, removed or changed, with its pointer and labels."""
        await require(db, principal, "form.design", Form(form_id))
        changes = await diff(db, form_id, old, new)
        return DiffReport(form_id, old, new, change_items(changes, request_lang(request)))
