"""贫困发生率 by the standard definition, and the count below the line beside it.

Poor people are those of registered poor households still 未脱贫 (预脱贫 included)
or 返贫, over the registered population of the area; 已脱贫 households are not
poor. The count below the income line is a figure of its own.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_villages
from tests.reports.stored import (
    COUNTY,
    LINE,
    VILLAGE,
    households,
    render,
    report,
    set_income,
    set_population,
    store,
    value,
)

POOR = ("ordinary_poor", "dibao_poor", "tekun_poor")
STILL_POOR = ("not_out", "expected_out", "returned")


def _people(answers: list[dict[str, Any]]) -> int:
    return sum(len(h["members"]) for h in answers)


def _below(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def income(h: dict[str, Any]) -> Fraction:
        inc = h["income"]
        parts = [Fraction(str(inc[k])) for k in ("wages", "business_income", "property_income")]
        net = sum(parts) - Fraction(str(inc["business_expense"]))
        net += sum(Fraction(str(v)) for v in inc["transfers"].values())
        return net / len(h["members"])

    return [h for h in answers if income(h) < LINE]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("incidence")
    answers = households(21, 24)
    # Every status among the poor, some non-poor households below the line too.
    statuses = [*STILL_POOR, "out"]
    for i, h in enumerate(answers):
        if h["household"]["category"] in POOR:
            h["household"]["status"] = statuses[i % 4]
        if i % 3 == 0:
            set_income(h, wages=1000 * len(h["members"]))
    non_poor = next(h for h in answers if h["household"]["category"] == "non_poor")
    set_income(non_poor, wages=2000 * len(non_poor["members"]))
    assert {h["household"]["status"] for h in answers if "status" in h["household"]} == {
        *STILL_POOR,
        "out",
    }
    db = folder / "minsheng.db"
    store(db, answers)
    return {"db": db, "answers": answers, "folder": folder}


def test_incidence_counts_still_poor_people_over_registered_population(stored) -> None:
    answers = stored["answers"]
    poor = [
        h
        for h in answers
        if h["household"]["category"] in POOR and h["household"]["status"] in STILL_POOR
    ]
    out = [h for h in answers if h["household"].get("status") == "out"]
    assert out and poor
    text = render(report(stored["db"]), stored["folder"] / "village.pdf")
    population = VILLAGE["population_registered"]
    assert value(text, "户籍人口") == str(population)
    assert value(text, "贫困户数") == str(len(poor))
    assert value(text, "贫困人口") == str(_people(poor))
    assert value(text, "贫困发生率") == f"{100 * _people(poor) / population:.1f}%"
    # 已脱贫 households are registered poor, but not poor.
    registered = [h for h in answers if h["household"]["category"] in POOR]
    assert f"{len(registered)} 户 {_people(registered)} 人" in text
    below = _below(answers)
    assert any(h["household"]["category"] == "non_poor" for h in below)
    assert value(text, "低于贫困标准人口") == str(_people(below))
    assert value(text, "低于贫困标准户数") == str(len(below))
    assert "贫困发生率 = 贫困人口 / 户籍人口 × 100%" in text
    assert "预脱贫（尚未验收退出，仍按未脱贫计）" in text


def test_without_a_registered_population_incidence_is_no_data_and_says_why(
    stored, tmp_path: Path
) -> None:
    db = tmp_path / "minsheng.db"
    store(db, stored["answers"])
    set_population(db, {VILLAGE["code"]: None})
    built = report(db)
    assert built.figures.incidence.pct is None
    text = render(built, tmp_path / "village.pdf")
    assert value(text, "户籍人口") == "无数据"
    assert value(text, "贫困发生率") == "无数据"
    assert "本村未登记户籍人口" in "".join(text.split())


def test_county_incidence_needs_every_villages_population(stored, tmp_path: Path) -> None:
    villages = demo_villages()
    everyone = sum(v["population_registered"] for v in villages)
    poor = [
        h
        for h in stored["answers"]
        if h["household"]["category"] in POOR and h["household"]["status"] in STILL_POOR
    ]
    county = report(stored["db"], "county", COUNTY)
    assert county.figures.headline.population_registered == everyone
    assert county.figures.incidence.pct == pytest.approx(100 * _people(poor) / everyone)
    db = tmp_path / "minsheng.db"
    store(db, stored["answers"])
    set_population(db, {villages[1]["code"]: None, villages[2]["code"]: None})
    partial = report(db, "county", COUNTY)
    assert partial.figures.incidence.pct is None  # never a partial denominator
    assert partial.figures.population_missing == 2
    text = "".join(render(partial, tmp_path / "county.pdf").split())
    assert "有2个村未登记户籍人口" in text


def test_a_poor_household_without_a_status_is_counted_apart(stored, tmp_path: Path) -> None:
    answers = [dict(h, household=dict(h["household"])) for h in stored["answers"]]
    unknown = next(h for h in answers if h["household"]["category"] in POOR)
    del unknown["household"]["status"]
    db = tmp_path / "minsheng.db"
    store(db, answers)
    figures = report(db).figures.headline
    assert figures.status_unknown == (1, len(unknown["members"]))
    text = "".join(render(report(db), tmp_path / "v.pdf").split())
    assert f"另有建档立卡贫困户1户{len(unknown['members'])}人未填脱贫状态" in text
