"""Figures to PDF: Jinja templates, a print stylesheet and WeasyPrint.

Two promises are kept here. Chinese is set in a CJK font embedded as a subset,
and without one no PDF is made at all (a report of empty boxes would be
printed and signed before anyone noticed). And nothing a person typed can make
WeasyPrint read a file or fetch a URL: templates autoescape, and the
url_fetcher serves only this package's static assets.
"""

from __future__ import annotations

import shutil
import subprocess
from decimal import ROUND_FLOOR, Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports.charts import bar_chart, percent, stacked_bars, whole
from reports.county_table import LOW_COVERAGE, by_township, top_incidence
from reports.figures import Report, Share

PACKAGE = Path(__file__).resolve().parent
STATIC = PACKAGE / "static"
TEMPLATES = PACKAGE / "templates"
# Bumped whenever the templates or stylesheet change what a report shows, so
# cached PDFs made by older templates are not served.
TEMPLATE_VERSION = "7"
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN")
QUALITY_LIMIT = 300


class CJKFontMissing(RuntimeError):
    """No Chinese font is installed; a report would print as empty boxes."""


@cache
def find_cjk_font() -> str:
    """The installed CJK family the stylesheet will use; raise CJKFontMissing if none.

    Asks fontconfig (which WeasyPrint itself uses) for fonts covering Simplified
    Chinese, and accepts only the families the stylesheet names.
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise CJKFontMissing(
            "fontconfig's fc-list is not installed, so no CJK font can be found; "
            "install fontconfig and fonts-noto-cjk"
        )
    found = subprocess.run(
        [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, timeout=20, check=False
    ).stdout
    families = {name.strip() for line in found.splitlines() for name in line.split(",")}
    for family in CJK_FAMILIES:
        if family in families:
            return family
    raise CJKFontMissing(
        "no CJK font for Chinese is installed (looked for "
        + ", ".join(CJK_FAMILIES)
        + "); install fonts-noto-cjk (apt-get install fonts-noto-cjk) and try again"
    )


PHOTOS = "photos/"  # where a report's thumbnails appear to be, under `root`


def asset_fetcher(root: Path = STATIC, photos: list[bytes] | None = None) -> Any:
    """A WeasyPrint url_fetcher that serves files under `root` (reports/static) and nothing else,
    and the report's own thumbnails (`photos`, JPEG bytes) as `photos/<n>.jpg` under it.

    Refused URLs are kept in `.refused`, served ones in `.served`, so a test can
    show that typed text reached neither.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",))
            self.root = root.resolve()
            self.served: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "file" and not parts.netloc:
                path = Path(unquote(parts.path)).resolve()
                photo = _photo_number(path, self.root / PHOTOS, len(photos or ()))
                if photo is not None:
                    self.served.append(url)
                    data = (photos or [])[photo]
                    return URLFetcherResponse(url, data, {"Content-Type": "image/jpeg"})
                if path.is_relative_to(self.root) and path.is_file():
                    self.served.append(url)
                    mime = "text/css" if path.suffix == ".css" else "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
            self.refused.append(url)
            raise ValueError(f"report assets only; refused {url[:80]!r}")

    return AssetFetcher()


def _photo_number(path: Path, folder: Path, count: int) -> int | None:
    """n for `folder`/<n>.jpg with n < count, else None."""
    if path.parent != folder or path.suffix != ".jpg" or not path.stem.isdigit():
        return None
    number = int(path.stem)
    return number if number < count else None


