"""The admin's import page and API: upload a place list or roster export, preview, confirm.

The page works without JavaScript. Uploading a file shows what importing it
would do (a dry run: counts, the columns it understood, each refused line)
and keeps the file on the server for half an hour under a random token, so
the confirming form only names the token: the file imported is exactly the
file previewed. Scripts use the API instead: POST the CSV as the body to
/api/admin/import/{places|households} (?dry_run=1 to preview, ?good_rows=1).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, QueryParameter

from server.auth import Principal
from server.authz import require
from server.db import Database
from server.errors import AppError, documented_errors, zh_en
from server.html import render_page
from server.http import request_lang
from server.roster_csv import MAX_BYTES, MAX_ROWS
from server.roster_store import KINDS, ImportReport, import_file

UPLOAD_LIMIT = MAX_BYTES + 1024 * 1024  # the file and the form around it
PENDING_SECONDS = 30 * 60
PENDING_MAX = 8  # files awaiting confirmation, per process; the oldest goes first
ERRORS_SHOWN = 200


@dataclass
class _UploadOperation(Operation):
    """The file is the body (text/csv) or a multipart form's `file` field."""

    def __post_init__(self) -> None:
        text = Schema(type=OpenAPIType.STRING, description="the CSV file, UTF-8 or GBK")
        file = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        form = Schema(type=OpenAPIType.OBJECT, properties={"file": file}, required=["file"])
        self.request_body = RequestBody(
            required=True,
            content={
                "text/csv": OpenAPIMediaType(schema=text),
                "multipart/form-data": OpenAPIMediaType(schema=form),
            },
        )


@dataclass(frozen=True)
class Pending:
    """An uploaded file awaiting its uploader's confirmation."""

    owner: str
    kind: str
    filename: str
    data: bytes
    at: float


_pending: OrderedDict[str, Pending] = OrderedDict()


def _keep(owner: str, kind: str, filename: str, data: bytes) -> str:
    now = time.monotonic()
    for token in [t for t, p in _pending.items() if now - p.at > PENDING_SECONDS]:
        del _pending[token]
    while len(_pending) >= PENDING_MAX:
        _pending.popitem(last=False)
    token = secrets.token_urlsafe(24)
    _pending[token] = Pending(owner, kind, filename, data, now)
    return token


def _take(owner: str, token: str) -> Pending | None:
    found = _pending.get(token)
    if found is None or found.owner != owner or time.monotonic() - found.at > PENDING_SECONDS:
        return None
    return _pending.pop(token)


async def _upload(request: Request[Any, Any, Any]) -> tuple[str, bytes, dict[str, Any]]:
    """The uploaded file's name and bytes, and the form's other fields."""
    form = await request.form()
    upload = form.get("file")
    fields = {k: v for k, v in form.items() if k != "file"}
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "", b"", fields
    data = await upload.read()
    await upload.close()
    return upload.filename, data, fields


def _page(request: Request[Any, Any, Any], status: int = 200, **context: Any) -> Response[str]:
    context.setdefault("kind", "households")
    return render_page(
        request,
        "roster_import.html",
        status_code=status,
        kinds=KINDS,
        max_mb=MAX_BYTES // 1048576,
        max_rows=MAX_ROWS,
        errors_shown=ERRORS_SHOWN,
        **{"report": None, "token": "", "filename": "", "error": "", "good_rows": False, **context},
    )


def _flag(value: Any) -> bool:
    return value in ("1", "on", "true", "yes")


class RosterImportController(Controller):
    tags = ("admin",)

    @get("/admin/import", include_in_schema=False)
    async def form(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """The upload form: places or households, the file, and whether to take good lines."""
        await require(db, principal, "roster.import")
        return _page(request)

    @post(
        "/admin/import",
        include_in_schema=False,
        status_code=200,
        request_max_body_size=UPLOAD_LIMIT,
    )
    async def preview(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """Check an uploaded file and show what importing it would do; nothing is stored."""
        await require(db, principal, "roster.import")
        filename, data, fields = await _upload(request)
        kind = str(fields.get("kind")) if fields.get("kind") in KINDS else "households"
        good_rows = _flag(fields.get("good_rows"))
        if not data:
            message = zh_en("请选择要导入的 CSV 文件", "choose the CSV file to import")
            return _page(request, 422, kind=kind, error=message[request_lang(request)])
        try:
            report = await import_file(db, principal.actor, kind, data, dry_run=True)
        except AppError as exc:
            return _page(
                request,
                exc.status,
                kind=kind,
                filename=filename,
                error=exc.detail_in(request_lang(request)),
            )
        token = _keep(principal.username, kind, filename, data) if report.good else ""
        return _page(
            request, kind=kind, report=report, token=token, filename=filename, good_rows=good_rows
        )

    @post("/admin/import/confirm", include_in_schema=False, status_code=200)
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """Import the file previewed (by its token), all of it or its good lines."""
        await require(db, principal, "roster.import")
        form = await request.form()
        pending = _take(principal.username, str(form.get("token") or ""))
        if pending is None:
            message = zh_en(
                "上传的文件已过期（保留 30 分钟）或已导入，请重新上传",
                "the uploaded file has expired (kept 30 minutes) or was imported; upload it again",
            )
            return _page(request, 410, error=message[request_lang(request)])
        good_rows = _flag(form.get("good_rows"))
        report = await import_file(
            db, principal.actor, pending.kind, pending.data, good_rows=good_rows
        )
        token = ""
        if not report.imported:  # refused lines and no good_rows: keep it for a second try
            token = _keep(principal.username, pending.kind, pending.filename, pending.data)
        return _page(
            request,
            kind=pending.kind,
            report=report,
            token=token,
            filename=pending.filename,
            good_rows=good_rows,
        )

    @post(
        "/api/admin/import/{kind:str}",
        status_code=200,
        request_max_body_size=UPLOAD_LIMIT,
        operation_class=_UploadOperation,
        responses=documented_errors(
            {
                401: "not logged in",
                403: "not an administrator",
                404: "no such import (places or households)",
                413: f"the file is over {MAX_BYTES // 1048576} MB or {MAX_ROWS:,} rows",
                422: "the file cannot be read as a table (`errors` empty), or it has refused"
                " lines and good_rows was not asked for: the body is the report, nothing stored",
            }
        ),
    )
    async def api_import(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        kind: FromPath[str],
        dry_run: Annotated[
            bool, QueryParameter(description="check and count; store nothing")
        ] = False,
        good_rows: Annotated[
            bool,
            QueryParameter(description="store the good lines of a file with refused lines"),
        ] = False,
    ) -> Response[ImportReport]:
        """Import a place list or a roster export: the CSV file as the body (UTF-8 or GBK), or
        as the `file` field of a multipart form. Answers with the report: each refused line's
        number, column and why (`zh` and `en`), and what was created, changed, unchanged."""
        await require(db, principal, "roster.import")
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media == "multipart/form-data":
            _, data, _ = await _upload(request)
        else:
            data = await request.body()
        if not data:
            raise AppError(
                422, "no_file", zh_en("没有收到文件内容", "no file: send the CSV as the body")
            )
        report = await import_file(
            db, principal.actor, kind, data, good_rows=good_rows, dry_run=dry_run
        )
        report.detail = report.summary(request_lang(request))
        return Response(report, status_code=422 if report.code == "rows_refused" else 200)
