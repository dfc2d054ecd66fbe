"""A village's QR sheet: each household's own link as a QR code, to print and hand out.

A household that scans its code fills its own form without an account. The
sheet is a few A4 pages of cards, twelve to a page (three across, four down),
each with the head's name, the villagers' group, the code and the day it stops
working, cut apart along the dashed lines. What the codes hold are secrets, so
a sheet is never cached: it is rendered for whoever asks, in a render worker
(`reports.worker.ReportService.run`), with the same asset-only url_fetcher and
CJK-font check as the reports.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from reports.pdf import STATIC, _environment, asset_fetcher, find_cjk_font

PER_PAGE = 12


@dataclass(frozen=True)
class SheetPlace:
    code: str
    name: str
    township_name: str
    county_name: str


@dataclass(frozen=True)
class SheetCard:
    """One household's card: who it is for and the address its code holds."""

    head_name: str
    group_name: str | None
    url: str
    expires_at: str  # ISO time, UTC


def qr_code(url: str, title: str = "") -> Markup:
    """`url` as an inline SVG QR code that scales to its box (medium error correction: a
    crease or a smudge on paper still scans; a white quiet zone of two modules)."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(
        out,
        kind="svg",
        xmldecl=False,
        nl=False,
        omitsize=True,
        border=2,
        dark="#000",
        light="#fff",
        title=title or None,
        svgclass="qr",
        lineclass=None,
    )
    return Markup(out.getvalue().decode())  # segno's markup; the title is escaped by segno


def _day(iso: str, zone: str) -> str:
    at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return at.astimezone(ZoneInfo(zone)).date().isoformat()


def render_html(
    place: SheetPlace, cards: list[SheetCard], lang: str, generated_by: str, zone: str, made_at: str
) -> str:
    env = _environment(lang)
    shown = [(card, qr_code(card.url), _day(card.expires_at, zone)) for card in cards]
    pages = [shown[i : i + PER_PAGE] for i in range(0, len(shown), PER_PAGE)]
    return env.get_template("qr_sheet.html").render(
        place=place, pages=pages, count=len(cards), generated_by=generated_by, made_at=made_at
    )


def render_qr_sheet(
    place: SheetPlace,
    cards: list[SheetCard],
    lang: str = "zh",
    generated_by: str = "minsheng",
    zone: str = "Asia/Shanghai",
    made_at: str = "",
) -> bytes:
    """The sheet as PDF bytes; raises CJKFontMissing when no Chinese font is installed."""
    from weasyprint import HTML

    find_cjk_font()
    html = render_html(place, cards, lang, generated_by, zone, made_at)
    document = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=asset_fetcher())
    return bytes(document.write_pdf())
