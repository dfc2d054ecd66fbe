"""The red-flag lists: 已脱贫 households below the line (返贫风险) and non-poor households
below it (应纳未纳), each by name with village and cadre, recounted from the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_villages
from tests.reports.stored import COUNTY, LINE, households, render, report, set_income, store

POOR = ("ordinary_poor", "dibao_poor", "tekun_poor")


def _per_capita(h: dict[str, Any]) -> float:
    inc = h["income"]
    net = inc["wages"] + inc["business_income"] - inc["business_expense"] + inc["property_income"]
    return (net + sum(inc["transfers"].values())) / len(h["members"])


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("flags")
    villages = demo_villages()[:2]
    answers = households(31, 14, villages[0]) + households(32, 10, villages[1])
    for i, h in enumerate(answers):
        if i % 2:
            set_income(h, wages=(LINE - 100 * i) * len(h["members"]))
        else:
            set_income(h, wages=(LINE + 500) * len(h["members"]))
    # One just below the line, shown as the line itself when rounded to the fen.
    edge = next(h for h in answers if h["household"]["category"] == "non_poor")
    set_income(edge, wages=LINE * len(edge["members"]) - 0.01)
    for h in answers:
        if h["household"]["category"] in POOR and answers.index(h) % 4 == 1:
            h["household"]["status"] = "out"
    db = folder / "minsheng.db"
    store(db, answers, villages)
    return {"db": db, "answers": answers, "villages": villages, "folder": folder, "edge": edge}


def _expected(answers: list[dict[str, Any]], village: str | None = None) -> dict[str, list[str]]:
    chosen = [h for h in answers if village is None or h["household"]["village_code"] == village]
    below = sorted((h for h in chosen if _per_capita(h) < LINE), key=_per_capita)
    return {
        "relapse_risk": [
            h["household"]["head_name"]
            for h in below
            if h["household"]["category"] in POOR and h["household"].get("status") == "out"
        ],
        "unregistered_poor": [
            h["household"]["head_name"] for h in below if h["household"]["category"] == "non_poor"
        ],
    }


def test_village_lists_every_flagged_household_by_name(stored) -> None:
    village = stored["villages"][0]["code"]
    built = report(stored["db"], "village", village)
    expected = _expected(stored["answers"], village)
    assert expected["relapse_risk"] and expected["unregistered_poor"]
    for key, names in expected.items():
        assert [h["head_name"] for h in built.red_flags[key]] == names, key
        assert built.red_flags[key + "_total"] == len(names)
    by_name = {h["household"]["head_name"]: h for h in stored["answers"]}
    for row in built.red_flags["relapse_risk"] + built.red_flags["unregistered_poor"]:
        assert row["surveyor"] == by_name[row["head_name"]]["survey"]["surveyor"]


def test_county_lists_name_the_village_and_the_cadre(stored) -> None:
    built = report(stored["db"], "county", COUNTY)
    expected = _expected(stored["answers"])
    names = {v["code"]: v["name"] for v in stored["villages"]}
    for key in expected:
        assert [h["head_name"] for h in built.red_flags[key]] == expected[key]
        for row in built.red_flags[key]:
            assert row["village_name"] == names[row["village_code"]]
    text = "".join(render(built, stored["folder"] / "county.pdf").split())
    flags = text[text.index("返贫风险：已脱贫户") :]
    for row in built.red_flags["relapse_risk"]:
        assert row["village_name"] + row["head_name"] in flags
        assert row["surveyor"] in flags
    counts = {v["code"]: v for v in built.villages}
    for code in names:
        village = _expected(stored["answers"], code)
        assert counts[code]["relapse_risk"] == len(village["relapse_risk"])
        assert counts[code]["unregistered_poor"] == len(village["unregistered_poor"])


def test_the_lists_are_in_the_village_pdf_with_incomes_cut_to_the_fen(
    stored, tmp_path: Path
) -> None:
    edge = stored["edge"]
    built = report(stored["db"], "village", edge["household"]["village_code"])
    text = render(built, tmp_path / "village.pdf")
    section = text[text.index("应纳未纳：一般农户") :]
    line = next(row for row in section.splitlines() if edge["household"]["head_name"] in row)
    assert "2,951.99" in line  # rounded, it would print as the line itself
    assert f"（{len(built.red_flags['unregistered_poor'])} 户）" in section
