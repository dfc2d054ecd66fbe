"""The headline figures compared with the previous period of the same length."""

from __future__ import annotations

import copy
import re
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from reports.draw import Period
from tests.reports.stored import VILLAGE, households, render, report, set_income, store

POOR = ("ordinary_poor", "dibao_poor", "tekun_poor")
STILL_POOR = ("not_out", "expected_out", "returned")
NOW = Period(date(2026, 7, 1), date(2026, 9, 30))  # 92 days
BEFORE = Period(date(2026, 3, 31), date(2026, 6, 30))


def _headline(answers: list[dict[str, Any]]) -> dict[str, str]:
    people = sum(len(h["members"]) for h in answers)
    poor = [
        h
        for h in answers
        if h["household"]["category"] in POOR and h["household"].get("status") in STILL_POOR
    ]
    poor_people = sum(len(h["members"]) for h in poor)

    def net(h: dict[str, Any]) -> Fraction:
        inc = h["income"]
        total = sum(Fraction(str(inc[k])) for k in ("wages", "business_income", "property_income"))
        total -= Fraction(str(inc["business_expense"]))
        return total + sum(Fraction(str(v)) for v in inc["transfers"].values())

    income = sum((net(h) for h in answers), Fraction(0)) / people
    whole = income.numerator // income.denominator
    whole += income - whole >= Fraction(1, 2)
    return {
        "调查户数": str(len(answers)),
        "调查人口": str(people),
        "贫困户数": str(len(poor)),
        "贫困人口": str(poor_people),
        "贫困发生率": f"{100 * poor_people / VILLAGE['population_registered']:.1f}%",
        "人均纯收入（元）": f"{whole:,}",
    }


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("compare")
    now = households(61, 12)
    earlier = copy.deepcopy(now[:9])  # three households were not surveyed last time
    for i, (a, b) in enumerate(zip(now, earlier, strict=False)):
        a["survey"]["date"] = f"2026-08-{10 + i:02d}"
        b["survey"]["date"] = f"2026-05-{10 + i:02d}"
        set_income(b, wages=900 * len(b["members"]))  # poorer last time
        if b["household"]["category"] in POOR and i % 2:
            b["household"]["status"] = "not_out"
            a["household"]["status"] = "out"
    for a in now[9:]:
        a["survey"]["date"] = "2026-09-01"
    store(folder / "minsheng.db", now, rounds=[earlier])
    built = report(folder / "minsheng.db", period=NOW)
    return {"now": now, "earlier": earlier, "report": built,
            "text": render(built, folder / "village.pdf")}  # fmt: skip


def test_the_previous_period_has_the_same_length_and_ends_before_this_one() -> None:
    assert NOW.before() == BEFORE
    assert Period(date(2026, 7, 1), None).before() is None


def test_headline_figures_of_both_periods_recount_from_the_answers(compared) -> None:
    text = compared["text"]
    table = text[text.index("与上期比较") :]
    now, before = _headline(compared["now"]), _headline(compared["earlier"])
    for label in now:
        row = re.search(r"^\s*" + re.escape(label) + r"\s+(\S+)\s+(\S+)\s+(.+?)\s*$", table, re.M)
        assert row, label
        assert row.group(1) == now[label], label
        assert row.group(2) == before[label], label
    assert now["贫困户数"] != before["贫困户数"]  # the data changed between the periods
    row = re.search(r"^\s*贫困户数\s+(\d+)\s+(\d+)\s+(\S+)", table, re.M)
    assert row and row.group(3) == f"{int(row.group(1)) - int(row.group(2)):+d}"
    assert "上期为2026-03-31至2026-06-30" in "".join(table.split())


def test_without_both_ends_there_is_no_comparison(compared, tmp_path: Path) -> None:
    db = tmp_path / "minsheng.db"
    store(db, compared["now"])
    built = report(db)
    assert built.previous is None
    assert "没有等长的上期可比" in "".join(render(built, tmp_path / "v.pdf").split())
