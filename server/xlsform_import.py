"""An XLSForm workbook uploaded as a form's draft: for the designer's page and the API.

The conversion is forms/xlsform.py's, run in a thread (openpyxl reads a big
workbook for a second or two and the server keeps answering meanwhile); the
result is saved exactly as a draft typed on the page is (server/form_design.py,
audited `form.draft.save`) and checked as publishing would. What did not
carry over comes back as notes naming sheet, row and column, in both languages.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from forms.xlsform import XLSFormError, import_xlsform, schema_json
from forms.xlsform_sheets import MAX_FILE_BYTES
from server import audit
from server.db import Database
from server.errors import AppError, zh_en
from server.form_design import Draft, Problem, check_text, checked_form_id, save_draft

UPLOAD_LIMIT = MAX_FILE_BYTES + 1024 * 1024  # the file and the form around it
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XLSFormNote(msgspec.Struct):
    """Something of the workbook not in the draft as written: where, and why."""

    sheet: str
    row: int | None
    column: str | None
    zh: str
    en: str
    text: str  # where and why, in the asked language


class XLSFormImport(msgspec.Struct):
    form_id: str
    draft: Draft
    notes: list[XLSFormNote]
    problems: list[Problem]  # what the check says of the draft saved (none, normally)


@dataclass
class UploadOperation(Operation):
    """The workbook is the body (.xlsx) or a multipart form's `file` field."""

    def __post_init__(self) -> None:
        raw = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        form = Schema(
            type=OpenAPIType.OBJECT,
            properties={"file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)},
            required=["file"],
        )
        self.request_body = RequestBody(
            required=True,
            content={
                XLSX: OpenAPIMediaType(schema=raw),
                "application/octet-stream": OpenAPIMediaType(schema=raw),
                "multipart/form-data": OpenAPIMediaType(schema=form),
            },
        )


async def uploaded(request: Request[Any, Any, Any]) -> tuple[str, bytes]:
    """The workbook's name and bytes: a multipart form's `file`, else the body."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "multipart/form-data":
        return "", await request.body()
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return "", b""
    data = await upload.read()
    await upload.close()
    return upload.filename or "", data


async def import_workbook(
    db: Database, actor: audit.Actor, form_id: str, data: bytes, lang: str
) -> tuple[XLSFormImport, bool]:
    """Save the workbook's form as the draft of `form_id`; (the result, whether the draft is
    new). AppError 422 `bad_form_id`, `no_file` or `xlsform_invalid` (with `sheet`, `row`,
    `column`), 413 `too_large`."""
    checked_form_id(form_id)
    if not data:
        raise AppError(
            422,
            "no_file",
            zh_en("没有收到 XLSForm 文件", "no file: send the XLSForm workbook (.xlsx)"),
        )
    if len(data) > MAX_FILE_BYTES:
        raise AppError(
            413,
            "too_large",
            zh_en(
                f"文件超过 {MAX_FILE_BYTES // 1_000_000} MB 的上限",
                f"the file is over the limit of {MAX_FILE_BYTES // 1_000_000} MB",
            ),
        )
    try:
        imported = await asyncio.to_thread(import_xlsform, data)
    except XLSFormError as exc:
        raise AppError(
            422,
            "xlsform_invalid",
            zh_en(exc.text("zh"), exc.text("en")),
            extra={"sheet": exc.sheet or None, "row": exc.row, "column": exc.column or None},
        ) from exc
    text = schema_json(imported.schema)
    draft, created = await save_draft(db, actor, form_id, text)
    checked = await check_text(text, f"draft of {form_id}")
    notes = [XLSFormNote(**note.as_json(), text=note.text(lang)) for note in imported.notes]
    return XLSFormImport(form_id, draft, notes, checked.problems), created
