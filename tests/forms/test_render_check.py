from __future__ import annotations

import copy

import pytest

from forms.render_check import unsupported_constructs
from forms.schema import SchemaProblem, check_schema, shipped_forms


def _survey(**questions) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"s": {"type": "object", "properties": questions}},
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
    schema["properties"]["survey"]["properties"]["date"]["format"] = "date-time"
    with pytest.raises(SchemaProblem) as caught:
        check_schema(schema, "household.json")
    assert caught.value.where == "/properties/survey/properties/date/format"
