from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from forms.render import (
    answers_from_form,
    build_page,
    client_data,
    prune_hidden,
    render_template,
    validation_schema,
)
from forms.rules import MESSAGES as RULE_MESSAGES
from forms.rules import id_number_check_digit
from forms.schema import shipped_forms
from forms.validate import check_answers, localize

STATIC = Path(__file__).resolve().parents[2] / "forms" / "static"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return shipped_forms()["household"]


def _flatten(value: Any, at: str = "") -> list[tuple[str, str]]:
    """The pairs a browser would POST for these answers."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flatten(v, f"{at}/{k}")]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [
            pair
            for i, v in enumerate(value)
            for pair in [(f"{at}/{i}", ""), *_flatten(v, f"{at}/{i}")]
        ]
    if isinstance(value, list):
        return [(at, str(v)) for v in value]
    if isinstance(value, bool):
        return [(at, "true" if value else "false")]
    return [(at, str(value))]


def _fields(node: Any) -> list[Any]:
    return [node] + [f for c in node.children + node.items for f in _fields(c)]


def test_top_level_properties_are_pages_in_document_order(schema) -> None:
    page = build_page(schema, "zh")
    assert [p.name for p in page.pages] == [f"/{k}" for k in schema["properties"]]
    assert page.pages[0].label == schema["properties"]["survey"]["title"]


def test_english_labels_come_from_x_en(schema) -> None:
    page = build_page(schema, "en")
    assert page.title == schema["x-en"]["title"]
    assert page.pages[0].label == "Survey"


def test_widgets_follow_the_schema(schema) -> None:
    fields = {f.name: f for p in build_page(schema).pages for f in _fields(p)}
    assert fields["/survey/date"].kind == "date"
    assert fields["/survey/filled_by"].kind == "radio"
    assert fields["/members/0/relation"].kind == "select"  # 10 options
    assert fields["/household/special"].kind == "checkboxes"
    assert fields["/members/0/pension"].kind == "yesno"
    assert fields["/members"].kind == "repeat" and fields["/members"].min_items == 1
    assert (
        fields["/needs/0/description"].kind == "textarea"
        if "/needs/0/description" in fields
        else fields["/needs"].template.children[2].kind == "textarea"
    )
    assert fields["/household/phone"].kind == "tel"
    assert fields["/production/livestock/cattle"].attrs["step"] == 1
    assert fields["/survey/date"].required and not fields["/survey/surveyor_unit"].required


def test_conditional_question_carries_its_condition_after_its_anchor(schema) -> None:
    member = build_page(schema).pages[2].items[0]
    names = [c.name.rsplit("/", 1)[1] for c in member.children]
    assert names.index("disease") == names.index("health") + 1
    disease = member.children[names.index("disease")]
    assert disease.condition is not None and disease.condition.when == "then"
    assert disease.condition.schema["properties"]["health"]["enum"] == ["chronic", "serious"]
    assert "长期慢性病" in disease.condition.hint


def test_errors_are_attached_to_their_fields(schema) -> None:
    errors = [
        {"path": "/members/0/id_number", "message": "bad id"},
        {"path": "/nowhere/else", "message": "left over"},
    ]
    page = build_page(schema, "zh", {"members": [{}]}, errors)
    member = page.pages[2].items[0]
    assert next(c for c in member.children if c.name.endswith("id_number")).errors == ["bad id"]
    assert page.errors == ["left over"]


def test_form_post_round_trips_a_valid_household(schema, household) -> None:
    pairs = [*_flatten(household), ("/living/dropout", ""), ("_id", "x")]
    answers = prune_hidden(schema, answers_from_form(schema, pairs))
    assert check_answers("household", schema, answers, date.today()) == []
    assert answers["members"] == household["members"]


def test_form_post_types_numbers_and_keeps_bad_text_for_the_schema(schema) -> None:
    answers = answers_from_form(
        schema,
        [
            ("/income/wages", "1200"),
            ("/income/property_income", "1.5"),
            ("/production/livestock/cattle", "two"),
            ("/members/0/pension", "true"),
            ("/survey/surveyor", ""),
        ],
    )
    assert answers["income"]["wages"] == 1200 and answers["income"]["property_income"] == 1.5
    assert answers["production"]["livestock"]["cattle"] == "two"
    assert answers["members"][0]["pension"] is True
    assert "surveyor" not in answers["survey"]


def test_prune_hidden_drops_answers_whose_condition_is_false(schema, household) -> None:
    member = household["members"][0]
    member.update(health="healthy", disease="flu", migrant_work="none", migrant_months=3)
    household["living"]["floor_area"] = 0
    household["living"]["structure"] = "adobe"
    pruned = prune_hidden(schema, household)
    assert "disease" not in pruned["members"][0] and "migrant_months" not in pruned["members"][0]
    assert "structure" not in pruned["living"]
    assert household["members"][0]["disease"] == "flu"  # the input is not changed
    member.update(health="chronic")
    assert prune_hidden(schema, household)["members"][0]["disease"] == "flu"


def test_validation_schema_keeps_properties_named_like_annotations(schema) -> None:
    stripped = validation_schema(schema)
    assert "title" not in stripped
    assert "description" in stripped["properties"]["needs"]["items"]["properties"]


def test_page_renders_with_autoescape(schema) -> None:
    html = render_template(
        "form.html",
        lang="zh",
        page=build_page(schema, "zh", {"household": {"head_name": "<script>x</script>"}}),
        data={"x": "</script>"},
        form_id="household",
        version=1,
        action="/f/household/v/1",
        submission_id="id",
        notice="",
        asset=lambda n: f"/static/{n}",
        switch_url="/f/household?lang=en",
    )
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert 'name="/members/__i__/name"' in html and "<template>" in html
    assert 'data-if="' in html


def _rule_cases(household: dict[str, Any]) -> list[Any]:
    """Answers that, between them, break every form rule and many schema keywords."""
    broken = copy.deepcopy(household)
    broken["survey"].update(date="2024-13-01", surveyor="x", bogus=1)
    broken["household"].update(village_code="12", special=["x", "x"])
    idn = broken["members"][0]["id_number"]
    broken["members"][0].update(
        id_number=idn[:17] + ("0" if idn[17] != "0" else "1"),
        health="disabled",
        migrant_work="none",
        migrant_months=3,
    )
    broken["living"] = {"floor_area": 0, "structure": "adobe"}
    broken["income"]["wages"] = -1
    twins = copy.deepcopy(household)  # the same ID number twice, and two heads
    twins["members"][0].update(migrant_work="county", migrant_months=13, name=5)
    twins["members"].append(copy.deepcopy(twins["members"][0]))
    land = copy.deepcopy(household)  # exact ties, which Python rounds to even
    land["production"].update(cultivated_land=1.375, irrigated_land=2.125)
    land["causes"] = {"main_cause": "illness", "other_causes": ["land", "illness"]}
    land["income"] = {
        "wages": 100000.125,
        "business_income": 0,
        "business_expense": 0,
        "property_income": 0,
        "transfers": {"dibao": 0, "pension": 0, "eco_compensation": 0, "other": 0},
    }
    disabled = copy.deepcopy(household)
    disabled["members"][0].update(health="chronic", disease="高血压", relation="spouse")
    no_birthday = "62052319991340123"  # 1999-13-40
    disabled["members"].append({"id_number": no_birthday + id_number_check_digit(no_birthday)})
    disabled["causes"] = {"main_cause": "disability", "other_causes": ["disability"]}
    disabled["income"]["business_expense"] = 99999.5
    schooling = copy.deepcopy(household)
    member = schooling["members"][0]
    member.update(sex="male" if member["sex"] == "female" else "female", birth_date="2001-02-03")
    schooling["members"] += ["not a member", {"relation": "head", "id_number": "x"}]
    schooling["causes"] = {"main_cause": "schooling"}
    schooling["income"]["transfers"]["other"] = 0.1
    return [household, broken, twins, land, disabled, schooling, [], "not an object"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_phone_finds_the_same_issues_as_the_server(schema, household) -> None:
    cases = _rule_cases(household)
    script = (
        f"import {{ issues, message }} from '{STATIC / 'check.js'}';\n"
        "import fs from 'fs';\n"
        "const [data, cases] = JSON.parse(fs.readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map((a) => issues(data, a, '2026-01-01')"
        ".map((i) => [i.path, i.code, message(data, i)]).sort())));\n"
    )
    codes: set[str] = set()
    for lang in ("zh", "en"):
        run = subprocess.run(
            ["node", "--input-type=module", "-e", script],
            input=json.dumps([client_data("household", 1, schema, lang), cases]),
            capture_output=True,
            text=True,
            check=True,
        )
        phone = json.loads(run.stdout)
        for answers, found in zip(cases, phone, strict=True):
            server = localize(check_answers("household", schema, answers, date(2026, 1, 1)), lang)
            codes |= {i["code"] for i in server}
            assert sorted(found) == sorted([i["path"], i["code"], i["message"]] for i in server)
    assert set(RULE_MESSAGES) <= codes, set(RULE_MESSAGES) - codes
