"""JSON Logic as forms declare it: the evaluator against json-logic-js, the form check, and
a form's rules and computed values found on its answers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from forms.form_logic import calculate_issues, fill_calculated, rule_issues
from forms.logic import UNDEFINED, apply
from tests.forms.small_forms import form, group, problems
from tests.logic_form import schema

CORPUS = json.loads((Path(__file__).parent / "logic_cases.json").read_text(encoding="utf-8"))


def js_value(value: Any) -> Any:
    """A result as the corpus writes json-logic-js's: NaN, infinities, undefined by name."""
    if value is UNDEFINED:
        return {"$js": "undefined"}
    if isinstance(value, float):
        if math.isnan(value):
            return {"$js": "NaN"}
        if math.isinf(value):
            return {"$js": "Infinity" if value > 0 else "-Infinity"}
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    if isinstance(value, list):
        return [js_value(v) for v in value]
    return value


@pytest.mark.parametrize("case", CORPUS["cases"], ids=lambda c: json.dumps(c["rule"])[:60])
def test_evaluator_gives_json_logic_js_results(case: dict[str, Any]) -> None:
    got = js_value(apply(case["rule"], case["data"], CORPUS["about"]["today"]))
    assert json.dumps(got, ensure_ascii=False) == json.dumps(case["result"], ensure_ascii=False)


def test_unknown_operation_raises() -> None:
    with pytest.raises(ValueError, match="method"):
        apply({"method": ["abc", "toUpperCase"]})


# ---------------------------------------------------------------- a form's rules


def _found(answers: Any, today: str = "2026-05-01") -> list[tuple[str, str, str]]:
    found = rule_issues(schema(), answers, today) + calculate_issues(schema(), answers, today)
    return [(i.path, i.code, (i.words or {}).get("zh", "")) for i in found]


def test_a_rule_breaks_at_its_field_with_its_message() -> None:
    answers = {"group": {"households": 30, "poor_households": 31, "poor_share": 103.33}}
    assert _found(answers) == [("/group/poor_households", "poor_le_total", "贫困户不能多于户数")]


def test_a_rule_waits_for_every_value_it_reads() -> None:
    assert _found({"group": {"poor_households": 31}}) == []
    assert _found({"group": {"households": "30", "poor_households": 31}}) == []  # wrong type


def test_a_rule_fills_its_message_with_the_values_it_reads_and_today() -> None:
    answers = {
        "group": {
            "households": 3,
            "poor_households": 1,
            "poor_share": 33.33,
            "visited": "2026-05-02",
        }
    }
    assert _found(answers) == [
        ("/group/visited", "visited_not_after_today", "走访日期 2026-05-02 晚于今天（2026-05-01）")
    ]
    assert _found(answers, today="2026-05-02") == []


def test_a_computed_value_must_be_the_one_worked_out_within_half_a_fen() -> None:
    fine = {"group": {"households": 3, "poor_households": 1, "poor_share": 33.33}}
    assert _found(fine) == []
    fine["group"]["poor_share"] = 33.334
    assert _found(fine) == []
    fine["group"]["poor_share"] = 33.34
    assert _found(fine) == [("/group/poor_share", "calculated", "")]
    del fine["group"]["poor_share"]
    assert _found(fine) == [("/group/poor_share", "calculated", "")]


def test_a_computed_value_with_no_number_must_be_left_out() -> None:
    answers = {"group": {"households": 0, "poor_households": 0}}
    assert _found(answers) == []
    answers["group"]["poor_share"] = 0
    assert _found(answers) == [("/group/poor_share", "calculated_empty", "")]


def test_fill_calculated_sets_the_value_a_page_without_javascript_cannot() -> None:
    answers = {"group": {"households": 3, "poor_households": 1, "poor_share": 99}}
    assert fill_calculated(schema(), answers, "2026-05-01") == {
        "group": {"households": 3, "poor_households": 1, "poor_share": 33.33}
    }


def test_rules_on_repeat_items_name_the_item() -> None:
    item = group(a={"type": "integer", "title": "a"}, b={"type": "integer", "title": "b"})
    item["x-rules"] = [
        {
            "id": "a_le_b",
            "rule": {"<=": [{"var": "a"}, {"var": "b"}]},
            "field": "a",
            "message": {"zh": "a 不能大于 b"},
        }
    ]
    doc = form(rows={"type": "array", "title": "行", "items": item})
    assert problems(doc) == []
    found = rule_issues(doc, {"rows": [{"a": 1, "b": 2}, {"a": 3, "b": 2}]}, "2026-05-01")
    assert [(i.path, i.code, i.words) for i in found] == [
        ("/rows/1/a", "a_le_b", {"zh": "a 不能大于 b"})
    ]


# ---------------------------------------------------------------- the form check


DEEP: Any = True
for _ in range(13):
    DEEP = {"!": [DEEP]}


def _with_rule(**rule: Any) -> dict[str, Any]:
    doc = schema()
    doc["properties"]["group"]["x-rules"] = [
        {"id": "r", "rule": True, "field": "households", "message": {"zh": "错"}, **rule}
    ]
    return doc


@pytest.mark.parametrize(
    ("rule", "where", "words"),
    [
        ({"rule": {"method": ["a", "b"]}}, "/x-rules/0/rule/method", "unknown operation"),
        ({"rule": {"<=": [{"var": "poor"}, 3]}}, "/x-rules/0/rule/<=/0/var", "names no question"),
        ({"rule": {"<=": [1]}}, "/x-rules/0/rule/<=", "takes 2 to 3 arguments"),
        ({"rule": {"a": 1, "b": 2}}, "/x-rules/0/rule", "one operation"),
        ({"rule": {"var": {"cat": ["a"]}}}, "/x-rules/0/rule/var", "names a field"),
        ({"message": {"en": "wrong"}}, "/x-rules/0/message", "Chinese"),
        ({"field": "nowhere"}, "/x-rules/0/field", "names no question"),
        ({"id": "1 bad"}, "/x-rules/0/id", "an id is"),
        ({"why": "extra"}, "/x-rules/0/why", "unknown key"),
        (
            {"rule": {"some": [{"var": "households"}, {"var": "x"}]}},
            "",
            "",
        ),
        ({"rule": DEEP}, "/x-rules/0/rule", "nested more than"),
        ({"rule": {"+": list(range(300))}}, "/x-rules/0/rule", "at most 200"),
        (
            {"rule": {"map": [[1], {"map": [[1], {"map": [[1], 1]}]}]}},
            "/x-rules/0/rule/map/1/map/1/map",
            "at most 2",
        ),
    ],
)
def test_check_refuses_what_would_not_work(rule: dict[str, Any], where: str, words: str) -> None:
    found = problems(_with_rule(**rule))
    if not where:
        assert found == []  # the item of a number is unknown: nothing to name
        return
    at = "/properties/group" + where
    assert any(p == at and words in m for p, m in found), found


def test_check_refuses_a_computed_value_reading_today_or_a_computed_question() -> None:
    doc = schema()
    share = doc["properties"]["group"]["properties"]["poor_share"]
    share["x-calculate"] = {"cat": [{"today": []}]}
    doc["properties"]["group"]["properties"]["twice"] = {
        "type": "number",
        "title": "两倍",
        "x-calculate": {"*": [{"var": "poor_share"}, 2]},
    }
    found = dict(problems(doc))
    assert "today" in found["/properties/group/properties/poor_share/x-calculate"]
    assert "computed too" in found["/properties/group/properties/twice/x-calculate"]


def test_check_refuses_rules_where_no_answers_are() -> None:
    doc = schema()
    doc["properties"]["group"]["properties"]["households"]["x-rules"] = []
    found = dict(problems(doc))
    assert "belongs on an object" in found["/properties/group/properties/households/x-rules"]


def test_check_reads_vars_inside_a_loop_against_the_items() -> None:
    item = group(age={"type": "integer", "title": "年龄"})
    doc = form(people={"type": "array", "title": "人", "items": item})
    doc["x-rules"] = [
        {
            "id": "adult",
            "field": "people",
            "message": {"zh": "要有成年人"},
            "rule": {"some": [{"var": "people"}, {">=": [{"var": "agee"}, 18]}]},
        }
    ]
    assert problems(doc) == [
        ("/x-rules/0/rule/some/1/>=/0/var", "'agee' names no question of the list's items")
    ]
    doc["x-rules"][0]["rule"]["some"][1][">="][0]["var"] = "age"
    assert problems(doc) == []


def test_check_refuses_a_computed_choice_a_page_cannot_fill() -> None:
    doc = schema()
    questions = doc["properties"]["group"]["properties"]
    questions["all_poor"] = {
        "type": "boolean",
        "title": "全是贫困户",
        "x-calculate": {"==": [{"var": "households"}, 3]},
    }
    questions["size"] = {
        "type": "string",
        "title": "规模",
        "oneOf": [{"const": "s", "title": "小"}],
        "x-calculate": "s",
    }
    found = dict(problems(doc))
    assert "not a choice" in found["/properties/group/properties/all_poor/x-calculate"]
    assert "not a choice" in found["/properties/group/properties/size/x-calculate"]


def test_a_message_shows_read_values_as_the_phone_writes_them() -> None:
    item = group(ok={"type": "boolean", "title": "好"}, n={"type": "number", "title": "数"})
    item["x-rules"] = [
        {
            "id": "r",
            "rule": {"and": [{"var": "ok"}, {"<": [{"var": "n"}, 1]}]},
            "field": "n",
            "message": {"zh": "{ok} {n} {other}"},
        }
    ]
    found = rule_issues(form(g=item), {"g": {"ok": False, "n": 2.0}}, "2026-05-01")
    assert found[0].words == {"zh": "false 2 {other}"}
