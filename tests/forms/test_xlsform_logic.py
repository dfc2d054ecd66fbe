"""XLSForm logic as conditions, keywords, rules and calculations: one test per construct."""

from __future__ import annotations

from typing import Any

import pytest

from forms.xlsform_logic import Question, Questions, Unconvertible, condition
from forms.xlsform_rules import constraint, json_schema_pattern, logic, result_type
from forms.xpath import parse

HOLDER = ("living",)


def _questions(*found: Question) -> Questions:
    return {q.name: [q] for q in found}


QUESTIONS = _questions(
    Question(("living", "water"), "string", ["tap", "well", "other"]),
    Question(("living", "help"), "array", ["road", "housing"], multiple=True),
    Question(("living", "paved"), "boolean", yes_no={"yes": True, "no": False}),
    Question(("living", "area"), "number"),
    Question(("living", "rooms"), "integer"),
    Question(("living", "note"), "string"),
    Question(("living", "date"), "string"),
    Question(("living", "house", "walls"), "string", ["brick", "earth"]),
    Question(("household", "size"), "integer"),
    Question(("members", "*", "age"), "integer"),
)


def _if(text: str) -> tuple[dict[str, Any] | None, str]:
    made = condition(parse(text), HOLDER, QUESTIONS)
    return made.schema, made.branch


def test_equal_to_a_choice_is_const_and_required() -> None:
    assert _if("${water} = 'other'") == (
        {"properties": {"water": {"const": "other"}}, "required": ["water"]},
        "then",
    )


def test_not_equal_is_the_else_branch_so_unanswered_shows_it() -> None:
    assert _if("${water} != 'tap'") == (
        {"properties": {"water": {"const": "tap"}}, "required": ["water"]},
        "else",
    )


def test_selected_on_a_multiple_choice_is_contains() -> None:
    assert _if("selected(${help}, 'road')") == (
        {"properties": {"help": {"contains": {"const": "road"}}}, "required": ["help"]},
        "then",
    )


def test_selected_on_a_single_choice_is_const() -> None:
    assert _if("selected(${water}, 'well')")[0] == {
        "properties": {"water": {"const": "well"}},
        "required": ["water"],
    }


def test_not_selected_is_the_else_branch() -> None:
    schema, branch = _if("not(selected(${help}, 'road'))")
    assert branch == "else" and schema is not None and "contains" in str(schema)


def test_a_yes_no_choice_made_boolean_compares_as_true_or_false() -> None:
    assert _if("${paved} = 'no'")[0] == {
        "properties": {"paved": {"const": False}},
        "required": ["paved"],
    }
    assert _if("${paved}")[0] == {"properties": {"paved": {"const": True}}, "required": ["paved"]}


def test_numbers_compare_as_bounds() -> None:
    assert _if("${area} > 0")[0] == {
        "properties": {"area": {"exclusiveMinimum": 0}},
        "required": ["area"],
    }
    assert _if("10 <= ${rooms}")[0] == {
        "properties": {"rooms": {"minimum": 10}},
        "required": ["rooms"],
    }
    assert _if("${rooms} = '3'")[0] == {
        "properties": {"rooms": {"const": 3}},
        "required": ["rooms"],
    }


def test_and_merges_the_tests_of_one_object() -> None:
    assert _if("${area} > 0 and ${water} = 'tap'")[0] == {
        "properties": {"area": {"exclusiveMinimum": 0}, "water": {"const": "tap"}},
        "required": ["area", "water"],
    }


def test_or_of_one_question_is_an_enum() -> None:
    assert _if("${water} = 'tap' or ${water} = 'well'")[0] == {
        "properties": {"water": {"enum": ["tap", "well"]}},
        "required": ["water"],
    }


def test_or_of_two_questions_is_any_of() -> None:
    schema, _ = _if("${water} = 'tap' or ${area} > 50")
    assert schema is not None and len(schema["anyOf"]) == 2


def test_a_question_of_a_group_inside_is_read_through_it() -> None:
    assert _if("${walls} = 'earth'")[0] == {
        "properties": {
            "house": {"properties": {"walls": {"const": "earth"}}, "required": ["walls"]}
        },
        "required": ["house"],
    }


def test_answered_and_unanswered() -> None:
    assert _if("${note} != ''") == ({"required": ["note"]}, "then")
    assert _if("${note} = ''")[0] == {"not": {"required": ["note"]}}


def test_count_selected() -> None:
    assert _if("count-selected(${help}) > 0")[0] == {
        "properties": {"help": {"minItems": 1}},
        "required": ["help"],
    }
    assert _if("count-selected(${help}) <= 1")[0] == {"properties": {"help": {"maxItems": 1}}}


def test_true_means_always() -> None:
    assert _if("true()") == (None, "then")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("${size} > 2", "not in the same group"),
        ("${age} > 2", "not in the same group"),
        ("${nope} = 'x'", "is not a question of this form"),
        ("${water} = 'lake'", "is not one of ${water}'s choices"),
        ("${paved} = 'maybe'", "is not one of ${paved}'s answers"),
        ("${area} > ${rooms}", "not two questions"),
        ("${date} < '2024-01-01'", "numbers only"),
        ("${help} = 'road'", "selected()"),
        ("${note}", "only for a yes/no question"),
        ("today() = '2024-01-01'", "not two questions"),
        ("not(true())", "never"),
    ],
)
def test_conditions_outside_what_a_condition_reads_are_unconvertible(text: str, why: str) -> None:
    with pytest.raises(Unconvertible) as caught:
        _if(text)
    assert why in caught.value.en and caught.value.zh


