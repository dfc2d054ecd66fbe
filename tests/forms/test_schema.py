from __future__ import annotations

import json
from pathlib import Path

import pytest

from forms.schema import SchemaProblem, load_schema_file, parse_schema, shipped_forms

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def test_every_shipped_schema_passes_the_metaschema() -> None:
    forms = shipped_forms()
    assert "household" in forms
    for schema in forms.values():
        assert schema["$schema"] == DRAFT


def test_broken_schema_names_file_and_pointer(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        json.dumps(
            {
                "$schema": DRAFT,
                "type": "object",
                "properties": {
                    "survey": {"type": "object", "properties": {"date": {"type": "dte"}}}
                },
            }
        )
    )
    with pytest.raises(SchemaProblem) as caught:
        load_schema_file(path)
    assert caught.value.source == str(path)
    assert caught.value.where == "/properties/survey/properties/date/type"


def test_schema_that_is_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "type": "object",\n  "properties": {,}\n}')
    with pytest.raises(SchemaProblem) as caught:
        load_schema_file(path)
    assert caught.value.where == "line 3 column 18"


def test_schema_of_another_draft_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(
        json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"})
    )
    with pytest.raises(SchemaProblem, match="2020-12"):
        load_schema_file(path)


def test_broken_shipped_schema_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(
        json.dumps({"$schema": DRAFT, "type": "object", "minProperties": -1})
    )
    with pytest.raises(SchemaProblem) as caught:
        shipped_forms(tmp_path)
    assert caught.value.where == "/minProperties"


def test_problems_name_the_line_of_their_pointer(tmp_path: Path) -> None:
    path = tmp_path / "lines.json"
    path.write_text(
        json.dumps(
            {
                "$schema": DRAFT,
                "type": "object",
                "properties": {
                    "s": {
                        "type": "object",
                        "title": "部分",
                        "properties": {"q": {"type": "string"}},
                        "required": ["q", "r"],
                    }
                },
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    with pytest.raises(SchemaProblem) as caught:
        load_schema_file(path)
    lines = path.read_text().splitlines()
    assert [where for where, _ in caught.value.problems] == [
        "/properties/s/properties/q",
        "/properties/s/required/1",
    ]
    assert lines[caught.value.lines["/properties/s/properties/q"] - 1].strip() == '"q": {'
    assert lines[caught.value.lines["/properties/s/required/1"] - 1].strip() == '"r"'
    report = caught.value.report()
    assert report[1].startswith(f"{path}: /properties/s/required/1: ")
    assert report[1].endswith(f"(line {caught.value.lines['/properties/s/required/1']})")


def test_start_up_refuses_a_broken_form_listing_every_problem(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(
        json.dumps(
            {
                "$schema": DRAFT,
                "type": "object",
                "properties": {"a": {"type": "object", "properties": {}}},
                "required": ["a", "b"],
                "oneOf": [{"required": ["a"]}],
            }
        )
    )
    with pytest.raises(SchemaProblem) as caught:
        shipped_forms(tmp_path)
    assert [where for where, _ in caught.value.problems] == [
        "/oneOf",
        "/properties/a",
        "/required/1",
    ]
    assert str(caught.value).count(str(tmp_path / "x.json")) == 3


def test_the_example_in_the_designers_readme_passes_the_check() -> None:
    readme = (Path(__file__).parents[2] / "forms" / "README.md").read_text(encoding="utf-8")
    example = readme.split("```json\n", 1)[1].split("```", 1)[0]
    parse_schema(example, "README.md")
