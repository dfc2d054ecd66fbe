"""Which arrays hold needs is declared by the form (`x-needs`), and checked."""

from __future__ import annotations

import copy

import pytest

from forms.needs import ListedNeed, listed_needs, needs_fields, needs_problems
from forms.schema import SchemaProblem, check_schema, shipped_forms


def test_the_household_form_declares_its_needs_array() -> None:
    household = shipped_forms()["household"]
    assert needs_fields(household) == ("needs",)
    assert needs_problems(household) == []


def test_a_form_without_the_annotation_has_no_needs() -> None:
    household = copy.deepcopy(shipped_forms()["household"])
    del household["properties"]["needs"]["x-needs"]
    assert needs_fields(household) == ()


def test_listed_needs_are_read_from_the_declared_arrays_only() -> None:
    answers = {
        "needs": [
            {"category": "employment", "item": "job_placement", "description": "想打工"},
            {"category": "other"},  # no item: nothing to follow up by
        ],
        "wishes": [{"category": "employment", "item": "skills_training"}],
    }
    assert listed_needs(answers, ("needs",)) == [
        ListedNeed("/needs/0", "employment", "job_placement", "想打工", None)
    ]
    assert [n.path for n in listed_needs(answers, ("needs", "wishes"))] == [
        "/needs/0",
        "/wishes/0",
    ]
    assert listed_needs({"needs": "none"}, ("needs",)) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda s: s["properties"]["needs"].update({"x-needs": "yes"}),
            "/properties/needs/x-needs",
        ),
        (
            lambda s: s["properties"]["needs"]["items"]["required"].remove("item"),
            "/properties/needs/items/required",
        ),
        (
            lambda s: s["properties"]["household"].update({"x-needs": True}),
            "/properties/household",
        ),
        (
            lambda s: s["properties"]["members"]["items"]["properties"]["name"].update(
                {"x-needs": True}
            ),
            "/properties/members/items/properties/name/x-needs",
        ),
    ],
)
def test_a_misplaced_or_incomplete_needs_array_is_refused(change, where) -> None:
    schema = copy.deepcopy(shipped_forms()["household"])
    change(schema)
    with pytest.raises(SchemaProblem) as found:
        check_schema(schema, "household.json")
    assert where in [w for w, _ in found.value.problems], found.value.problems
