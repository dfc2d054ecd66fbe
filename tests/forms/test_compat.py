"""The compatibility report and the diff: each kind of change, found where it is."""

from __future__ import annotations

import copy
from typing import Any

from forms.compat import compatibility, diff_schemas, questions
from forms.schema import shipped_forms
from tests.forms.small_forms import choice, form, group, text
from tests.logic_form import schema as group_form


def _base() -> dict[str, Any]:
    return form(
        s=group(
            name=text("姓名", minLength=2, maxLength=20),
            kind=choice("a", "b", "c", title="类别"),
            count={"type": "integer", "title": "人数", "minimum": 0, "maximum": 10},
        )
    )


def _kinds(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c.kind, c.path) for c in compatibility(old, new)]


def test_the_same_form_has_no_changes() -> None:
    household = shipped_forms()["household"]
    assert diff_schemas(household, copy.deepcopy(household)) == []


def test_a_removed_question_is_reported_with_its_pointer_and_label() -> None:
    new = _base()
    del new["properties"]["s"]["properties"]["name"]
    (change,) = compatibility(_base(), new)
    assert (change.kind, change.path, change.pointer) == (
        "field_removed",
        "/s/name",
        "/properties/s/properties/name",
    )
    assert change.label == "姓名"
    assert "姓名" in change.text("zh")


def test_a_removed_group_is_one_change_not_one_per_question() -> None:
    new = _base()
    del new["properties"]["s"]
    assert _kinds(_base(), new) == [("field_removed", "/s")]


def test_a_changed_type_is_reported() -> None:
    new = _base()
    new["properties"]["s"]["properties"]["count"]["type"] = "number"
    assert _kinds(_base(), new) == [("type_changed", "/s/count")]
    (change,) = compatibility(_base(), new)
    assert (change.old, change.new) == ("integer", "number")


def test_a_format_added_to_a_text_is_a_type_change() -> None:
    new = _base()
    new["properties"]["s"]["properties"]["name"]["format"] = "date"
    assert _kinds(_base(), new) == [("type_changed", "/s/name")]


def test_a_removed_option_narrows_the_choice() -> None:
    new = _base()
    new["properties"]["s"]["properties"]["kind"]["oneOf"].pop(1)
    (change,) = compatibility(_base(), new)
    assert (change.kind, change.path) == ("options_narrowed", "/s/kind")
    assert change.old == {"b": ["b", "b"]}


def test_an_added_option_is_in_the_diff_but_not_the_report() -> None:
    new = _base()
    new["properties"]["s"]["properties"]["kind"]["oneOf"].append({"const": "d", "title": "丁"})
    assert compatibility(_base(), new) == []
    assert [(c.kind, c.new) for c in diff_schemas(_base(), new)] == [
        ("options_added", {"d": ["丁", "丁"]})
    ]


def test_a_new_required_question_is_reported() -> None:
    new = _base()
    new["properties"]["s"]["properties"]["phone"] = text("电话")
    new["properties"]["s"]["required"] = ["phone"]
    (change,) = compatibility(_base(), new)
    assert (change.kind, change.path, change.old, change.new) == (
        "required_added",
        "/s/phone",
        None,
        "always",
    )


def test_a_question_made_required_is_reported() -> None:
    new = _base()
    new["properties"]["s"]["required"] = ["name"]
    assert _kinds(_base(), new) == [("required_added", "/s/name")]


def test_a_new_optional_question_is_not_in_the_report() -> None:
    new = _base()
    new["properties"]["s"]["properties"]["phone"] = text("电话")
    assert compatibility(_base(), new) == []
    assert [c.kind for c in diff_schemas(_base(), new)] == ["field_added"]


def test_required_questions_of_a_new_optional_section_break_nothing() -> None:
    new = _base()
    new["properties"]["t"] = {**group(x=text()), "required": ["x"]}
    assert compatibility(_base(), new) == []
    assert [(c.kind, c.path) for c in diff_schemas(_base(), new)] == [("field_added", "/t")]


def test_a_tightened_constraint_is_reported_and_a_relaxed_one_is_not() -> None:
    tighter = _base()
    tighter["properties"]["s"]["properties"]["count"]["maximum"] = 5
    (change,) = compatibility(_base(), tighter)
    assert (change.kind, change.old, change.new) == (
        "constraint_tightened",
        {"maximum": 10},
        {"maximum": 5},
    )
    looser = _base()
    looser["properties"]["s"]["properties"]["count"]["maximum"] = 50
    assert compatibility(_base(), looser) == []
    assert [c.kind for c in diff_schemas(_base(), looser)] == ["constraint_relaxed"]


def test_a_new_pattern_and_a_higher_min_length_are_tightened() -> None:
    new = _base()
    name = new["properties"]["s"]["properties"]["name"]
    name["minLength"], name["pattern"] = 3, "^[a-z]+$"
    (change,) = compatibility(_base(), new)
    assert change.new == {"minLength": 3, "pattern": "^[a-z]+$"}


def test_a_question_moved_under_a_condition_is_a_condition_change() -> None:
    new = _base()
    section = new["properties"]["s"]
    moved = section["properties"].pop("name")
    section["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
            "then": {"properties": {"name": moved}},
        }
    ]
    section["unevaluatedProperties"] = False
    (change,) = compatibility(_base(), new)
    assert (change.kind, change.path) == ("condition_changed", "/s/name")
    assert change.pointer == "/properties/s/allOf/0/then/properties/name"


def test_reworded_labels_are_in_the_diff_only() -> None:
    new = _base()
    new["properties"]["s"]["properties"]["name"]["title"] = "户主姓名"
    new["title"] = "新标题"
    assert compatibility(_base(), new) == []
    changes = diff_schemas(_base(), new)
    assert [(c.kind, c.path) for c in changes] == [
        ("label_changed", ""),
        ("label_changed", "/s/name"),
    ]
    assert changes[1].text("en") == "'户主姓名': wording changed (title)"


def test_the_household_forms_conditional_requirements_are_read() -> None:
    found = questions(shipped_forms()["household"])
    assert found["/causes/main_cause"].required == "sometimes"  # a poor household's
    assert found["/members/*/disease"].condition is not None
    assert found["/members/*/name"].required == "always"


def test_each_change_reads_in_both_languages() -> None:
    new = _base()
    del new["properties"]["s"]["properties"]["name"]
    (change,) = compatibility(_base(), new)
    assert change.text("zh") == "删除了「姓名」"
    assert change.text("en") == "removed '姓名'"


def test_a_new_or_changed_rule_of_the_form_is_a_tightened_constraint() -> None:
    old = group_form()
    new = copy.deepcopy(old)
    rules = new["properties"]["group"]["x-rules"]
    rules[0]["message"]["zh"] = "贫困户数超过户数"  # words only: no change to the answers
    assert compatibility(old, new) == []
    rules[0]["rule"] = {"<": [{"var": "poor_households"}, {"var": "households"}]}
    new["x-rules"] = [{"id": "r", "rule": True, "field": "group", "message": {"zh": "总"}}]
    found = [(c.kind, c.path, c.breaking) for c in compatibility(old, new)]
    assert found == [("constraint_tightened", "", True), ("constraint_tightened", "/group", True)]
    assert "表单" in compatibility(old, new)[0].text("zh")
    dropped = copy.deepcopy(old)
    dropped["properties"]["group"]["x-rules"].pop()
    assert [(c.kind, c.breaking) for c in diff_schemas(old, dropped)] == [
        ("constraint_relaxed", False)
    ]
