"""A form's summary (reports/summary.py) as PDF: its figures made printable, then laid out.

Every share is printed with its count and its base beside it, and with the same
percentage helper as the other reports (reports.charts.percent), so a person
recounting the answers gets the very figures printed. Bars are plain CSS boxes,
as wide as their share: nothing to run, nothing to fetch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.charts import percent
from reports.distributions import by_month, histogram, number_text, spread
from reports.pdf import STATIC, _environment, asset_fetcher, find_cjk_font
from reports.summary import (
    COUNT_ONLY,
    Question,
    Repeat,
    Summary,
    SummaryRequest,
    build_summary,
)

_KINDS = {
    "text": ("文字", "text"),
    "code": ("编码（如身份证号）", "code (e.g. ID number)"),
    "phone": ("电话号码", "phone number"),
    "photo": ("照片", "photo"),
    "location": ("位置", "location"),
}


def _tr(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


@dataclass
class Row:
    """One line of a distribution: its label, count, share of `base` and bar width."""

    label: str
    count: int
    base: int
    muted: bool = False  # 未答 and 其他值: not one of the answers
    peak: int = 0  # the table's largest count: its bar is the widest

    @property
    def pct(self) -> str:
        return percent(self.count, self.base) if self.base else "—"

    @property
    def width(self) -> str:
        return f"{100.0 * self.count / self.peak:.1f}%" if self.peak else "0%"


def _scaled(rows: list[Row]) -> list[Row]:
    peak = max((r.count for r in rows), default=0)
    for r in rows:
        r.peak = peak
    return rows


def _rows(found: list[tuple[str, int]], base: int) -> list[Row]:
    return _scaled([Row(label, n, base) for label, n in found])


@dataclass
class Block:
    """One question (or repeat group) as printed."""

    kind: str
    label: str
    asked: int
    answered: int = 0
    hint: str = ""
    conditional: bool = False
    rows: list[Row] = field(default_factory=list)
    note: str = ""
    stats: list[tuple[str, str]] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)  # a repeat group's questions
    count_only: list[Block] = field(default_factory=list)  # ...shown as one table
    items: int = 0
    unit: str = ""  # a date's counts are by month, year or years


def _choice_rows(q: Question, base: int, lang: str) -> list[Row]:
    rows = [Row(label, q.counts.get(code, 0), base) for code, label in q.options]
    known = {code for code, _ in q.options}
    other = q.other + sum(n for code, n in q.counts.items() if code not in known)
    if other:
        label = _tr(lang, "其他值（旧版选项等）", "other values (older options)")
        rows.append(Row(label, other, base, True))
    return rows


def question_block(q: Question, lang: str) -> Block:
    block = Block(q.kind, q.label, q.asked, q.answered, q.hint, q.conditional)
    unit = f" {q.unit}" if q.unit else ""
    if q.kind in ("choice", "boolean"):
        block.rows = _choice_rows(q, q.asked, lang)
        block.rows.append(Row(_tr(lang, "未答", "not answered"), q.unanswered, q.asked, True))
        _scaled(block.rows)
    elif q.kind == "choices":
        block.rows = _scaled(_choice_rows(q, q.answered, lang))
        block.note = _tr(
            lang,
            f"可多选：比例为占作答 {q.answered} 份的比例，合计可超过 100%。",
            f"Several choices allowed: shares of the {q.answered} answered, may sum over 100%.",
        )
    elif q.kind == "number":
        found = spread(q.values)
        if found:
            names = {
                "min": _tr(lang, "最小", "min"),
                "median": _tr(lang, "中位数", "median"),
                "mean": _tr(lang, "平均", "mean"),
                "max": _tr(lang, "最大", "max"),
            }
            block.stats = [(names[k], number_text(v) + unit) for k, v in found.items()]
            bins = histogram(q.values)
            block.rows = _rows(bins, len(q.values))
            if any(" – " in label for label, _ in bins):
                block.note = _tr(
                    lang, "每组含下限，不含上限。", "Each bin holds its lower bound, not its upper."
                )
    elif q.kind == "date":
        days = q.counts
        if days:
            block.stats = [
                (_tr(lang, "最早", "first"), min(days)),
                (_tr(lang, "最晚", "last"), max(days)),
            ]
            block.unit, months = by_month(days)
            block.rows = _rows(months, sum(days.values()))
    if q.other and q.kind in ("number", "date"):
        what = _tr(lang, "数字", "numbers") if q.kind == "number" else _tr(lang, "日期", "dates")
        block.note += _tr(
            lang, f" {q.other} 份的值不是{what}，未计入。", f" {q.other} values are not {what}."
        )
    return block


def _kind_label(kind: str, lang: str) -> str:
    zh, en = _KINDS.get(kind, (kind, kind))
    return _tr(lang, zh, en)


def node_blocks(nodes: list[Question | Repeat], lang: str) -> tuple[list[Block], list[Block]]:
    """(blocks with a distribution, blocks counted only) for a list of questions."""
    shown: list[Block] = []
    counted: list[Block] = []
    for node in nodes:
        if isinstance(node, Repeat):
            shown.append(repeat_block(node, lang))
        elif node.kind in COUNT_ONLY:
            block = Block(
                node.kind, node.label, node.asked, node.answered, node.hint, node.conditional
            )
            block.note = _kind_label(node.kind, lang)
            counted.append(block)
        else:
            shown.append(question_block(node, lang))
    return shown, counted


def repeat_block(r: Repeat, lang: str) -> Block:
    block = Block("repeat", r.label, r.asked, sum(1 for n in r.per_row if n), r.hint, r.conditional)
    block.items = r.items
    found = spread([float(n) for n in r.per_row])
    if found:
        block.stats = [
            (_tr(lang, "最少", "min"), number_text(found["min"])),
            (_tr(lang, "中位数", "median"), number_text(found["median"])),
            (_tr(lang, "平均", "mean"), number_text(found["mean"])),
            (_tr(lang, "最多", "max"), number_text(found["max"])),
        ]
        block.rows = _rows(histogram([float(n) for n in r.per_row]), len(r.per_row))
    block.children, block.count_only = node_blocks(r.nodes, lang)
    return block


def summary_context(summary: Summary, lang: str) -> dict[str, Any]:
    request = summary.request
    sections = []
    for section in summary.sections:
        shown, counted = node_blocks(section.nodes, lang)
        sections.append(
            {"key": section.key, "label": section.label, "blocks": shown, "counted": counted}
        )
    start, end = request.start, request.end
    period = f"{start or '…'} — {end or '…'}" if start or end else _tr(lang, "全部时间", "all time")
    versions = _tr(lang, "、", ", ").join(str(v) for v in summary.versions)
    if request.version:
        version_text = _tr(lang, f"第 {request.version} 版", f"version {request.version}")
    else:
        version_text = _tr(lang, f"全部版本（第 {versions} 版）", f"all versions ({versions})")
    area = request.area_name or _tr(lang, "全部", "everywhere")
    if request.area:
        area += f"（{request.area}）" if lang != "en" else f" ({request.area})"
    if summary.subject == "household":
        unit = _tr(lang, "户", "households")
    else:
        unit = _tr(lang, "村", "villages")
    return {
        "summary": summary,
        "sections": sections,
        "period_text": period,
        "version_text": version_text,
        "area_text": area,
        "subject_unit": unit,
        "running": f"{summary.title} · {request.area_name or _tr(lang, '全部', 'everywhere')}",
    }


def render_summary_html(summary: Summary) -> str:
    lang = summary.request.lang
    env = _environment(lang)
    return env.get_template("summary.html").render(summary_context(summary, lang))


def render_summary_pdf(summary: Summary) -> bytes:
    """The summary as PDF bytes; raises CJKFontMissing when no Chinese font is installed."""
    from weasyprint import HTML

    find_cjk_font()
    document = HTML(
        string=render_summary_html(summary),
        base_url=STATIC.as_uri() + "/",
        url_fetcher=asset_fetcher(),
    ).render()
    summary.pages = len(document.pages)
    return bytes(document.write_pdf())


def render_summary(db_path: Path, request: SummaryRequest) -> tuple[bytes, Summary]:
    """Count and lay out one summary (in a render worker, or the command line)."""
    summary = build_summary(db_path, request)
    return render_summary_pdf(summary), summary
