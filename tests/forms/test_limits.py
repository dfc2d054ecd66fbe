"""Limits and references: what is refused before anything slow or recursive reads a form.

How fast a 50 MB or 100,000-deep document is refused is measured by
bench/check_bench.py; these tests show that it is refused, where, and that the
refusal does not go through the parser or the metaschema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forms import limits
from forms.schema import SchemaProblem, check_schema, load_schema_file, parse_schema
from tests.forms.small_forms import DRAFT, form, group, pointers, problems, text


def _refusal(text: str) -> SchemaProblem:
    with pytest.raises(SchemaProblem) as caught:
        parse_schema(text, "big.json")
    return caught.value


def test_check_refuses_a_50_mb_file_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as file:
        file.truncate(50_000_000)  # a sparse file: reading it would take the time
    with pytest.raises(SchemaProblem) as caught:
        load_schema_file(path)
    assert caught.value.where == ""
    assert "50,000,000 bytes is over the limit of 2 MB" in caught.value.message


def test_check_refuses_a_50_mb_text_before_parsing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parsing(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(json, "loads", no_parsing)
    refused = _refusal('{"description": "' + "x" * 50_000_000 + '"}')
    assert "over the limit of 2 MB" in refused.message


def test_check_refuses_100000_deep_nesting_before_parsing_it() -> None:
    refused = _refusal("[" * 100_000 + "]" * 100_000)
    assert refused.where == f"line 1 column {limits.MAX_NESTING + 1}"
    assert "nested more than 40 deep" in refused.message
    assert refused.lines == {refused.where: 1}


def test_check_refuses_deep_nesting_of_a_parsed_document() -> None:
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(100_000):  # built by a loop: json.loads could not have made it
        inner["x"] = {}
        inner = inner["x"]
    found = problems(deep)
    assert len(found) == 1 and "nested more than 40 deep" in found[0][1]
    assert found[0][0] == "/x" * limits.MAX_NESTING


def test_check_refuses_answers_nested_deeper_than_the_limit() -> None:
    question: dict[str, Any] = text()
    for _ in range(limits.MAX_ANSWER_DEPTH):
        question = group(q=question)
    found = problems(form(s=question))
    assert [where for where, _ in found] == ["/properties/s" + "/properties/q" * 8]
    assert "nested more than 8 deep" in found[0][1]


def test_check_accepts_answers_nested_to_the_limit() -> None:
    question: dict[str, Any] = text()
    for _ in range(limits.MAX_ANSWER_DEPTH - 1):
        question = group(q=question)
    assert problems(form(s=question)) == []


def test_check_refuses_more_fields_than_the_limit() -> None:
    half = {f"q{i}": text() for i in range(600)}
    found = problems(form(a=group(**half), b=group(**half)))
    assert [where for where, _ in found] == ["/properties/b/properties"]
    assert "more than 1,000 fields" in found[0][1]


def test_check_refuses_an_object_or_list_with_too_many_entries() -> None:
    options = [{"const": str(i), "title": str(i)} for i in range(1_001)]
    found = problems(form(s=group(q={"type": "string", "title": "q", "oneOf": options})))
    assert [where for where, _ in found] == ["/properties/s/properties/q/oneOf"]


def test_check_refuses_required_that_does_not_list_names() -> None:
    # The metaschema's uniqueItems compares unsortable items pairwise: refused first.
    section = group(q=text())
    section["required"] = [{"a": [0] * 10}, {"a": [1] * 10}]
    assert pointers(form(s=section)) == ["/properties/s/required"]


def test_check_refuses_a_remote_ref() -> None:
    section = group(
        a={"$ref": "https://example.com/choices.json", "title": "a"},
        b={"$ref": "urn:example:choices", "title": "b"},
        c={"$ref": "choices.json#/$defs/yes_no", "title": "c"},
    )
    found = problems(form(s=section))
    assert [where for where, _ in found] == [
        "/properties/s/properties/a/$ref",
        "/properties/s/properties/b/$ref",
        "/properties/s/properties/c/$ref",
    ]
    assert all("refers outside this form" in message for _, message in found)
    assert not any("not rendered" in message for _, message in found)


def test_check_refuses_a_ref_cycle_clearly() -> None:
    survey = form(s=group(q={"$ref": "#/$defs/a", "title": "q"}))
    survey["$defs"] = {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}
    found = problems(survey)
    cycle = [(where, message) for where, message in found if "cycle" in message]
    assert cycle == [
        (
            "/$defs/b/$ref",
            "$ref cycle (/$defs/a/$ref refers to #/$defs/b; /$defs/b/$ref refers to "
            "#/$defs/a): following it leads back where it started, so the form would never end",
        )
    ]


def test_check_refuses_a_form_that_contains_itself() -> None:
    member: dict[str, Any] = {"type": "object", "title": "成员", "properties": {}}
    member["properties"]["children"] = {
        "type": "array",
        "title": "子女",
        "items": {"$ref": "#/$defs/member"},
    }
    survey = form(head={"$ref": "#/$defs/member", "title": "户主"})
    survey["$defs"] = {"member": member}
    found = problems(survey)
    assert ("/$defs/member/properties/children/items/$ref") in [where for where, _ in found]


def test_check_refuses_a_long_ref_cycle_without_recursing() -> None:
    count = 900
    survey = form(s=group(q={"$ref": "#/$defs/d0", "title": "q"}))
    survey["$defs"] = {f"d{i}": {"$ref": f"#/$defs/d{(i + 1) % count}"} for i in range(count)}
    found = problems(survey)
    (message,) = [message for _, message in found if "cycle" in message]
    assert "900 references in all" in message


def test_check_refuses_a_ref_to_nothing() -> None:
    section = group(q={"$ref": "#/$defs/missing", "title": "q"})
    found = problems(form(s=section))
    assert found == [
        ("/properties/s/properties/q/$ref", "#/$defs/missing points at nothing in this form")
    ]


def test_local_ref_is_rendered_as_if_written_out() -> None:
    survey = form(s=group(q={"$ref": "#/$defs/yes", "title": "q"}))
    survey["$defs"] = {"yes": {"type": "boolean"}}
    assert problems(survey) == []


def test_limits_come_before_the_metaschema(monkeypatch: pytest.MonkeyPatch) -> None:
    from forms import schema

    def no_metaschema(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the metaschema ran")

    monkeypatch.setattr(schema, "_metaschema_problems", no_metaschema)
    with pytest.raises(SchemaProblem, match="more than 1,000 fields"):
        check_schema(
            {
                "$schema": DRAFT,
                "type": "object",
                "properties": {
                    f"s{j}": group(**{f"q{i}": text() for i in range(500)}) for j in range(3)
                },
            },
            "many.json",
        )


def test_check_refuses_more_schemas_than_the_limit() -> None:
    # 40,000 small schemas fit in 1 MB and would keep the metaschema busy for seconds.
    survey = form(s=group(q=text()))
    survey["allOf"] = [{"allOf": [{"not": {"minLength": 1}} for _ in range(200)]}] * 200
    found = problems(survey)
    assert len(found) == 1 and "more than 5,000 schemas" in found[0][1]
