"""The county's by-village table recounted: aggregate incomes, township subtotals, a total,
low-coverage villages marked and not ranked, and type an official can read (>= 8 pt)."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import pytest

from forms.demo import demo_villages
from reports import pdf as report_pdf
from reports.county_table import LOW_COVERAGE, by_township, total, with_ratios
from tests.reports.stored import COUNTY, households, render, report, store

POOR = ("ordinary_poor", "dibao_poor", "tekun_poor")
STILL_POOR = ("not_out", "expected_out", "returned")
# village index -> households surveyed; registered households are 10 each, so the last
# village (2 of 10 surveyed) is under LOW_COVERAGE.
SURVEYED = {0: 9, 1: 7, 2: 8, 3: 10, 4: 2}


def _net(h: dict[str, Any]) -> Fraction:
    inc = h["income"]
    parts = [Fraction(str(inc[k])) for k in ("wages", "business_income", "property_income")]
    net = sum(parts, Fraction(0)) - Fraction(str(inc["business_expense"]))
    return net + sum((Fraction(str(v)) for v in inc["transfers"].values()), Fraction(0))


def _half_up(value: Fraction) -> int:
    floor = value.numerator // value.denominator
    return floor + (value - floor >= Fraction(1, 2))


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("county")
    villages = [
        {**v, "households_registered": 10, "population_registered": 33 + i}
        for i, v in enumerate(demo_villages())
    ]
    answers = []
    for i, count in SURVEYED.items():
        answers += households(50 + i, count, villages[i])
    store(folder / "minsheng.db", answers, villages)
    built = report(folder / "minsheng.db", "county", COUNTY)
    text = render(built, folder / "county.pdf")
    return {"villages": villages, "answers": answers, "report": built, "text": text,
            "pdf": folder / "county.pdf"}  # fmt: skip


def _recount(villages: list[dict[str, Any]], answers: list[dict[str, Any]]) -> dict[str, Any]:
    chosen = [h for h in answers if h["household"]["village_code"] in {v["code"] for v in villages}]
    people = sum(len(h["members"]) for h in chosen)
    poor = sum(
        len(h["members"])
        for h in chosen
        if h["household"]["category"] in POOR and h["household"].get("status") in STILL_POOR
    )
    return {
        "households": len(chosen),
        "people": people,
        "poor": poor,
        "income": _half_up(sum((_net(h) for h in chosen), Fraction(0)) / people),
        "incidence": f"{100 * poor / sum(v['population_registered'] for v in villages):.1f}%",
        "coverage": f"{100 * len(chosen) / sum(v['households_registered'] for v in villages):.1f}%",
    }


def _row(text: str, label: str) -> list[str]:
    """The cells printed after `label` on its line (a village's name, mark and figures)."""
    found = re.search(r"^\s*" + re.escape(label) + r"\s+(.*)$", text, re.MULTILINE)
    assert found, label
    return [cell for cell in found.group(1).split() if cell != "‡"]


def test_rows_subtotals_and_total_recount_from_the_answers(county) -> None:
    text, villages, answers = county["text"], county["villages"], county["answers"]
    table = text[text.index("按乡镇分组") :]
    groups: list[tuple[str, list[dict[str, Any]]]] = [
        (v["code"], [v]) for v in villages
    ]  # one row per village, then a subtotal per township and the county total
    for township in {v["township_name"] for v in villages}:
        groups.append((f"{township} 小计", [v for v in villages if v["township_name"] == township]))
    groups.append(("全县合计", villages))
    for label, members in groups:
        expected = _recount(members, answers)
        cells = _row(table, label)
        if label.isdigit():
            cells = cells[1:]  # the village's name follows its code
        assert cells[:6] == [
            str(expected["households"]),
            expected["coverage"],
            str(expected["people"]),
            str(expected["poor"]),
            expected["incidence"],
            f"{expected['income']:,}",
        ], label


def test_income_per_head_is_aggregate_not_a_mean_of_households(county) -> None:
    answers = county["answers"]
    per_household = [_net(h) / len(h["members"]) for h in answers]
    mean = sum(per_household, Fraction(0)) / len(per_household)
    aggregate = sum((_net(h) for h in answers), Fraction(0)) / sum(
        len(h["members"]) for h in answers
    )
    assert _half_up(mean) != _half_up(aggregate)  # the data tells them apart
    assert _row(county["text"], "全县合计")[5] == f"{_half_up(aggregate):,}"


def test_low_coverage_villages_are_marked_and_listed_after_the_ranked(county) -> None:
    low = county["villages"][4]
    assert SURVEYED[4] / low["households_registered"] < LOW_COVERAGE
    table = by_township(county["report"].villages)
    township = next(t for t in table["townships"] if t["name"] == low["township_name"])
    assert township["villages"][-1]["code"] == low["code"]
    ranked = [v["incidence"] for v in township["villages"] if not v["low_coverage"]]
    assert ranked == sorted(ranked, reverse=True)
    marked = re.escape(low["code"]) + r"\s+" + re.escape(low["name"]) + " ‡"
    assert re.search(marked, county["text"])
    top = county["text"][county["text"].index("贫困发生率最高的村") :]
    assert low["name"] not in top.split("只排调查覆盖率")[0]


def test_an_unknown_registered_count_makes_the_sum_unknown() -> None:
    rows = [
        {"households": 3, "registered": 10, "population_registered": None, "poor_people": 2},
        {"households": 4, "registered": None, "population_registered": 20, "poor_people": 1},
    ]
    filled = [with_ratios({**dict.fromkeys(("population", "net_income", "income_people",
                           "below_line", "dilapidated", "water_difficulty", "relapse_risk",
                           "unregistered_poor", "needs", "urgent", "solved", "open_urgent"), 0),
                           **r}) for r in rows]  # fmt: skip
    summed = total(filled)
    assert (summed["registered"], summed["population_registered"]) == (None, None)
    assert summed["coverage"] is None and summed["incidence"] is None and summed["low_coverage"]


def test_the_village_table_is_set_in_at_least_8_pt(county) -> None:
    from weasyprint import HTML

    html = report_pdf.render_html(county["report"], "zh")
    document = HTML(string=html, base_url=report_pdf.STATIC.as_uri() + "/").render()
    sizes = set()

    def walk(box: Any, inside: bool) -> None:
        element = getattr(box, "element", None)
        if element is not None and "villages" in (element.get("class") or "").split():
            inside = True
        if inside and hasattr(box, "text"):
            sizes.add(box.style["font_size"])
        for child in getattr(box, "children", []):
            walk(child, inside)

    for page in document.pages:
        walk(page._page_box, False)
    assert sizes and min(sizes) >= 8 * 4 / 3  # CSS px: 8 pt is 10.67 px
