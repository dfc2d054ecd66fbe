"""Forms the phone can show but no one can finish: how keywords meet, checked before publishing."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from tests.forms.small_forms import choice, form, group, pointers, problems, text, yes_no


def _water(closed_by: str) -> dict[str, Any]:
    """A section asking for days without water only after a cut, closed by `closed_by`."""
    section = group(cut=yes_no("停水"))
    section["allOf"] = [
        {
            "if": {"properties": {"cut": {"const": True}}, "required": ["cut"]},
            "then": {
                "properties": {"days": {"type": "integer", "title": "天数"}},
                "required": ["days"],
            },
        }
    ]
    section[closed_by] = False
    return section


def test_check_refuses_conditional_question_in_object_closed_by_additional_properties() -> None:
    section = _water("additionalProperties")
    # additionalProperties sees only the properties beside it: the asked answer is refused.
    errors = list(Draft202012Validator(section).iter_errors({"cut": True, "days": 3}))
    assert [e.validator for e in errors] == ["additionalProperties"]
    found = problems(form(water=section))
    assert [where for where, _ in found] == ["/properties/water/allOf/0/then/properties/days"]
    assert "additionalProperties: false at /properties/water/additionalProperties" in found[0][1]
    assert "unevaluatedProperties" in found[0][1]


def test_check_accepts_conditional_question_in_object_closed_by_unevaluated_properties() -> None:
    section = _water("unevaluatedProperties")
    validator = Draft202012Validator(section)
    # unevaluatedProperties sees what a passing then evaluated, and only while it applies.
    assert validator.is_valid({"cut": True, "days": 3})
    assert not validator.is_valid({"cut": False, "days": 3})
    assert problems(form(water=section)) == []


def test_check_refuses_question_a_parent_condition_adds_to_a_child() -> None:
    causes = group(main=text("主因"))
    causes["unevaluatedProperties"] = False
    survey = form(poor=yes_no("贫困户"), causes=causes)
    survey["allOf"] = [
        {
            "if": {"properties": {"poor": {"const": True}}, "required": ["poor"]},
            "then": {"properties": {"causes": {"properties": {"detail": text("说明")}}}},
        }
    ]
    # The child's unevaluatedProperties cannot see its parent's then: refused even so.
    errors = Draft202012Validator(survey).iter_errors(
        {"poor": True, "causes": {"main": "x", "detail": "y"}}
    )
    assert [(e.json_path, e.validator) for e in errors] == [("$.causes", "unevaluatedProperties")]
    assert pointers(survey) == ["/allOf/0/then/properties/causes/properties/detail"]


def test_check_refuses_required_key_not_defined() -> None:
    section = group(name=text("姓名"))
    section["required"] = ["nmae"]
    found = problems(form(person=section))
    assert [where for where, _ in found] == ["/properties/person/required/0"]
    assert '"nmae" is required but is not a question of this object' in found[0][1]


def test_check_refuses_required_key_asked_only_under_a_condition() -> None:
    section = _water("unevaluatedProperties")
    section["required"] = ["days"]
    found = problems(form(water=section))
    assert [where for where, _ in found] == ["/properties/water/required/0"]
    assert "asked only in /properties/water/allOf/0/then" in found[0][1]


def test_check_refuses_branch_requiring_question_of_another_condition() -> None:
    section = _water("unevaluatedProperties")
    section["properties"]["source"] = choice("well", "tap", title="水源")
    section["allOf"].append(
        {
            "if": {"properties": {"source": {"const": "well"}}, "required": ["source"]},
            "then": {"required": ["days"]},
        }
    )
    assert pointers(form(water=section)) == ["/properties/water/allOf/1/then/required/0"]


def test_check_accepts_branch_requiring_question_of_the_same_condition() -> None:
    section = _water("unevaluatedProperties")
    section["allOf"][0]["then"]["required"] = []
    section["allOf"].append({"if": section["allOf"][0]["if"], "then": {"required": ["days"]}})
    assert problems(form(water=section)) == []


def test_check_refuses_required_key_not_defined_in_a_branch() -> None:
    section = _water("unevaluatedProperties")
    section["allOf"][0]["then"]["required"] = ["dyas"]
    assert pointers(form(water=section)) == ["/properties/water/allOf/0/then/required/0"]


def test_check_refuses_if_key_not_defined() -> None:
    section = _water("unevaluatedProperties")
    section["allOf"][0]["if"] = {"properties": {"cutt": {"const": True}}, "required": ["cutt"]}
    found = problems(form(water=section))
    assert [where for where, _ in found] == [
        "/properties/water/allOf/0/if/required/0",
        "/properties/water/allOf/0/if/properties/cutt",
    ]
    assert "never holds" in found[0][1]


def test_check_refuses_if_waiting_for_a_value_no_option_has() -> None:
    section = group(health=choice("healthy", "disabled", title="健康"))
    section["allOf"] = [
        {
            "if": {"properties": {"health": {"enum": ["disabled", "disabeld"]}}},
            "then": {"properties": {"grade": text("等级")}},
        },
        {
            "if": {"properties": {"health": {"const": "sick"}}},
            "then": {"properties": {"disease": text("疾病")}},
        },
    ]
    section["unevaluatedProperties"] = False
    found = problems(form(person=section))
    assert [where for where, _ in found] == [
        "/properties/person/allOf/0/if/properties/health/enum/1",
        "/properties/person/allOf/1/if/properties/health/const",
    ]
    assert '"disabeld" is not an answer "health" can have ("healthy", "disabled")' in found[0][1]


def test_check_refuses_if_waiting_for_a_yes_no_answer_as_text() -> None:
    section = _water("unevaluatedProperties")
    section["allOf"][0]["if"]["properties"]["cut"]["const"] = "true"
    assert pointers(form(water=section)) == ["/properties/water/allOf/0/if/properties/cut/const"]


def test_check_refuses_nested_if_key_not_defined() -> None:
    survey = form(household=group(category=choice("poor", "non_poor", title="类别")))
    survey["allOf"] = [
        {
            "if": {
                "properties": {"household": {"properties": {"categroy": {"const": "poor"}}}},
                "required": ["household"],
            },
            "then": {"required": ["household"]},
        }
    ]
    assert pointers(survey) == ["/allOf/0/if/properties/household/properties/categroy"]


def test_check_refuses_dependent_schema_on_a_key_not_defined() -> None:
    section = group(phone=text("电话"))
    section["dependentSchemas"] = {"phnoe": {"properties": {"carrier": text("运营商")}}}
    section["unevaluatedProperties"] = False
    assert pointers(form(contact=section)) == ["/properties/contact/dependentSchemas/phnoe"]


def test_shipped_household_form_can_be_finished(schema: dict[str, Any]) -> None:
    from forms.answerable import unanswerable

    assert unanswerable(schema) == []
