"""Exports over HTTP: `GET /api/forms/{form_id}/export?format=csv|xlsx|jsonl&...`.

The answer streams: CSV and JSON Lines are sent page by page as they are read, so the
first bytes leave at once and a browser shows the download growing (the progress a
person sees); an XLSX is a zip whose directory comes last, so it is built first, in a
temporary file beside the database (never in memory, nor on a /tmp that may be
RAM), then streamed from it. A streamed download was chosen over a job with a
progress page: no export files of personal data wait on the server for someone to
fetch them, nothing is kept between requests, and the link works without
JavaScript. A client that hangs up stops the export.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Annotated, Any, Literal
from urllib.parse import quote

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from forms.table import ANSWERS
from server.auth import Principal
from server.db import Database
from server.errors import documented_errors
from server.export_files import CSV_MEDIA_TYPE, JSONL_MEDIA_TYPE, XLSX_MEDIA_TYPE
from server.exports import CODE, Export, ExportSpec, record_export
from server.form_versions import MAX_VERSION
from server.http import request_lang, unless_client_leaves
from server.settings import Settings

MEDIA_TYPES = {"csv": CSV_MEDIA_TYPE, "xlsx": XLSX_MEDIA_TYPE, "jsonl": JSONL_MEDIA_TYPE}
CHUNK = 256 * 1024


@dataclass
class _DownloadOperation(Operation):
    """The 200 answer is a file in one of three media types."""

    def __post_init__(self) -> None:
        file = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        ok = OpenAPIResponse(
            description="the export, as an attachment (Content-Disposition names the file)",
            content={media: OpenAPIMediaType(schema=file) for media in MEDIA_TYPES.values()},
        )
        # After what litestar generated, whose 200 says application/json.
        self.responses = {**(self.responses or {}), "200": ok}


VillageCode = Annotated[
    str | None, QueryParameter(pattern=f"^{CODE['village_code']}$", description="12 digits")
]
CountyCode = Annotated[
    str | None, QueryParameter(pattern=f"^{CODE['county_code']}$", description="6 digits")
]
PlaceCode = Annotated[
    str | None,
    QueryParameter(pattern=f"^{CODE['place']}$", description="any place: a code prefix"),
]


Day = Annotated[date | None, QueryParameter(name="from", description="first day, YYYY-MM-DD")]
LastDay = Annotated[date | None, QueryParameter(name="to", description="last day, YYYY-MM-DD")]


class ExportController(Controller):
    tags = ("exports",)

    @get(
        "/api/forms/{form_id:str}/export",
        operation_class=_DownloadOperation,
        responses=documented_errors(
            {
                400: "a bad parameter (format, a place code, a date)",
                401: "not logged in",
                403: "not an administrator or an official, or a place outside your area",
                404: "no such form or version",
                422: "`from` after `to` (`bad_period`), or a table the form does not have"
                " (`bad_table`)",
            }
        ),
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        format: Annotated[
            Literal["csv", "xlsx", "jsonl"],
            QueryParameter(description="csv (one table), xlsx (every table) or jsonl"),
        ] = "csv",
        village_code: VillageCode = None,
        county_code: CountyCode = None,
        place: PlaceCode = None,
        start: Day = None,
        end: LastDay = None,
        by: Annotated[
            Literal["survey", "received"],
            QueryParameter(description="the period is of survey dates or of days received"),
        ] = "survey",
        version: Annotated[int | None, QueryParameter(ge=1, le=MAX_VERSION)] = None,
        table: Annotated[
            str, QueryParameter(description="CSV: `answers` or a repeat group (`members`)")
        ] = ANSWERS,
        column_headers: Annotated[
            Literal["labels", "names"],
            QueryParameter(name="headers", description="column headers: labels or field names"),
        ] = "labels",
        values: Annotated[
            Literal["labels", "codes"],
            QueryParameter(description="a choice as its label or its stored code"),
        ] = "labels",
        all_revisions: Annotated[
            bool, QueryParameter(description="also the answers corrected since")
        ] = False,
    ) -> Stream:
        """A form's answers you may read, as a file: CSV, XLSX (a sheet per repeat group,
        rows linked by the answer's id and item index) or JSON Lines (stored records).

        Filtered by place (`village_code`, `county_code`, `place`), by period (`from`,
        `to` of survey dates, or of days received with `by=received`) and by `version`.
        """
        spec = ExportSpec(
            form_id=form_id,
            format=format,
            village_code=village_code or None,
            county_code=county_code or None,
            place=place or None,
            start=start,
            end=end,
            by=by,
            version=version,
            table=table,
            names=column_headers == "names",
            codes=values == "codes",
            lang=request_lang(request),
            all_revisions=all_revisions,
        )
        export = await Export.prepare(db, principal, spec, settings.timezone)
        await record_export(db, principal, spec)
        name = spec.filename(settings.today())
        disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
        if spec.format == "xlsx":
            body: AsyncIterator[bytes] = await _built_xlsx(request, db, export, settings)
        elif spec.format == "csv":
            body = export.csv(db)
        else:
            body = export.jsonl(db)
        return Stream(
            body,
            media_type=MEDIA_TYPES[spec.format],
            headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
        )


async def _built_xlsx(
    request: Request[Any, Any, Any], db: Database, export: Export, settings: Settings
) -> AsyncIterator[bytes]:
    folder = settings.db_path.parent
    # Closed by _chunks when the download ends (or here on failure); nameless on disk.
    file = tempfile.TemporaryFile(dir=folder, prefix=".export-")  # noqa: SIM115
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as scratch:
            await unless_client_leaves(request, export.xlsx(db, file, scratch))
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return _chunks(file)


async def _chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()
