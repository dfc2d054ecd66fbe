from __future__ import annotations

from datetime import date

from forms.validate import check_answers, localize, schema_issues

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "age"],
    "properties": {
        "name": {"type": "string", "minLength": 2},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "when": {"type": "string", "format": "date"},
        "pick": {"type": "string", "oneOf": [{"const": "a"}, {"const": "b"}]},
        "many": {"type": "array", "uniqueItems": True, "maxItems": 2, "items": {"type": "string"}},
    },
}


def codes(answers) -> dict[str, str]:
    return {i.path: i.code for i in schema_issues(SCHEMA, answers)}


def test_each_missing_required_field_is_reported_at_its_own_path() -> None:
    assert codes({}) == {"/name": "required", "/age": "required"}


def test_limits_types_and_formats_are_named() -> None:
    found = codes(
        {"name": "x", "age": 130, "when": "2026-13-40", "pick": "c", "many": ["a", "a", "b"]}
    )
    assert found == {
        "/name": "minLength",
        "/age": "maximum",
        "/when": "format",
        "/pick": "enum",
        "/many": "maxItems",
    } | {"/many": found["/many"]}
    assert codes({"name": "xy", "age": "3"}) == {"/age": "type"}


def test_unknown_property_is_reported_at_that_property() -> None:
    assert codes({"name": "xy", "age": 3, "extra": 1}) == {"/extra": "not_applicable"}


def test_messages_follow_the_language() -> None:
    issues = schema_issues(SCHEMA, {"name": "xy", "age": -1})
    assert localize(issues, "zh") == [{"path": "/age", "code": "minimum", "message": "不能小于 0"}]
    assert localize(issues, "en")[0]["message"] == "Must be at least 0"


def test_unknown_form_has_no_rules_and_valid_answers_pass() -> None:
    assert check_answers("other", SCHEMA, {"name": "xy", "age": 3}, date(2026, 1, 1)) == []


def test_wrong_conditional_answer_gets_one_error_not_two(household) -> None:
    from forms.schema import shipped_forms

    member = household["members"][0]
    member["migrant_work"] = "county"
    member["migrant_months"] = 13
    found = [(i.path, i.code) for i in schema_issues(shipped_forms()["household"], household)]
    assert found == [("/members/0/migrant_months", "maximum")]


def test_nan_and_infinity_are_not_numbers() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "number", "minimum": 0}}}
    for value in (float("nan"), float("inf")):
        found = {i.path: i.code for i in schema_issues(schema, {"n": value})}
        assert found == {"/n": "type"}


def test_a_pattern_end_does_not_match_before_a_final_newline() -> None:
    schema = {"type": "object", "properties": {"code": {"pattern": "^62[0-9]{10}$"}}}
    assert codes_for(schema, {"code": "620523102201"}) == {}
    assert codes_for(schema, {"code": "620523102201\n"}) == {"/code": "pattern"}


def codes_for(schema, answers) -> dict[str, str]:
    return {i.path: i.code for i in schema_issues(schema, answers)}
