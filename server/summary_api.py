"""`GET /api/forms/{form_id}/summary.pdf`: a form's summary, counts and distributions per
question, for a village, a county or the whole area one may read.

Who and which answers: server/summaries.py (the exports' filters, the reports'
readers). The PDF is made by the render workers and kept in their cache, like a
village report (server/reports_api.py maps their refusals: 503 when busy).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import File

from server.auth import Principal
from server.db import Database
from server.errors import documented_errors
from server.exports import CODE
from server.form_versions import MAX_VERSION
from server.http import request_lang
from server.reports_api import PDF, asker, rendered
from server.settings import Settings
from server.summaries import SummaryAsk, record_summary, summary_request

SUMMARY_ERRORS = documented_errors(
    {
        400: "a bad parameter (a village or county code, a date, the version)",
        401: "not logged in",
        403: "the place is outside your area, or you may not read this form's answers there"
        " (cadres: a village paired with them, named by `village`)",
        404: "no such form, version or place (or the village is not in the county)",
        422: "`from` after `to` (`bad_period`)",
        503: "the report queue is full (report_busy, with Retry-After in seconds), the"
        " server has no CJK font (cjk_font_missing), or the render worker died (render_failed)",
    }
)


class SummaryController(Controller):
    tags = ("reports",)

    @get(
        "/api/forms/{form_id:str}/summary.pdf",
        media_type=PDF,
        content_media_type=PDF,
        responses=SUMMARY_ERRORS,
    )
    async def summary(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        village: Annotated[
            str | None,
            QueryParameter(pattern=f"^{CODE['village_code']}$", description="a village: 12 digits"),
        ] = None,
        county: Annotated[
            str | None,
            QueryParameter(pattern=f"^{CODE['county_code']}$", description="a county: 6 digits"),
        ] = None,
        start: Annotated[
            date | None, QueryParameter(name="from", description="first day, YYYY-MM-DD")
        ] = None,
        end: Annotated[
            date | None, QueryParameter(name="to", description="last day, YYYY-MM-DD")
        ] = None,
        version: Annotated[int | None, QueryParameter(ge=1, le=MAX_VERSION)] = None,
    ) -> File:
        """A form's summary as PDF: per question the count and share of each option, a
        number's spread, a date's months, a repeat group's items; text, ID and phone
        numbers, photos and locations counted only. One current answer per household
        (or village).

        Without `village` or `county`, everything you may read. `from`/`to` are survey
        dates (the day received for a form without `survey.date`); `version` counts
        one version's answers only; `?lang=en` for English.
        """
        ask = SummaryAsk(
            form_id=form_id,
            village=village or None,
            county=county or None,
            start=start,
            end=end,
            version=version,
            lang=request_lang(request),
        )
        wanted = await summary_request(db, principal, ask, settings.timezone, asker(principal))
        path = await rendered(request, wanted)
        await record_summary(db, principal, wanted)
        return File(
            path=path,
            filename=wanted.filename(),
            media_type=PDF,
            content_disposition_type="inline",
            headers={"Cache-Control": "private, no-store"},
        )
