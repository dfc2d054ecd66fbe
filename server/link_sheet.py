"""A village's QR sheet: every household's own link as a QR code, printed as a PDF.

An official prints it for a village of their area, a cadre for a village they
work in (paired whole, or through some of its households: then the sheet holds
just those). Printing it makes a link for each household that has no printable
one with a month or more to run, and revokes nothing; printing it again shows
the same codes (see `server.links`). The PDF is rendered in a report worker and
never cached, since its codes are what lets a household in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from reports.pdf import CJKFontMissing
from reports.qr_sheet import SheetCard, SheetPlace, render_qr_sheet
from reports.worker import RenderFailed, ReportService
from server.auth import Principal
from server.authz import Place, require
from server.db import Database
from server.errors import AppError, documented_errors, not_found, zh_en
from server.households import list_households
from server.http import request_lang
from server.links import link_key, link_url, sheet_links
from server.places import list_villages
from server.settings import Settings

MAX_HOUSEHOLDS = 2000  # more than any village has; a sheet of them is ~170 pages


class LinkSheetController(Controller):
    tags = ("links",)

    @get(
        "/reports/village/{code:str}/qr.pdf",
        media_type="application/pdf",
        responses=documented_errors(
            {
                401: "not logged in",
                403: "not a village you work in",
                404: "no such village",
                503: "no CJK font on the server, or the render worker died",
            }
        ),
    )
    async def village_sheet(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        code: FromPath[str],
    ) -> Response[bytes]:
        """A village's households with their own QR codes, twelve to an A4 page, to print.

        Makes a link for each household without a printable one valid a month more;
        revokes nothing. ?lang=en for English."""
        if not (len(code) == 12 and code.isdigit()):
            raise not_found(f"村 {code[:20]!r}", f"village {code[:20]!r}")
        await require(db, principal, "link.sheet", Place(code))
        found = await list_villages(db, code)
        if not found:
            raise not_found(f"村 {code}", f"village {code}")
        village = found[0]
        page = await list_households(db, principal, under=code, limit=MAX_HOUSEHOLDS)
        households = sorted(page.items, key=lambda h: (h.group_name or "", h.head_name))
        links = await sheet_links(
            db,
            principal.actor,
            [h.id for h in households],
            "household",
            link_key(settings.link_key_path),
            target=f"village:{code}",
        )
        cards = [
            SheetCard(
                h.head_name,
                h.group_name,
                link_url(request, links[h.id][1]),
                links[h.id][0].expires_at,
            )
            for h in households
        ]
        service: ReportService = request.app.state.reports
        who = f"{principal.name}（{principal.username}）" if principal.username else principal.name
        made_at = datetime.now(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")
        place = SheetPlace(village.code, village.name, village.township_name, village.county_name)
        try:
            lang, zone = request_lang(request), settings.timezone
            pdf = await service.run(render_qr_sheet, place, cards, lang, who, zone, made_at)
        except CJKFontMissing as exc:
            raise AppError(
                503, "cjk_font_missing", zh_en(f"服务器缺少中文字体，无法生成：{exc}", str(exc))
            ) from exc
        except RenderFailed as exc:
            raise AppError(
                503,
                "render_failed",
                zh_en("生成二维码页的进程意外退出，请稍后重试", f"{exc}; try again later"),
            ) from exc
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Cache-Control": "private, no-store",
                "Content-Disposition": f'inline; filename="qr_{code}.pdf"',
            },
        )
