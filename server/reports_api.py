"""PDF reports over HTTP: a village report and a county roll-up for a period.

The handlers only read parameters and map the reports package's errors to
AppError; figures, layout, the worker pool, its queue and the cache live in
`reports`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import aiosqlite
from litestar import Controller, HttpMethod, Litestar, Request, route
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File

from reports.draw import Period, Scope
from reports.figures import UnknownScope
from reports.pdf import CJKFontMissing
from reports.summary import UnknownForm
from reports.worker import Renderable, RenderFailed, ReportBusy, ReportRequest, ReportService
from server import audit
from server.auth import Principal
from server.authz import Place, require
from server.db import Database
from server.errors import AppError, documented_errors, not_found, zh_en
from server.http import request_lang, unless_client_leaves
from server.settings import Settings

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PDF = "application/pdf"


def reports_lifespan(settings: Settings) -> Any:
    """A lifespan that starts the render workers with the app and stops them after.

    The first worker is warmed in the background (`ReportService.warm`), so
    start-up and /healthz do not wait for it.
    """

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        service = ReportService(
            settings.db_path,
            settings.report_cache_dir,
            settings.poverty_line,
            settings.report_workers,
            cache_bytes=settings.report_cache_mb * 1024 * 1024,
            queue_limit=settings.report_queue,
            overdue_days=settings.overdue_days,
        )
        service.start()
        app.state.reports = service
        warming = asyncio.create_task(service.warm())
        try:
            yield
        finally:
            warming.cancel()
            with suppress(asyncio.CancelledError):
                await warming
            service.stop()

    return lifespan


def _date(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise AppError(
        400,
        "bad_date",
        zh_en(
            f"{name} 应为日期，格式为 年-月-日（YYYY-MM-DD），而不是 {value[:40]!r}",
            f"{name} must be a date as YYYY-MM-DD, not {value[:40]!r}",
        ),
    )


def period_from_query(start: str | None, end: str | None) -> Period:
    """The survey period ?from=&to= name (both optional); 400 for a bad date or order."""
    period = Period(_date("from", start), _date("to", end))
    if period.start and period.end and period.start > period.end:
        raise AppError(
            400,
            "bad_period",
            zh_en("起始日期 from 不能晚于截止日期 to", "from must not be after to"),
        )
    return period


async def _pdf(
    request: Request[Any, Any, Any],
    db: Database,
    principal: Principal,
    scope: Scope,
    period: Period,
    sort: str,
) -> File:
    await require(db, principal, "report.read", Place(scope.code))
    if sort not in ("incidence", "needs"):
        raise AppError(
            400,
            "bad_sort",
            zh_en("sort 只能是 incidence 或 needs", "sort must be incidence or needs"),
        )
    who = asker(principal)
    wanted = ReportRequest(scope, period, request_lang(request), sort, generated_by=who)
    try:
        path = await rendered(request, wanted)
    except UnknownScope as exc:
        raise not_found(f"{_PLACE_ZH[scope.kind]} {scope.code}", str(exc)) from exc
    if request.method == "GET":
        await record_download(db, principal, scope, period)
    return File(
        path=path,
        filename=wanted.filename(),
        media_type=PDF,
        content_disposition_type="inline",
        headers={"Cache-Control": "private, no-store"},
    )


def asker(principal: Principal) -> str:
    """Who a PDF names as having asked for it."""
    return f"{principal.name}（{principal.username}）" if principal.username else principal.name


async def rendered(request: Request[Any, Any, Any], wanted: Renderable) -> Path:
    """The PDF `wanted`, from the render workers or their cache: 503 when the queue is
    full, no CJK font is installed or the worker died; 404 for a form never published."""
    service: ReportService = request.app.state.reports
    try:
        return await unless_client_leaves(request, service.get(wanted))
    except ReportBusy as exc:
        raise AppError(
            503,
            "report_busy",
            zh_en(
                f"正在生成的报告太多，请 {exc.retry_after} 秒后再试",
                f"too many reports are being made; try again in {exc.retry_after} s",
            ),
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc
    except UnknownForm as exc:
        raise not_found(f"调查表 {exc}", str(exc)) from exc
    except CJKFontMissing as exc:
        raise AppError(
            503, "cjk_font_missing", zh_en(f"服务器缺少中文字体，无法生成报告：{exc}", str(exc))
        ) from exc
    except RenderFailed as exc:
        raise AppError(
            503,
            "render_failed",
            zh_en("生成报告的进程意外退出，请稍后重试", f"{exc}; try again later"),
        ) from exc


async def record_download(db: Database, principal: Principal, scope: Scope, period: Period) -> None:
    async def work(conn: aiosqlite.Connection) -> None:
        start, end = period.params()
        await audit.record(
            conn,
            principal.actor,
            "report.download",
            f"{scope.kind}:{scope.code}",
            start=start,
            end=end,
        )

    await db.write(work)


_PLACE_ZH = {"village": "村", "county": "县"}
REPORT_ERRORS = documented_errors(
    {
        400: "a bad date or period (from/to), or an unknown sort",
        401: "not logged in",
        403: "the place is outside your area",
        404: "no such village or county",
        503: "the report queue is full (report_busy, with Retry-After in seconds), the"
        " server has no CJK font (cjk_font_missing), or the render worker died (render_failed)",
    }
)


def _pdf_route(path: str) -> HTTPRouteHandler:
    """GET and HEAD of a PDF report. HEAD makes the report too, if it is not cached:
    its headers tell the PDF's length."""
    return route(
        path,
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        media_type=PDF,
        content_media_type=PDF,
        responses=REPORT_ERRORS,
    )


From = Annotated[
    str | None, QueryParameter(name="from", description="first survey date, YYYY-MM-DD")
]
To = Annotated[str | None, QueryParameter(name="to", description="last survey date, YYYY-MM-DD")]


def _code(filename: str, digits: int, what: str) -> str:
    """The code in "<code>.pdf"; 404 for anything else."""
    code = filename.removesuffix(".pdf")
    if not filename.endswith(".pdf") or not re.fullmatch(rf"\d{{{digits}}}", code):
        raise not_found(f"{_PLACE_ZH[what]} {filename[:20]!r}", f"{what} {filename[:20]!r}")
    return code


class ReportController(Controller):
    path = "/reports"
    tags = ("reports",)

    @_pdf_route("/village/{filename:str}")
    async def village(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        filename: FromPath[str],
        start: From = None,
        end: To = None,
    ) -> File:
        """GET (or HEAD) /reports/village/{code}.pdf: the village report (村情与帮扶报告).

        ?from=&to= limit the survey dates (default all time); ?lang=en for English.
        """
        code = _code(filename, 12, "village")
        period = period_from_query(start, end)
        return await _pdf(request, db, principal, Scope("village", code), period, "incidence")

    @_pdf_route("/county/{filename:str}")
    async def county(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        filename: FromPath[str],
        start: From = None,
        end: To = None,
        sort: FromQuery[str] = "incidence",
    ) -> File:
        """GET (or HEAD) /reports/county/{code}.pdf: the county roll-up, one row per village.

        Villages are sorted by poverty incidence, or by urgent needs with ?sort=needs.
        """
        code = _code(filename, 6, "county")
        period = period_from_query(start, end)
        return await _pdf(request, db, principal, Scope("county", code), period, sort)
