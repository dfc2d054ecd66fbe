"""Vector charts drawn on the server as inline SVG, readable in black and white.

Reports are printed on office laser printers and photocopied, so series are
told apart by grey level and hatching, never by colour alone, and every value
is printed beside its bar. Each <text> names the CJK font: WeasyPrint would
otherwise fall back to other fonts for SVG text and embed them too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

FONT = "Noto Sans CJK SC"
WIDTH = 640  # px; A4 less margins is about 170 mm = 643 px
_INK = "#000"

# Fills for series, distinguishable on a greyscale photocopy; {p} is the chart's
# id prefix (pattern ids must be unique in the whole HTML document).
_FILLS = ("#333333", "url(#{p}hatch)", "#bbbbbb", "url(#{p}dots)", "#ffffff", "#777777")

_DEFS = (
    "<defs>"
    '<pattern id="{p}hatch" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#fff"/>'
    '<path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" stroke="#000" stroke-width="1.2"/></pattern>'
    '<pattern id="{p}dots" width="5" height="5" patternUnits="userSpaceOnUse">'
    '<rect width="5" height="5" fill="#e6e6e6"/><circle cx="2.5" cy="2.5" r="1.1" fill="#000"/>'
    "</pattern></defs>"
)


def whole(value: float) -> int:
    """`value` rounded to a whole number, halves away from zero (四舍五入), as statistics
    offices round: Python's round() and format() round halves to even."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def percent(count: float, total: float) -> str:
    """`count` as a percentage of `total`, to one decimal: "12.5%". Every report prints
    its shares with this, so a recount of the answers compares with the very text."""
    return f"{100.0 * count / total:.1f}%"


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = 10,
    anchor: str = "start",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" '
        f'font-weight="{weight}" text-anchor="{anchor}" fill="{_INK}">{escape(content)}</text>'
    )


def _text_width(content: str, size: float = 10) -> float:
    """A generous estimate of a label's width: CJK glyphs are square, Latin about half."""
    return sum(size if ord(ch) > 0x2E7F else 0.6 * size for ch in content)


def _label_width(labels: Sequence[str]) -> int:
    """Room for the longest label, so none is clipped at the chart's left edge."""
    return int(min(260, max([60.0] + [_text_width(label) + 12 for label in labels])))


def _svg(height: float, body: list[str], title: str, defs: str = "") -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}">'
        f"{defs}{''.join(body)}</svg>"
    )


def bar_chart(rows: Sequence[tuple[str, int]], total: int, title: str) -> Markup:
    """Horizontal bars, one per (label, count), each annotated "count (pct%)" of `total`."""
    label_width = _label_width([label for label, _ in rows])
    bar_h, gap, top = 14, 6, 6
    plot_w = WIDTH - label_width - 90
    peak = max([count for _, count in rows] + [1])
    body = []
    for i, (label, count) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = plot_w * count / peak
        body.append(_text(label_width - 6, y + bar_h - 3, label, anchor="end"))
        if count:
            body.append(
                f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{_FILLS[0]}" stroke="{_INK}" stroke-width="0.6"/>'
            )
        pct = f" ({percent(count, total)})" if total else ""
        body.append(_text(label_width + w + 4, y + bar_h - 3, f"{count}{pct}"))
    axis_y = top + len(rows) * (bar_h + gap)
    body.append(
        f'<line x1="{label_width}" y1="{top - 2}" x2="{label_width}"'
        f' y2="{axis_y - gap + 2}"'
        f' stroke="{_INK}" stroke-width="0.8"/>'
    )
    return _svg(axis_y + 2, body, title)


def stacked_bars(
    bars: Sequence[tuple[str, Sequence[float], float]],
    series: Sequence[str],
    title: str,
    *,
    unit: str = "",
    chart_id: str = "inc",
) -> Markup:
    """Horizontal stacked bars: one per (label, values, total), segments in `series` order,
    each annotated with its total rounded to a whole number.

    The total is given rather than summed here, so the label prints the very figure
    the tables beside the chart print. Negative values (a loss-making business) are
    drawn as zero; the tables carry the exact figures.
    """
    label_width = _label_width([label for label, _, _ in bars])
    bar_h, gap, top = 18, 8, 6
    fills = [f.format(p=chart_id) for f in _FILLS]
    plot_w = WIDTH - label_width - 80
    peak = max([sum(max(v, 0) for v in values) for _, values, _ in bars] + [1])
    body = []
    for i, (label, values, total) in enumerate(bars):
        y = top + i * (bar_h + gap)
        x = float(label_width)
        body.append(_text(label_width - 6, y + bar_h - 5, label, anchor="end"))
        for j, value in enumerate(values):
            w = plot_w * max(value, 0) / peak
            if w > 0:
                body.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{fills[j % len(fills)]}" stroke="{_INK}" stroke-width="0.6"/>'
                )
            x += w
        body.append(_text(x + 4, y + bar_h - 5, f"{whole(total):,}{unit}"))
    legend_y = top + len(bars) * (bar_h + gap) + 6
    x = float(label_width)
    for j, name in enumerate(series):
        body.append(
            f'<rect x="{x:.1f}" y="{legend_y}" width="14" height="10" '
            f'fill="{fills[j % len(fills)]}" stroke="{_INK}" stroke-width="0.6"/>'
        )
        body.append(_text(x + 18, legend_y + 9, name, size=9))
        x += 28 + 9 * max(len(name), 4) * (0.6 if name.isascii() else 1.0)
    return _svg(legend_y + 16, body, title, _DEFS.format(p=chart_id))