@cache
def _environment(lang: str) -> Environment:
    """The Jinja environment for one language, kept so templates compile once."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    missing = "no data" if lang == "en" else "无数据"

    def tr(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    def paren(text: Any) -> str:
        """`text` in brackets after a word: full-width in Chinese."""
        return f" ({text})" if lang == "en" else f"（{text}）"

    def num(value: Any) -> str:
        if value is None:
            return missing
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.1f}"
        return f"{int(value)}"

    def money(value: Any) -> str:
        return missing if value is None else f"{whole(value):,}"

    def fen(value: Any) -> str:
        """Yuan cut (not rounded) to the fen: a figure below the line never prints as it."""
        if value is None:
            return missing
        return f"{Decimal(repr(value)).quantize(Decimal('0.01'), ROUND_FLOOR):,}"

    def ratio(value: float | None) -> str:
        return missing if value is None else f"{100.0 * value:.1f}%"

    def figure(value: Any, kind: str) -> str:
        """A headline figure: a count, a percentage, or yuan."""
        if value is None:
            return missing
        if kind == "pct":
            return f"{value:.1f}%"
        return money(value) if kind == "money" else f"{int(value)}"

    def change(now: Any, before: Any, kind: str) -> str:
        """How far `now` is from `before`: signed, in percentage points for rates, and
        for yuan with the relative change too."""
        if now is None or before is None:
            return missing
        if kind == "pct":
            points = round(now, 1) - round(before, 1)
            return f"{points:+.1f} " + tr("个百分点", "pts")
        if kind == "money":
            shown = f"{whole(now) - whole(before):+,}"
            if not before:
                return shown
            relative = f"{100 * (now - before) / before:+.1f}%"
            return tr(f"{shown}（{relative}）", f"{shown} ({relative})")
        return f"{int(now) - int(before):+d}"

    def pct(count: Any, total: Any) -> str:
        if count is None or not total:
            return missing
        return percent(count, total)

    def share(s: Share) -> str:
        if s.count is None or not s.total:
            return missing
        if lang == "en":
            return f"{s.count} / {s.total} ({pct(s.count, s.total)})"
        return f"{s.count} / {s.total}（{pct(s.count, s.total)}）"

    env.globals.update(
        tr=tr,
        paren=paren,
        num=num,
        money=money,
        fen=fen,
        pct=pct,
        ratio=ratio,
        figure=figure,
        change=change,
        low_coverage_pct=round(100 * LOW_COVERAGE),
        share=share,
        missing=missing,
        lang=lang,
        quality_limit=QUALITY_LIMIT,
    )
    return env


def _band_labels(line: float, lang: str) -> dict[str, str]:
    a, b, c = (f"{line:,.0f}", f"{1.5 * line:,.0f}", f"{2 * line:,.0f}")
    if lang == "en":
        return {
            "below": f"below the line ({a})",
            "to_1_5": f"{a} to under {b}",
            "to_2": f"{b} to under {c}",
            "above_2": f"{c} or more",
            "unknown": "income incomplete",
        }
    return {
        "below": f"低于贫困标准（{a}）",
        "to_1_5": f"{a} 至 {b}",
        "to_2": f"{b} 至 {c}",
        "above_2": f"{c} 及以上",
        "unknown": "收入不完整",
    }


_RULES = {
    "irrigated_exceeds_cultivated": (
        "有效灌溉面积超过耕地面积",
        "Irrigated land exceeds cultivated land",
    ),
    "income_incomplete": (
        "收入项目不完整，无法计算人均纯收入",
        "Income incomplete; no per-capita income",
    ),
    "income_out_of_range": (
        "人均纯收入不在 0 至 100000 元之间",
        "Per-capita income not in (0, 100000]",
    ),
    "poor_without_cause": ("贫困户未填主要致贫原因", "Poor household without a main cause"),
    "illness_without_ill_member": ("因病致贫但无患病成员", "Main cause illness but no ill member"),
    "disability_without_disabled_member": (
        "因残致贫但无残疾成员",
        "Main cause disability but no disabled member",
    ),
    "schooling_without_student": ("因学致贫但无在校生", "Main cause schooling but no student"),
    "not_one_head": ("户主不是恰好一人", "Not exactly one head of household"),
    "survey_date_in_future": ("调查日期晚于今天", "Survey date in the future"),
}


def _context(report: Report, lang: str, generated_by: str, sort: str) -> dict[str, Any]:
    labels = report.labels
    f = report.figures

    def label(path: str, code: Any) -> str:
        return labels.option(path, code, lang)

    def title(path: str) -> str:
        return labels.title(path, lang)

    def tr(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    parts = [
        title("income.wages"),
        tr("经营性净收入", "Net business income"),
        title("income.property_income"),
        tr("转移性收入", "Transfers"),
    ]

    def category_label(code: str) -> str:
        return tr("全部", "All") if code == "all" else label("household.category", code)

    bars = [
        (category_label(row["category"]), row["parts"], row["total"])
        for row in f.income["composition"]
    ]
    start, end = report.period.params()
    period_text = f"{start or '…'} — {end or '…'}" if start or end else tr("全部时间", "all time")
    if report.survey_span[0]:
        period_text += tr("（调查日期 {} 至 {}）", " (surveys dated {} to {})").format(
            *report.survey_span
        )
    top_urgent = sorted(
        (v for v in report.villages if v["open_urgent"]),
        key=lambda v: (-v["open_urgent"], v["code"]),
    )[:10]
    bands = _band_labels(report.poverty_line, lang)
    water_labels = (tr("困难", "difficult"), tr("安全", "safe"), tr("不安全", "unsafe"))

    def water(h: dict[str, Any]) -> str:
        said = []
        if h["water_difficulty"] == 1:
            said.append(water_labels[0])
        if h["water_safe"] is not None:
            said.append(water_labels[1] if h["water_safe"] == 1 else water_labels[2])
        return tr("、", ", ").join(said)

    def house(h: dict[str, Any]) -> str:
        if h["floor_area"] == 0:
            return tr("无住房", "no house")
        return label("living.dilapidation", h["dilapidation"]) if h["dilapidation"] else ""

    heading = (
        tr("村情与帮扶报告", "Village profile and assistance report")
        if report.kind == "village"
        else tr("县级汇总报告", "County roll-up report")
    )
    common = [
        (
            "profile",
            "村情概况" if report.kind == "village" else "全县概况",
            "Profile" if report.kind == "village" else "County profile",
        )
    ]
    chapters = [
        ("income", "收入", "Income"),
        ("flags", "预警名单", "Red flags"),
        ("causes", "致贫原因", "Causes of poverty"),
        ("living", "两不愁三保障", "Living conditions"),
        ("people", "人口结构", "People"),
        ("needs", "需求台账", "Needs ledger"),
        ("pairing", "帮扶落实", "Pairing"),
    ]
    if report.kind == "village":
        sections = [*common, *chapters, ("households", "户明细", "Household appendix")]
        if report.photos:
            sections.append(("photos", "附录：住房照片", "Appendix: photos of the houses"))
    else:
        sections = [*common, ("villages", "分村情况", "Villages"), *chapters]
    sections.append(("quality", "数据质量", "Data quality"))
    return {
        "report": report,
        "heading": heading,
        "sections": sections,
        "period_text": period_text,
        "generated_by": generated_by,
        "label": label,
        "title": title,
        "water": water,
        "house": house,
        "band_label": bands.__getitem__,
        "rule_label": lambda r: tr(*_RULES.get(r, (r, r))),
        "income_parts": parts,
        "village_table": by_township(report.villages, sort) if report.villages else None,
        "top_incidence": top_incidence(report.villages),
        "top_urgent": top_urgent,
        "sort": sort,
        "income_chart": stacked_bars(
            bars, parts, tr("收入构成", "Income composition"), unit=tr(" 元", " yuan")
        ),
        "causes_chart": bar_chart(
            [(label("causes.main_cause", c), k) for c, k in f.causes.rows],
            f.causes.total,
            tr("主要致贫原因", "Main causes"),
        ),
        "needs_chart": bar_chart(
            [(label("needs.item", c), k) for c, k in f.needs["items"].rows if k],
            f.needs["items"].total,
            tr("需求事项", "Needs by item"),
        ),
    }


def render_html(
    report: Report, lang: str = "zh", generated_by: str = "minsheng", sort: str = "incidence"
) -> str:
    template = "village.html" if report.kind == "village" else "county.html"
    if report.drawn == 0:
        template = "empty.html"
    env = _environment(lang)
    return env.get_template(template).render(_context(report, lang, generated_by, sort))


def render_pdf(
    report: Report,
    lang: str = "zh",
    *,
    generated_by: str = "minsheng",
    sort: str = "incidence",
    url_fetcher: Any = None,
) -> bytes:
    """The report as PDF bytes; raises CJKFontMissing when no Chinese font is installed."""
    from weasyprint import HTML  # heavy import, kept out of the web process until needed

    find_cjk_font()
    html = render_html(report, lang, generated_by, sort)
    document = HTML(
        string=html,
        base_url=STATIC.as_uri() + "/",
        url_fetcher=url_fetcher or asset_fetcher(photos=[p["jpeg"] for p in report.photos]),
    )
    return bytes(document.write_pdf())
