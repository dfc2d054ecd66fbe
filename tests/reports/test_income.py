"""The income chapter recounted from the answers: composition cells, bar totals, the line."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import pytest

from reports.charts import whole
from tests.reports.stored import LINE, households, render, report, set_income, store, value

POOR = ("ordinary_poor", "dibao_poor", "tekun_poor")
LABELS = {
    "ordinary_poor": "一般贫困户",
    "dibao_poor": "低保贫困户",
    "tekun_poor": "特困供养贫困户",
    "non_poor": "一般农户",
    "all": "全部",
}


def _half_up(value: Fraction) -> int:
    floor = value.numerator // value.denominator
    return floor + (value - floor >= Fraction(1, 2))


def _parts(h: dict[str, Any]) -> list[Fraction]:
    income = h["income"]
    money = {k: Fraction(str(v)) for k, v in income.items() if k != "transfers"}
    transfers = sum((Fraction(str(v)) for v in income["transfers"].values()), Fraction(0))
    return [
        money["wages"],
        money["business_income"] - money["business_expense"],
        money["property_income"],
        transfers,
    ]


@pytest.fixture(scope="module")
def income_pdf(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("income")
    answers = households(12, 30)
    # Incomes with fractions of a yuan, so that flooring and rounding differ.
    for i, h in enumerate(answers):
        set_income(
            h,
            wages=1000 * i + 333.33,
            business_income=2000.5 + 7 * i,
            business_expense=1000.25,
            property_income=i * 13.7,
            dibao=0 if i % 2 else 1234.5,
            pension=17.5 * i,
        )
    # Just below the line per person (8,855.99 / 3 = 2,951.9967), shown as 2,952.00.
    just_below = next(h for h in answers if len(h["members"]) == 3)
    set_income(just_below, wages=3 * LINE - 0.01)
    store(folder / "minsheng.db", answers)
    built = report(folder / "minsheng.db")
    text = render(built, folder / "income.pdf")
    return {"answers": answers, "report": built, "text": text, "just_below": just_below}


def _composition(answers: list[dict[str, Any]]) -> dict[str, tuple[list[Fraction], Fraction]]:
    found = {}
    for category in (*POOR, "non_poor", "all"):
        chosen = [h for h in answers if category == "all" or h["household"]["category"] == category]
        if not chosen:
            continue
        people = sum(len(h["members"]) for h in chosen)
        parts = [sum((_parts(h)[i] for h in chosen), Fraction(0)) / people for i in range(4)]
        found[category] = (parts, sum(parts, Fraction(0)))
    return found


def test_composition_cells_are_rounded_and_totals_are_per_capita_income(income_pdf) -> None:
    text = income_pdf["text"]
    table = text[text.index("收入构成（人均，元）") :]
    table = table[table.index("工资性收入") :]
    expected = _composition(income_pdf["answers"])
    assert len(expected) >= 3
    for category, (parts, total) in expected.items():
        row = re.search(
            r"^\s*" + LABELS[category] + r"((?:\s+-?[\d,]+){6})\s*$", table, re.MULTILINE
        )
        assert row, category
        printed = row.group(1).split()
        assert printed[:4] == [f"{_half_up(p):,}" for p in parts], category
        assert printed[4] == f"{_half_up(total):,}", category
    # Flooring would have printed some of these cells one yuan low.
    cells = [p for parts, _ in expected.values() for p in parts]
    assert any(_half_up(p) != p.numerator // p.denominator for p in cells)
    # The "all" total is the per-capita net income printed above it on the same page.
    overall = _half_up(expected["all"][1])
    assert value(text, "人均纯收入（纯收入合计 / 人口合计）") == f"{overall:,}"


def test_chart_totals_agree_with_the_table(income_pdf) -> None:
    from reports.pdf import _context

    chart = str(_context(income_pdf["report"], "zh", "test", "incidence")["income_chart"])
    labels = re.findall(r">([\d,]+) 元<", chart)
    expected = _composition(income_pdf["answers"])
    assert labels == [f"{_half_up(total):,}" for _, total in expected.values()]


def test_the_line_is_tested_on_unrounded_income(income_pdf) -> None:
    h = income_pdf["just_below"]
    net = sum(_parts(h), Fraction(0))
    assert round(float(net / len(h["members"])), 2) == LINE  # shown as the line itself
    below = [
        a for a in income_pdf["answers"] if sum(_parts(a), Fraction(0)) / len(a["members"]) < LINE
    ]
    assert h in below
    bands = {name: s.count for name, s, _ in income_pdf["report"].figures.income["bands"]}
    assert bands["below"] == len(below)
    row = re.search(r"低于贫困标准（2,952）\s+(\d+)\s+(\d+)", income_pdf["text"])
    assert row and row.groups() == (str(len(below)), str(sum(len(a["members"]) for a in below)))


def test_whole_rounds_halves_away_from_zero() -> None:
    assert [whole(v) for v in (0.5, 1.5, 2.5, -2.5, 2.4999, 2951.996)] == [1, 2, 3, -3, 2, 2952]


def test_the_rounding_note_is_printed(income_pdf) -> None:
    assert "分别四舍五入到元" in income_pdf["text"]
