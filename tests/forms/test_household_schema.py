"""The shipped household schema: valid 2020-12, fully labelled, conditionals as designed."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).parents[2] / "forms" / "surveys" / "household.json"
SECTIONS = ["survey", "household", "members", "income", "production", "living", "causes", "needs"]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def minimal_member(**overrides: Any) -> dict[str, Any]:
    member = {
        "name": "王建国",
        "id_number": "620523197501020018",
        "sex": "male",
        "birth_date": "1975-01-02",
        "relation": "head",
        "health": "healthy",
    }
    member.update(overrides)
    return member


def minimal_answers(category: str = "non_poor") -> dict[str, Any]:
    return {
        "survey": {"date": "2026-05-10", "surveyor": "李明"},
        "household": {"village_code": "620523102201", "head_name": "王建国", "category": category},
        "members": [minimal_member()],
    }


def with_member(**overrides: Any) -> dict[str, Any]:
    answers = minimal_answers()
    answers["members"] = [minimal_member(**overrides)]
    return answers


def error_paths(validator: Draft202012Validator, answers: dict[str, Any]) -> list[str]:
    return ["/" + "/".join(str(p) for p in e.absolute_path) for e in validator.iter_errors(answers)]


def fields(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field definition under node: properties, array items, then/else branches."""
    props = node.get("properties", {})
    for key, sub in props.items():
        yield f"{path}/{key}", sub
        yield from fields(sub, f"{path}/{key}")
    for rule in node.get("allOf", []):
        for branch in ("then", "else"):
            for key, sub in rule.get(branch, {}).get("properties", {}).items():
                if key in props:
                    continue  # a constraint on an always-asked question, not a new field
                yield f"{path}/{key}", sub
                yield from fields(sub, f"{path}/{key}")
    if isinstance(node.get("items"), dict):
        yield from fields(node["items"], f"{path}/items")


def options(node: dict[str, Any]) -> list[dict[str, Any]]:
    return node.get("oneOf", []) + node.get("items", {}).get("oneOf", [])


def assert_labelled(where: str, node: dict[str, Any]) -> None:
    assert isinstance(node.get("title"), str) and node["title"].strip(), f"{where}: zh title"
    assert isinstance(node.get("description"), str) and node["description"].strip(), (
        f"{where}: zh help"
    )
    en = node.get("x-en", {})
    assert isinstance(en.get("title"), str) and en["title"].strip(), f"{where}: x-en title"
    assert isinstance(en.get("description"), str) and en["description"].strip(), (
        f"{where}: x-en help"
    )


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_sections_are_the_top_level_properties_in_order(schema: dict[str, Any]) -> None:
    assert list(schema["properties"]) == SECTIONS
    assert schema["required"] == ["survey", "household", "members"]
    assert schema["properties"]["members"]["type"] == "array"
    assert schema["properties"]["needs"]["type"] == "array"


def test_form_every_field_and_every_option_has_both_labels_and_help(schema: dict[str, Any]) -> None:
    assert_labelled("form", schema)
    walked = list(fields(schema, ""))
    assert len(walked) > 60
    for where, node in walked:
        assert_labelled(where, node)
        for option in options(node):
            assert_labelled(f"{where}={option.get('const')}", option)


def test_option_codes_are_lower_snake_english(schema: dict[str, Any]) -> None:
    for where, node in fields(schema, ""):
        for option in options(node):
            code = option["const"]
            assert code.replace("_", "").isalnum() and code.isascii() and code == code.lower(), (
                where
            )


def test_units_carry_an_english_unit(schema: dict[str, Any]) -> None:
    with_units = [(w, n) for w, n in fields(schema, "") if "x-unit" in n]
    assert {w for w, _ in with_units} >= {
        "/income/wages",
        "/production/cultivated_land",
        "/living/floor_area",
    }
    for where, node in with_units:
        assert node["x-en"].get("unit"), where


def test_minimal_answers_are_valid(validator: Draft202012Validator) -> None:
    assert error_paths(validator, minimal_answers()) == []


def test_healthy_member_with_disease_is_rejected(validator: Draft202012Validator) -> None:
    assert error_paths(validator, with_member(disease="高血压")) == ["/members/0"]


def test_chronic_member_without_disease_is_rejected(validator: Draft202012Validator) -> None:
    assert error_paths(validator, with_member(health="chronic")) == ["/members/0"]
    assert error_paths(validator, with_member(health="chronic", disease="高血压")) == []


def test_disabled_member_needs_type_and_grade(validator: Draft202012Validator) -> None:
    assert error_paths(validator, with_member(health="disabled", disability_type="physical")) == [
        "/members/0"
    ]
    answers = with_member(health="disabled", disability_type="physical", disability_grade="grade_2")
    assert error_paths(validator, answers) == []


def test_migrant_worker_needs_months(validator: Draft202012Validator) -> None:
    assert error_paths(validator, with_member(migrant_work="outside")) == ["/members/0"]
    assert error_paths(validator, with_member(migrant_work="outside", migrant_months=8)) == []


def test_migrant_months_out_of_range_are_rejected(validator: Draft202012Validator) -> None:
    answers = with_member(migrant_work="county", migrant_months=13)
    assert "/members/0/migrant_months" in error_paths(validator, answers)


def test_invalid_conditional_answer_is_also_reported_as_unevaluated(
    validator: Draft202012Validator,
) -> None:
    # 2020-12: a failing `else` contributes no annotations, so unevaluatedProperties
    # names the same key at the member; the server drops that echo of the real error.
    answers = with_member(migrant_work="county", migrant_months=13)
    errors = sorted(validator.iter_errors(answers), key=lambda e: e.validator)
    assert [(e.validator, list(e.absolute_path)) for e in errors] == [
        ("maximum", ["members", 0, "migrant_months"]),
        ("unevaluatedProperties", ["members", 0]),
    ]


def test_months_are_forbidden_when_not_working_away(validator: Draft202012Validator) -> None:
    assert error_paths(validator, with_member(migrant_work="none", migrant_months=3)) == [
        "/members/0"
    ]


def test_absent_migrant_work_does_not_demand_months(validator: Draft202012Validator) -> None:
    assert error_paths(validator, with_member()) == []


def test_no_house_forbids_structure(validator: Draft202012Validator) -> None:
    answers = minimal_answers()
    answers["living"] = {"floor_area": 0, "structure": "adobe"}
    assert error_paths(validator, answers) == ["/living"]
    answers["living"] = {"floor_area": 60, "structure": "adobe", "dilapidation": "c"}
    assert error_paths(validator, answers) == []


def test_poor_category_requires_main_cause(validator: Draft202012Validator) -> None:
    answers = minimal_answers("dibao_poor")
    assert error_paths(validator, answers) == ["/"]  # causes missing
    answers["causes"] = {"other_causes": ["capital"]}
    assert error_paths(validator, answers) == ["/causes"]
    answers["causes"] = {"main_cause": "capital"}
    assert error_paths(validator, answers) == []


def test_non_poor_household_may_skip_causes(validator: Draft202012Validator) -> None:
    assert "causes" not in minimal_answers("non_poor")
    assert error_paths(validator, minimal_answers("non_poor")) == []


def test_unknown_section_is_rejected(validator: Draft202012Validator) -> None:
    answers = minimal_answers()
    answers["net_income"] = 12000
    assert error_paths(validator, answers) == ["/"]


def test_other_causes_allow_at_most_two(validator: Draft202012Validator) -> None:
    answers = minimal_answers()
    answers["causes"] = {"main_cause": "illness", "other_causes": ["capital", "skills", "land"]}
    assert error_paths(validator, answers) == ["/causes/other_causes"]


def test_village_code_must_be_a_gansu_code(validator: Draft202012Validator) -> None:
    answers = copy.deepcopy(minimal_answers())
    answers["household"]["village_code"] = "610523102201"
    assert error_paths(validator, answers) == ["/household/village_code"]


def test_survey_date_must_be_a_date(validator: Draft202012Validator) -> None:
    answers = minimal_answers()
    answers["survey"]["date"] = "2026-02-30"
    assert error_paths(validator, answers) == ["/survey/date"]


def test_need_needs_all_four_answers(validator: Draft202012Validator) -> None:
    answers = minimal_answers()
    answers["needs"] = [{"category": "employment", "item": "skills_training", "urgency": "normal"}]
    assert error_paths(validator, answers) == ["/needs/0"]
    answers["needs"][0]["description"] = "想学电焊，希望参加免费技能培训。"
    assert error_paths(validator, answers) == []
