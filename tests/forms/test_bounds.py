"""Limits checked before validation: an oversized answer is refused at its field, cheaply."""

from __future__ import annotations

from typing import Any

from forms.bounds import MAX_DEPTH, MAX_ERRORS, MAX_TEXT, MAX_VALUES, oversized
from forms.issues import Issue
from forms.schema import shipped_forms
from forms.validate import localize, schema_issues

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 20},
        "note": {"type": "string"},
        "people": {"type": "array", "maxItems": 3, "items": {"type": "object"}},
        "any": {},
    },
    "if": {"properties": {"name": {"const": "x"}}},
    "then": {"properties": {"extra": {"type": "string", "maxLength": 5}}},
}


def _codes(found: list[Issue]) -> list[tuple[str, str]]:
    return [(i.path, i.code) for i in found]


def test_answers_within_the_limits_pass_untouched(household) -> None:
    assert oversized(shipped_forms()["household"], household) == []


def test_a_list_longer_than_max_items_is_one_issue_without_looking_inside() -> None:
    found = oversized(SCHEMA, {"people": [{}] * 250_000})
    assert _codes(found) == [("/people", "maxItems")]
    assert found[0].params == {"limit": 3}


def test_household_with_250000_empty_members_is_refused_at_members(household) -> None:
    household["members"] = [{}] * 250_000
    found = schema_issues(shipped_forms()["household"], household)
    assert _codes(found) == [("/members", "maxItems")]


def test_a_list_just_over_max_items_is_left_to_full_validation() -> None:
    assert oversized(SCHEMA, {"people": [{}] * 4}) == []
    assert _codes(schema_issues(SCHEMA, {"people": [{}] * 4, "name": 5})) == [
        ("/name", "type"),
        ("/people", "maxItems"),
    ]


def test_text_over_the_cap_is_refused_with_its_question_limit() -> None:
    found = oversized(SCHEMA, {"name": "长" * (MAX_TEXT + 1), "note": "x" * (MAX_TEXT + 1)})
    assert sorted((i.path, i.code, i.params["limit"]) for i in found) == [
        ("/name", "maxLength", 20),
        ("/note", "maxLength", MAX_TEXT),
    ]


def test_a_conditional_question_is_held_to_its_own_max_length() -> None:
    found = oversized(SCHEMA, {"name": "x", "extra": "y" * (MAX_TEXT + 1)})
    assert [(i.path, i.params["limit"]) for i in found] == [("/extra", 5)]


def test_deep_nesting_is_refused_without_recursion() -> None:
    value: Any = "bottom"
    for _ in range(100_000):
        value = [value]
    found = oversized(SCHEMA, {"any": value})
    assert found and found[0].code == "too_deep"
    assert found[0].params == {"limit": MAX_DEPTH}


def test_too_many_values_is_one_issue_for_the_whole_answer() -> None:
    found = oversized(SCHEMA, {"any": {f"k{i}": i for i in range(MAX_VALUES + 1)}})
    assert _codes(found) == [("", "too_many_values")]


def test_error_list_is_capped_with_a_count_of_the_rest() -> None:
    issues = [Issue(f"/f{i}", "required") for i in range(MAX_ERRORS + 250)]
    listed = localize(issues, "zh")
    assert len(listed) == MAX_ERRORS + 1
    assert listed[-1]["code"] == "more_errors"
    assert "250" in listed[-1]["message"]
    assert "250 more" in localize(issues, "en")[-1]["message"]
