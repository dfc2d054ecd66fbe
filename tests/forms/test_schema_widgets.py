"""Shared lists ($ref), allOf parts, an object's alternatives, enum labels, date-time and time,
and repeat groups inside repeat groups: checked, shown, read from a plain POST, and judged
alike by the phone (check.js with more.js, in node) and the server."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from forms import form_post
from forms.client import client_data, validation_schema
from forms.refs import build_view
from forms.render import build_page, render_template
from forms.schema import SchemaProblem, parse_schema
from forms.table import form_table
from forms.validate import localize, schema_issues
from tests.forms.small_forms import form, group, pointers, problems, text
from tests.forms.widget_forms import farm_form

STATIC = Path(__file__).resolve().parents[2] / "forms" / "static"
GOOD = {
    "farm": {
        "main_crop": "potato",
        "visited_at": "2026-11-20T09:30:00+08:00",
        "starts": "07:15:00+08:00",
        "income": {"crop": "wheat", "area": 2.5},
        "plots": [{"name": "东坡", "seasons": [{"crop": "corn"}, {"crop": "potato"}]}],
    }
}


def _with(**farm: Any) -> dict[str, Any]:
    answers = copy.deepcopy(GOOD)
    answers["farm"].update(farm)
    return answers


def test_the_farm_form_passes_the_check() -> None:
    assert problems(farm_form()) == []


def test_a_reference_is_shown_as_if_written_out_its_own_title_first() -> None:
    view = build_view(farm_form()).schema
    main = view["properties"]["farm"]["properties"]["main_crop"]
    assert main["title"] == "主要作物" and main["enum"] == ["corn", "potato", "wheat"]
    assert "$ref" not in json.dumps(view) and "$defs" not in view


def test_allof_parts_are_one_group_and_conditions_stay() -> None:
    person = {"type": "object", "properties": {"name": text("姓名")}, "required": ["name"]}
    section = {
        "type": "object",
        "title": "户主",
        "allOf": [
            {"$ref": "#/$defs/person"},
            {"properties": {"sick": {"type": "boolean", "title": "患病"}}},
            {
                "if": {"properties": {"sick": {"const": True}}, "required": ["sick"]},
                "then": {"properties": {"illness": text("病名")}, "required": ["illness"]},
            },
        ],
        "unevaluatedProperties": False,
    }
    survey = form(head=section)
    survey["$defs"] = {"person": person}
    assert problems(survey) == []
    page = build_page(survey)
    names = [c.name for c in page.pages[0].children]
    assert names == ["/head/name", "/head/sick", "/head/illness"]
    assert page.pages[0].children[0].required and page.pages[0].children[2].condition
    assert schema_issues(survey, {"head": {"name": "王", "sick": True}})[0].path == "/head/illness"


def test_additional_properties_false_on_a_part_is_refused() -> None:
    survey = form(
        s={
            "type": "object",
            "title": "部分",
            "allOf": [
                {"properties": {"a": text()}, "additionalProperties": False},
                {"properties": {"b": text()}},
            ],
        }
    )
    found = problems(survey)
    assert [w for w, _ in found] == ["/properties/s/allOf/0/additionalProperties"]
    assert "'b'" in found[0][1]


def test_alternatives_asking_the_same_question_are_refused() -> None:
    survey = form(
        s={
            "type": "object",
            "title": "收入来源",
            "oneOf": [
                {"title": "务工", "properties": {"amount": text()}},
                {"title": "种植", "properties": {"crop": text(), "amount": text()}},
            ],
        }
    )
    found = problems(survey)
    assert [w for w, _ in found] == ["/properties/s/oneOf/1/properties/amount"]
    assert "alternatives 0 and 1 both ask 'amount'" in found[0][1]
    shared = copy.deepcopy(survey)  # asked once, in the object's own properties: fine
    shared["properties"]["s"]["properties"] = {"amount": text()}
    assert problems(shared) == []


def test_a_problem_in_a_shared_definition_is_reported_where_it_is_written() -> None:
    survey = form(s=group(q={"$ref": "#/$defs/q"}))
    survey["$defs"] = {"q": {"type": "string", "title": "问", "format": "uri"}}
    text_ = json.dumps(survey, indent=2)
    with pytest.raises(SchemaProblem) as caught:
        parse_schema(text_, "s.json")
    assert caught.value.where == "/$defs/q/format"
    line = next(n for n, t in enumerate(text_.splitlines(), 1) if '"uri"' in t)
    assert caught.value.report() == [
        f"s.json: /$defs/q/format: format 'uri' is not checked on the phone; use date, "
        f"date-time, time or email, or a pattern (line {line})"
    ]


@pytest.mark.parametrize(
    ("question", "where", "says"),
    [
        (
            {"type": "array", "title": "对", "prefixItems": [text()], "items": text()},
            "/properties/s/properties/q/prefixItems",
            "prefixItems",
        ),
        (
            {"type": "object", "title": "表", "properties": {}, "additionalProperties": text()},
            "/properties/s/properties/q/additionalProperties",
            "free keys",
        ),
        (
            {"type": "string", "title": "选", "enum": ["a", "b"], "x-enumNames": ["甲"]},
            "/properties/s/properties/q/x-enumNames",
            "one label",
        ),
        (
            {"type": "object", "title": "选", "oneOf": [{"properties": {"a": text()}}]},
            "/properties/s/properties/q/oneOf/0",
            "alternative needs a title",
        ),
    ],
)
def test_what_stays_unsupported_is_named(question: Any, where: str, says: str) -> None:
    found = problems(form(s=group(q=question)))
    assert where in [w for w, _ in found]
    assert says in dict(found)[where]


def test_enum_labels_in_both_languages_else_the_value() -> None:
    survey = farm_form()
    zh = build_page(survey, "zh").pages[0].children[0]
    en = build_page(survey, "en").pages[0].children[0]
    assert [o.label for o in zh.options] == ["玉米", "土豆", "小麦"]
    assert [o.label for o in en.options] == ["Maize", "Potato", "Wheat"]
    bare = form(s=group(q={"type": "integer", "title": "几", "enum": [1, 2]}))
    assert [o.label for o in build_page(bare).pages[0].children[0].options] == ["1", "2"]


def test_the_page_shows_inputs_alternatives_and_nested_templates() -> None:
    page = build_page(farm_form(), "zh", GOOD)
    html = render_template(
        "form.html", lang="zh", page=page, data={}, form_id="f", version=1,
        action="/", notice="", asset=lambda name: name, switch_url="",
    )  # fmt: skip
    assert 'type="datetime-local" value="2026-11-20T09:30"' in html
    assert 'type="time" value="07:15"' in html
    assert '<input type="radio" name="_alt/farm/income" value="1" checked' in html
    assert 'data-alt="_alt/farm/income" data-alt-i="0"' in html
    assert 'name="/farm/plots/0/seasons/1/crop" value="potato" checked' in html
    assert "/farm/plots/0/seasons/__i__/crop" in html  # the inner group's template


def test_a_plain_post_takes_the_chosen_alternative_only() -> None:
    pairs = [
        ("/farm/main_crop", "potato"),
        ("/farm/visited_at", "2026-11-20T09:30"),
        ("/farm/starts", "07:15"),
        ("_alt/farm/income", "1"),
        ("/farm/income/employer", "砖厂"),  # typed before changing their mind
        ("/farm/income/crop", "wheat"),
        ("/farm/income/area", "2.5"),
        ("/farm/plots/0/name", "东坡"),
        ("/farm/plots/0/seasons/0/crop", "corn"),
        ("/farm/plots/0/seasons/1/crop", "potato"),
    ]
    schema = farm_form()
    answers = form_post.prune_hidden(schema, form_post.answers_from_form(schema, pairs))
    assert answers == GOOD
    assert schema_issues(schema, answers) == []


CASES = [
    GOOD,
    _with(visited_at="2026-02-30T09:30:00+08:00"),
    _with(visited_at="2026-11-20 09:30"),
    _with(starts="24:00:00+08:00"),
    _with(starts="07:15"),
    _with(main_crop="rice"),
    _with(income={"crop": "rice"}),
    _with(income={"employer": "砖厂", "crop": "corn"}),
    _with(income={"crop": "corn", "area": -1}),  # at the field of the alternative taken
    _with(income={}),
    _with(plots=[{"name": "东坡", "seasons": [{"crop": "rice"}, {}]}]),
    {"farm": {"main_crop": "corn", "plots": []}},
    {"farm": {"main_crop": "corn"}},
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_phone_and_server_find_the_same_issues(lang: str) -> None:
    schema = farm_form()
    script = (
        f"import {{ issues, message }} from '{STATIC / 'check.js'}';\n"
        f"await import('{STATIC / 'more.js'}');\n"
        "import fs from 'fs';\n"
        "const [data, cases] = JSON.parse(fs.readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map((a) => issues(data, a, '2026-01-01')"
        ".map((i) => [i.path, i.code, message(data, i)]).sort())));\n"
    )
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps([client_data("farm", 1, schema, lang), CASES]),
        capture_output=True,
        text=True,
        check=True,
    )
    codes = set()
    for answers, phone in zip(CASES, json.loads(run.stdout), strict=True):
        server = localize(schema_issues(schema, answers), lang)
        codes |= {i["code"] for i in server}
        assert sorted(phone) == sorted([i["path"], i["code"], i["message"]] for i in server)
    assert {"format", "enum", "invalid", "minProperties", "required", "minimum"} <= codes


def test_a_wrong_answer_in_the_alternative_taken_is_shown_at_its_field() -> None:
    schema = farm_form()
    found = schema_issues(schema, _with(income={"crop": "rice", "area": -1}))
    assert sorted((i.path, i.code) for i in found) == [
        ("/farm/income/area", "minimum"),
        ("/farm/income/crop", "enum"),
    ]
    # None taken yet: the group itself asks for a choice.
    assert [(i.path, i.code) for i in schema_issues(schema, _with(income={}))] == [
        ("/farm/income", "invalid")
    ]


def test_phone_types_a_date_time_and_a_time_as_a_plain_post_does() -> None:
    farm = build_view(farm_form()).schema["properties"]["farm"]["properties"]
    nodes = [validation_schema(farm["visited_at"]), validation_schema(farm["starts"])]
    texts = ["2026-11-20T09:30", "2026-11-20T09:30:05", " 07:15 ", "07:15:30", "7:15", "", "x",
             "2026-11-20T09:30:00Z"]  # fmt: skip
    cases = [[node, t] for node in nodes for t in texts]
    script = (
        f"import {{ typed }} from '{STATIC / 'check.js'}';\n"
        f"await import('{STATIC / 'more.js'}');\n"
        "import fs from 'fs';\n"
        "const cases = JSON.parse(fs.readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map(([node, text]) => typed(node, text))));\n"
    )
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout) == [form_post.typed(node, t) for node, t in cases]
    assert form_post.typed(nodes[1], "07:15") == "07:15:00+08:00"


def test_only_forms_that_use_them_load_more_js(schema) -> None:
    assert "more" not in client_data("household", 1, schema, "zh")
    assert "view" not in client_data("household", 1, schema, "zh")
    data = client_data("farm", 1, farm_form(), "zh")
    assert data["more"] is True and "$ref" not in json.dumps(data["view"])


def test_references_too_many_to_inline_are_refused_quickly() -> None:
    defs: dict[str, Any] = {"d0": text()}
    for n in range(1, 16):  # each doubles: 2**15 questions once written out
        defs[f"d{n}"] = {
            "type": "object",
            "title": "层",
            "properties": {"a": {"$ref": f"#/$defs/d{n - 1}"}, "b": {"$ref": f"#/$defs/d{n - 1}"}},
        }
    survey = form(s={"$ref": "#/$defs/d15"})
    survey["$defs"] = defs
    assert pointers(survey) == [""]
    assert "more than 5000" in problems(survey)[0][1]


def test_exports_have_the_alternatives_answers_and_nested_sheets_not_the_choice() -> None:
    table = form_table(farm_form())
    paths = [c.path for c in table.sheets[0].columns]
    assert ("farm", "income", "crop") in paths and ("farm", "income", "income") not in paths
    assert [s.name for s in table.sheets[1:]] == ["farm.plots", "farm.plots.seasons"]
