from __future__ import annotations

import re

from reports.charts import FONT, _text_width, bar_chart, stacked_bars

LONG = "Five-guarantee poor household"


def _end_anchored(svg: str) -> list[tuple[float, str]]:
    return [
        (float(x), text)
        for x, text in re.findall(
            r'<text x="([\d.]+)"[^>]*text-anchor="end"[^>]*>([^<]*)</text>', svg
        )
    ]


def test_long_labels_fit_left_of_the_bars() -> None:
    for svg in (
        str(bar_chart([(LONG, 3), ("因病", 5)], 8, "t")),
        str(stacked_bars([(LONG, [1.0, 2.0], 3.0), ("全部", [2.0, 1.0], 3.0)], ["a", "b"], "t")),
    ):
        labels = _end_anchored(svg)
        assert {text for _, text in labels} >= {LONG}
        for x, text in labels:
            assert x >= _text_width(text), (text, x)


def test_every_text_names_the_cjk_font() -> None:
    svg = str(bar_chart([("因病", 5)], 5, "t"))
    texts = re.findall(r"<text [^>]*>", svg)
    assert texts and all(f'font-family="{FONT}"' in t for t in texts)


def test_labels_are_escaped() -> None:
    svg = str(bar_chart([("<b>&", 1)], 1, "t"))
    assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg
