from __future__ import annotations

import copy
from typing import Any

import pytest

from forms.render_check import unsupported_constructs
from forms.schema import SchemaProblem, check_schema, shipped_forms
from tests.forms.small_forms import form, group, pointers, problems, text, yes_no


def _survey(**questions) -> dict:
    """A form of one section holding `questions`, each titled unless it says otherwise."""
    titled = {
        key: {"title": key, **q} if isinstance(q, dict) else q for key, q in questions.items()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "调查",
        "properties": {"s": {"type": "object", "title": "部分", "properties": titled}},
    }


def test_shipped_forms_have_nothing_the_phone_cannot_show() -> None:
    for schema in shipped_forms().values():
        assert unsupported_constructs(schema) == []


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ({"$ref": "#/$defs/x"}, "/properties/s/properties/q/$ref"),
        ({"type": ["string", "null"]}, "/properties/s/properties/q/type"),
        ({"type": "string", "format": "uri"}, "/properties/s/properties/q/format"),
        ({"type": "string", "x-widget": "slider"}, "/properties/s/properties/q/x-widget"),
        ({"type": "string", "oneOf": [{"type": "string"}]}, "/properties/s/properties/q/oneOf"),
        ({"type": "array", "items": {"type": "string"}}, "/properties/s/properties/q/items"),
        ({"type": "object"}, "/properties/s/properties/q"),
        (
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "r": {"type": "array", "items": {"type": "object", "properties": {}}}
                    },
                },
            },
            "/properties/s/properties/q/items/properties/r",
        ),
    ],
)
def test_construct_the_renderer_cannot_show_is_reported_at_its_pointer(question, where) -> None:
    found = unsupported_constructs(_survey(q=question))
    assert found and found[0][0] == where


def test_conditional_branch_with_other_keywords_is_reported() -> None:
    schema = _survey(a={"type": "boolean"})
    schema["properties"]["s"]["allOf"] = [{"if": {"required": ["a"]}, "then": {"minProperties": 2}}]
    assert unsupported_constructs(schema)[0][0] == "/properties/s/allOf/0/then"


def test_check_schema_refuses_an_unrenderable_form() -> None:
    schema = copy.deepcopy(shipped_forms()["household"])
    schema["properties"]["survey"]["properties"]["date"]["format"] = "uri"
    with pytest.raises(SchemaProblem) as caught:
        check_schema(schema, "household.json")
    assert caught.value.where == "/properties/survey/properties/date/format"


def test_check_refuses_optional_question_without_title() -> None:
    section = group(name=text("姓名"), note={"type": "string"})
    section["required"] = ["name"]
    found = problems(form(s=section))
    assert [where for where, _ in found] == ["/properties/s/properties/note"]
    assert "needs a title" in found[0][1]


def test_check_refuses_section_and_conditional_question_without_title() -> None:
    section: dict[str, Any] = {"type": "object", "properties": {"cut": yes_no()}}
    section["allOf"] = [
        {
            "if": {"properties": {"cut": {"const": True}}, "required": ["cut"]},
            "then": {"properties": {"days": {"type": "integer", "title": " "}}},
        }
    ]
    section["unevaluatedProperties"] = False
    assert pointers(form(water=section)) == [
        "/properties/water",
        "/properties/water/allOf/0/then/properties/days",
    ]


def test_check_refuses_option_without_title() -> None:
    single = {
        "type": "string",
        "title": "单选",
        "oneOf": [{"const": "a", "title": "甲"}, {"const": "b"}],
    }
    several = {"type": "array", "title": "多选", "uniqueItems": True, "items": dict(single)}
    found = problems(form(s=group(one=single, many=several)))
    assert [where for where, _ in found] == [
        "/properties/s/properties/one/oneOf/1",
        "/properties/s/properties/many/items/oneOf/1",
    ]
    assert "every option needs a title" in found[0][1]


def test_repeat_item_needs_no_title_of_its_own() -> None:
    members = {
        "type": "array",
        "title": "成员",
        "items": {"type": "object", "properties": {"name": text()}},
    }
    assert problems(form(members=members)) == []


@pytest.mark.parametrize("keyword", ["oneOf", "anyOf"])
def test_check_refuses_top_level_alternatives_of_objects(keyword: str) -> None:
    survey = form(a=group(x=text()), b=group(y=text()))
    survey[keyword] = [{"required": ["a"]}, {"required": ["b"]}]
    found = problems(survey)
    assert [where for where, _ in found] == [f"/{keyword}"]
    assert "cannot be shown yet" in found[0][1]


def test_check_refuses_condition_outside_all_of() -> None:
    section = group(cut=yes_no())
    section["if"] = {"properties": {"cut": {"const": True}}}
    section["then"] = {"properties": {"days": text()}, "required": ["days"]}
    assert pointers(form(water=section)) == ["/properties/water/if", "/properties/water/then"]
