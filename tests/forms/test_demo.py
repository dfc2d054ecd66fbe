"""Demo data: reproducible, realistic, and valid under the schema and every rule."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from forms.demo import demo_households, demo_submission_id, demo_villages
from forms.rules import RULES, derive, parse_id_number

SCHEMA_PATH = Path(__file__).parents[2] / "forms" / "surveys" / "household.json"


@pytest.fixture(scope="module")
def households() -> list[dict[str, Any]]:
    return list(demo_households(7, demo_villages(), per_village=60))


def test_villages_belong_to_one_gansu_county() -> None:
    villages = demo_villages()
    assert 4 <= len(villages) <= 6
    assert len({v["county_code"] for v in villages}) == 1
    for v in villages:
        assert re.fullmatch(r"62\d{10}", v["code"])
        assert v["code"].startswith(v["township_code"]) and v["township_code"].startswith(
            v["county_code"]
        )
        assert len(v["township_code"]) == 9 and len(v["county_code"]) == 6
        assert 80 <= v["households_registered"] <= 400
        assert v["name"] and v["township_name"] and v["county_name"] and v["city_name"]


def test_same_seed_gives_identical_households() -> None:
    first = list(demo_households(11, demo_villages(), per_village=5))
    again = list(demo_households(11, demo_villages(), per_village=5))
    assert first == again


def test_different_seed_gives_different_households() -> None:
    first = list(demo_households(11, demo_villages(), per_village=5))
    other = list(demo_households(12, demo_villages(), per_village=5))
    assert first != other


def test_default_gives_each_village_about_forty_percent_of_its_households() -> None:
    villages = demo_villages()
    per_village = Counter(h["household"]["village_code"] for h in demo_households(3, villages))
    for v in villages:
        assert per_village[v["code"]] == round(v["households_registered"] * 0.4)
    assert 300 <= sum(per_village.values()) <= 500


def test_demo_households_pass_schema_and_rules(households: list[dict[str, Any]]) -> None:
    validator = Draft202012Validator(
        json.loads(SCHEMA_PATH.read_text(encoding="utf-8")),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    today = date.today()
    assert len(households) == 300
    for index, answers in enumerate(households):
        errors = [e.message for e in validator.iter_errors(answers)]
        issues = [i for rule in RULES["household"] for i in rule(answers, today)]
        assert (errors, issues) == ([], []), f"household {index}"


def test_illness_is_the_main_cause_of_30_to_55_percent(households: list[dict[str, Any]]) -> None:
    causes = Counter(h["causes"]["main_cause"] for h in households if "causes" in h)
    share = causes["illness"] / sum(causes.values())
    assert 0.30 <= share <= 0.55
    assert causes.most_common(1)[0][0] == "illness"


def test_households_look_like_a_poor_village(households: list[dict[str, Any]]) -> None:
    sizes = [len(h["members"]) for h in households]
    assert 2.5 <= sum(sizes) / len(sizes) <= 3.6
    assert min(sizes) >= 1 and max(sizes) <= 8
    poor = [h for h in households if h["household"]["category"] != "non_poor"]
    assert len(poor) / len(households) > 0.6
    per_capita = [derive("household", h)["per_capita_income"] for h in households]
    assert sum(2000 <= p <= 8000 for p in per_capita) / len(per_capita) > 0.5
    needs = [len(h["needs"]) for h in households]
    assert max(needs) <= 4 and sum(needs) / len(needs) >= 1


def test_id_numbers_carry_the_county_code_birth_date_and_sex(
    households: list[dict[str, Any]],
) -> None:
    county = demo_villages()[0]["county_code"]
    for h in households:
        for m in h["members"]:
            assert m["id_number"].startswith(county)
            assert parse_id_number(m["id_number"]) == (
                date.fromisoformat(m["birth_date"]),
                m["sex"],
            )


def test_survey_dates_are_in_2026_and_not_in_the_future(households: list[dict[str, Any]]) -> None:
    for h in households:
        surveyed = date.fromisoformat(h["survey"]["date"])
        assert surveyed <= min(date.today(), date(2026, 10, 31))


def test_submission_ids_are_stable_version_4_uuids() -> None:
    first = demo_submission_id(7, 0)
    assert first == demo_submission_id(7, 0)
    assert uuid.UUID(first).version == 4
    assert len({demo_submission_id(7, i) for i in range(500)}) == 500
    assert demo_submission_id(8, 0) != first


def test_no_id_number_repeats_across_households(households: list[dict[str, Any]]) -> None:
    numbers = [m["id_number"] for h in households for m in h["members"]]
    assert len(numbers) == len(set(numbers))