# ---------------------------------------------------------------- constraints

AREA = QUESTIONS["area"][0]
NOTE = QUESTIONS["note"][0]
HELP = QUESTIONS["help"][0]
DATE = QUESTIONS["date"][0]


def _constraint(text: str, question: Question) -> Any:
    return constraint(parse(text), question, HOLDER, QUESTIONS)


def test_numeric_bounds_become_keywords() -> None:
    made = _constraint(". >= 0 and . <= 120", AREA)
    assert made.keywords == {"minimum": 0, "maximum": 120} and made.rule is None
    assert _constraint(". > 0", AREA).keywords == {"exclusiveMinimum": 0}
    assert _constraint("200 > .", AREA).keywords == {"exclusiveMaximum": 200}


def test_string_length_becomes_min_and_max_length() -> None:
    assert _constraint("string-length(.) <= 18", NOTE).keywords == {"maxLength": 18}
    assert _constraint("string-length(.) > 1", NOTE).keywords == {"minLength": 2}
    assert _constraint("string-length(.) = 11", NOTE).keywords == {
        "minLength": 11,
        "maxLength": 11,
    }


def test_an_anchored_regex_becomes_a_pattern_with_ascii_digits() -> None:
    assert _constraint("regex(., '^[0-9]{17}[0-9X]$')", NOTE).keywords == {
        "pattern": "^[0-9]{17}[0-9X]$"
    }
    assert json_schema_pattern("^1[3-9]\\d{9}$") == "^1[3-9][0-9]{9}$"
    assert json_schema_pattern("^[\\dX]{4}$") == "^[0-9X]{4}$"


def test_a_regex_the_pattern_check_refuses_is_skipped() -> None:
    made = _constraint("regex(., '[0-9]+')", NOTE)  # searches: not anchored
    assert made.keywords == {} and made.rule is None and made.skipped
    assert json_schema_pattern("^(a+)+$") is None  # exponential backtracking


def test_count_selected_becomes_min_and_max_items() -> None:
    assert _constraint("count-selected(.) <= 2", HELP).keywords == {"maxItems": 2}
    assert _constraint("count-selected(.) >= 1", HELP).keywords == {"minItems": 1}


def test_another_question_makes_a_json_logic_rule_true_while_unanswered() -> None:
    made = _constraint(". >= 0 and . <= ${rooms}", AREA)
    assert made.keywords == {"minimum": 0}
    assert made.rule == {
        "or": [{"==": [{"var": "area"}, None]}, {"<=": [{"var": "area"}, {"var": "rooms"}]}]
    }


def test_today_is_the_json_logic_today() -> None:
    made = _constraint(". <= today()", DATE)
    assert made.rule == {
        "or": [{"==": [{"var": "date"}, None]}, {"<=": [{"var": "date"}, {"today": []}]}]
    }


def test_a_part_that_cannot_be_said_is_skipped_the_rest_kept() -> None:
    made = _constraint(". <= 100 and . <= ${size}", AREA)
    assert made.keywords == {"maximum": 100} and made.rule is None
    assert "not in the same group" in made.skipped[0][1] and made.skipped[0][0]


# ---------------------------------------------------------------- calculations


def _calc(text: str) -> Any:
    return logic(parse(text), HOLDER, QUESTIONS)


def test_arithmetic() -> None:
    assert _calc("${area} div ${rooms} * 100") == {
        "*": [{"/": [{"var": "area"}, {"var": "rooms"}]}, 100]
    }
    assert _calc("${rooms} mod 2 + -1") == {"+": [{"%": [{"var": "rooms"}, 2]}, {"-": [1]}]}
    assert result_type(parse("${area} * 2")) == "number"


def test_if_concat_number_coalesce() -> None:
    assert _calc("if(${area} > 100, 'big', 'small')") == {
        "if": [{">": [{"var": "area"}, 100]}, "big", "small"]
    }
    assert _calc("concat(${note}, '!')") == {"cat": [{"var": "note"}, "!"]}
    assert _calc("number(${note})") == {"+": [{"var": "note"}]}
    assert _calc("coalesce(${note}, 'none')") == {
        "if": [{"==": [{"var": "note"}, None]}, "none", {"var": "note"}]
    }
    assert result_type(parse("if(${area} > 1, 'a', 'b')")) == "string"


def test_and_or_not_selected_and_yes_no_in_logic() -> None:
    assert _calc("selected(${help}, 'road') and not(${paved} = 'yes') or ${water} = 'tap'") == {
        "or": [
            {"and": [{"in": ["road", {"var": "help"}]}, {"!": [{"==": [{"var": "paved"}, True]}]}]},
            {"==": [{"var": "water"}, "tap"]},
        ]
    }
    assert result_type(parse("${area} > 1")) == "boolean"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (". + 1", "a calculation does not have"),
        ("${walls}", "inside a group of this one"),
        ("${size} * 2", "not in the same group"),
        ("string-length(${note})", "no JSON Logic equivalent"),
    ],
)
def test_calculations_outside_json_logic_are_unconvertible(text: str, why: str) -> None:
    with pytest.raises(Unconvertible) as caught:
        _calc(text)
    assert why in caught.value.en


def test_a_dotted_name_is_not_a_json_logic_var() -> None:
    dotted = _questions(Question(("living", "a.b"), "integer"))
    with pytest.raises(Unconvertible, match="dot"):
        logic(parse("${a.b} + 1"), HOLDER, dotted)
