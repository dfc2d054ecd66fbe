"""A form's summary PDF: who may have it and which answers it counts.

The summary (reports/summary.py) prints counts and distributions, never a
person's answers, so it is read as the reports are: admins everywhere, officials
for their area (a wider place asked gives their part of it, as an export does),
a cadre for a village paired with them whole (`summary.read` in server/authz.py).
Its answers are picked by the exports' own filter (`answers_where`: the form,
the asker's area, the place, the version, the current revisions), so a summary
and an export of the same choice count the same answers. Its period is of survey
dates, and for an answer without one (a form with no `survey.date`) of the day
it arrived, in MINSHENG_TZ, as `by=received` exports it.

Each summary downloaded is audited (`report.download`, target `summary:<form>`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

import aiosqlite

from reports.summary import SummaryRequest
from server import audit
from server.auth import Principal
from server.authz import Place, require
from server.db import Database
from server.errors import not_found
from server.exports import ExportSpec, answers_where


@dataclass(frozen=True)
class SummaryAsk:
    """What a summary is asked for: a form, a place, a period, a version."""

    form_id: str
    village: str | None = None
    county: str | None = None
    start: date | None = None
    end: date | None = None
    version: int | None = None
    lang: str = "zh"


def _area(principal: Principal, asked: str | None) -> str:
    """The place the summary covers: the one asked, narrowed to an official's own area
    when it is wider; theirs (or everywhere: "") when none is asked."""
    own = principal.place_prefix if principal.role == "official" else None
    if asked is None:
        return own or ""
    if own and own.startswith(asked):
        return own
    return asked


async def summary_request(
    db: Database, principal: Principal, ask: SummaryAsk, timezone: str, generated_by: str
) -> SummaryRequest:
    """The summary `principal` may have: 400 for a bad code, 403 outside their area, 404
    for a form, version or place that does not exist, 422 for `from` after `to`."""
    spec = ExportSpec(
        form_id=ask.form_id,
        village_code=ask.village,
        county_code=ask.county,
        start=ask.start,
        end=ask.end,
        version=ask.version,
        lang=ask.lang,
    )
    spec.check()
    asked = ask.village or ask.county
    await require(db, principal, "summary.read", Place(asked) if asked else None)
    if ask.village and ask.county and not ask.village.startswith(ask.county):
        raise not_found(
            f"县 {ask.county} 中的村 {ask.village}", f"village {ask.village} in county {ask.county}"
        )
    versions = {
        r[0]
        for r in await db.fetch_all(
            "SELECT version FROM form_versions WHERE form_id = ?", (ask.form_id,)
        )
    }
    if not versions:
        raise not_found(f"调查表 {ask.form_id!r}", f"form {ask.form_id!r}")
    if ask.version is not None and ask.version not in versions:
        raise not_found(
            f"调查表 {ask.form_id!r} 的第 {ask.version} 版",
            f"form {ask.form_id!r} version {ask.version}",
        )
    area = _area(principal, asked)
    area_name = ""
    if area:
        row = await db.fetch_one("SELECT name FROM places WHERE prefix = ?", (area,))
        if row is None:
            raise not_found(f"地区 {area}", f"place {area}")
        area_name = row["name"]
    zone = ZoneInfo(timezone)
    where, params = answers_where(principal, replace(spec, by="survey"), zone)
    if ask.start or ask.end:  # answers without a survey date: by the day they arrived
        arrived, arrived_params = answers_where(principal, replace(spec, by="received"), zone)
        where = f"(survey_date IS NOT NULL AND {where}) OR (survey_date IS NULL AND {arrived})"
        params += arrived_params
    return SummaryRequest(
        form_id=ask.form_id,
        where=where,
        params=tuple(params),
        area=area,
        area_name=area_name,
        start=ask.start,
        end=ask.end,
        version=ask.version,
        lang=ask.lang,
        generated_by=generated_by,
    )


async def record_summary(db: Database, principal: Principal, request: SummaryRequest) -> None:
    """Audit a summary downloaded: who took which form's figures, of where and when."""

    async def work(conn: aiosqlite.Connection) -> None:
        await audit.record(
            conn,
            principal.actor,
            "report.download",
            f"summary:{request.form_id}",
            area=request.area or None,
            start=request.start.isoformat() if request.start else None,
            end=request.end.isoformat() if request.end else None,
            version=request.version,
        )

    await db.write(work)
