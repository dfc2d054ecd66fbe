"""Household form rules: one passing and one failing case each, with the exact path and code."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from forms.form_logic import rule_issues
from forms.issues import Issue
from forms.rules import (
    MESSAGES,
    RULES,
    derive,
    id_number_check_digit,
    parse_id_number,
)
from forms.schema import shipped_forms
from forms.validate import schema_issues

TODAY = date(2026, 6, 1)
HEAD_ID = "620523197501020018"  # born 1975-01-02, 17th digit 1: male
SPOUSE_ID = "620523197803150029"  # born 1978-03-15, 17th digit 2: female
CHILD_ID = "62052320100901001X"  # born 2010-09-01, male


def household() -> dict[str, Any]:
    return {
        "survey": {"date": "2026-05-10", "surveyor": "李明"},
        "household": {
            "village_code": "620523102201",
            "head_name": "王建国",
            "category": "ordinary_poor",
        },
        "members": [
            {
                "name": "王建国",
                "id_number": HEAD_ID,
                "sex": "male",
                "birth_date": "1975-01-02",
                "relation": "head",
                "health": "chronic",
                "disease": "高血压",
            },
            {
                "name": "李秀兰",
                "id_number": SPOUSE_ID,
                "sex": "female",
                "birth_date": "1978-03-15",
                "relation": "spouse",
                "health": "disabled",
                "disability_type": "physical",
                "disability_grade": "grade_3",
            },
            {
                "name": "王浩",
                "id_number": CHILD_ID,
                "sex": "male",
                "birth_date": "2010-09-01",
                "relation": "son",
                "health": "healthy",
                "schooling": "junior",
            },
        ],
        "income": {
            "wages": 9000,
            "business_income": 4000,
            "business_expense": 1500,
            "property_income": 0,
            "transfers": {"dibao": 0, "pension": 0, "eco_compensation": 300, "other": 200},
        },
        "production": {"cultivated_land": 8.5, "irrigated_land": 2},
        "causes": {"main_cause": "illness", "other_causes": ["capital"]},
    }


def issues(answers: Any) -> list[Issue]:
    """The household form's own rules: its schema's x-rules (waiting for values the schema
    refuses, as forms/validate.py has them), then forms/rules.py's."""
    schema = shipped_forms()["household"]
    wrong = frozenset(i.path for i in schema_issues(schema, answers))
    declared = rule_issues(schema, answers, TODAY.isoformat(), wrong)
    return declared + [issue for rule in RULES["household"] for issue in rule(answers, TODAY)]


def found(answers: Any) -> list[tuple[str, str]]:
    return [(i.path, i.code) for i in issues(answers)]


def test_consistent_household_has_no_issues() -> None:
    assert issues(household()) == []


# ---------------------------------------------------------------- ID numbers


def test_check_digit_follows_gb_11643() -> None:
    assert id_number_check_digit("11010519491231002") == "X"
    assert id_number_check_digit(HEAD_ID[:17]) == HEAD_ID[17]


def test_check_digit_rejects_anything_but_17_digits() -> None:
    with pytest.raises(ValueError):
        id_number_check_digit("1234")


def test_parse_id_number_gives_birth_date_and_sex() -> None:
    assert parse_id_number(HEAD_ID) == (date(1975, 1, 2), "male")
    assert parse_id_number(SPOUSE_ID) == (date(1978, 3, 15), "female")
    assert parse_id_number("62052319750230001X") == (None, "male")
    assert parse_id_number("not an id") == (None, None)


def test_wrong_check_digit_is_reported_at_id_number_without_naming_the_digit() -> None:
    answers = household()
    answers["members"][1]["id_number"] = SPOUSE_ID[:17] + "3"
    result = issues(answers)
    assert [(i.path, i.code) for i in result] == [("/members/1/id_number", "id_number.check_digit")]
    assert result[0].params == {"expected": "9", "actual": "3"}
    for lang in ("zh", "en"):
        said = MESSAGES["id_number.check_digit"][lang].format(**result[0].params)
        assert "9" not in said.replace("17", "")  # "should be 9" sends one to fix the last digit
    assert "校验位" in MESSAGES["id_number.check_digit"]["zh"]


def test_impossible_birth_date_digits_are_reported_at_id_number() -> None:
    answers = household()
    id17 = "62052319780230002"  # 30 February
    answers["members"][1]["id_number"] = id17 + id_number_check_digit(id17)
    assert found(answers) == [("/members/1/id_number", "id_number.birth_date_invalid")]


def test_birth_date_disagreeing_with_id_is_reported_at_birth_date() -> None:
    answers = household()
    answers["members"][2]["birth_date"] = "2010-09-02"
    result = issues(answers)
    assert [(i.path, i.code) for i in result] == [
        ("/members/2/birth_date", "member.birth_date_mismatch")
    ]
    assert result[0].params == {"birth_date": "2010-09-02", "id_birth_date": "2010-09-01"}


def test_sex_disagreeing_with_17th_digit_is_reported_at_sex() -> None:
    answers = household()
    answers["members"][1]["sex"] = "male"
    result = issues(answers)
    assert [(i.path, i.code) for i in result] == [("/members/1/sex", "member.sex_mismatch")]
    assert result[0].params["digit"] == "2"


def test_duplicate_id_number_is_reported_at_the_later_member() -> None:
    answers = household()
    answers["members"][2].update(id_number=HEAD_ID, birth_date="1975-01-02")
    result = issues(answers)
    assert [(i.path, i.code) for i in result] == [("/members/2/id_number", "id_number.duplicate")]
    assert result[0].params["first"] == 1


# ---------------------------------------------------------------- head


def test_household_without_head_is_reported_at_members() -> None:
    answers = household()
    answers["members"][0]["relation"] = "other"
    assert found(answers) == [("/members", "members.no_head")]


def test_second_head_is_reported_at_its_relation() -> None:
    answers = household()
    answers["members"][1]["relation"] = "head"
    answers["members"][2]["relation"] = "head"
    assert found(answers) == [
        ("/members/1/relation", "members.extra_head"),
        ("/members/2/relation", "members.extra_head"),
    ]


# ---------------------------------------------------------------- other sections


def test_survey_date_today_is_accepted() -> None:
    answers = household()
    answers["survey"]["date"] = TODAY.isoformat()
    assert issues(answers) == []


def test_survey_date_after_today_is_reported() -> None:
    answers = household()
    answers["survey"]["date"] = "2026-06-02"
    assert found(answers) == [("/survey/date", "survey.date_in_future")]
    assert issues(answers)[0].words == {
        "zh": "调查日期 2026-06-02 晚于今天（2026-06-01）",
        "en": "Survey date 2026-06-02 is after today (2026-06-01)",
    }


def test_irrigated_land_equal_to_cultivated_is_accepted() -> None:
    answers = household()
    answers["production"]["irrigated_land"] = 8.5
    assert issues(answers) == []


def test_irrigated_land_above_cultivated_is_reported() -> None:
    answers = household()
    answers["production"]["irrigated_land"] = 9
    result = issues(answers)
    assert [(i.path, i.code) for i in result] == [
        ("/production/irrigated_land", "production.irrigated_exceeds_cultivated")
    ]
    assert result[0].words == {
        "zh": "有效灌溉面积 9 亩超过耕地面积 8.5 亩",
        "en": "Irrigated land of 9 mu exceeds cultivated land of 8.5 mu",
    }


def test_illness_cause_without_ill_member_is_reported() -> None:
    answers = household()
    answers["members"][0].update(health="healthy")
    del answers["members"][0]["disease"]
    assert found(answers) == [("/causes/main_cause", "causes.illness_without_ill_member")]


def test_disability_cause_with_disabled_member_is_accepted() -> None:
    answers = household()
    answers["causes"]["main_cause"] = "disability"
    assert issues(answers) == []


def test_disability_cause_without_disabled_member_is_reported() -> None:
    answers = household()
    answers["causes"]["main_cause"] = "disability"
    answers["members"] = answers["members"][:1]
    assert found(answers) == [("/causes/main_cause", "causes.disability_without_disabled_member")]


def test_schooling_cause_with_student_is_accepted() -> None:
    answers = household()
    answers["causes"]["main_cause"] = "schooling"
    assert issues(answers) == []


def test_schooling_cause_without_student_is_reported() -> None:
    answers = household()
    answers["causes"]["main_cause"] = "schooling"
    answers["members"][2]["schooling"] = "not_in_school"
    assert found(answers) == [("/causes/main_cause", "causes.schooling_without_student")]


def test_other_causes_repeating_main_cause_is_reported() -> None:
    answers = household()
    answers["causes"]["other_causes"] = ["capital", "illness"]
    result = issues(answers)
    assert [(i.path, i.code) for i in result] == [
        ("/causes/other_causes", "causes.other_repeats_main")
    ]
    assert MESSAGES["causes.other_repeats_main"]["zh"].format(**result[0].params) == (
        "其他致贫原因不能包含主要致贫原因“因病”"
    )


def test_per_capita_income_at_ceiling_is_accepted() -> None:
    answers = household()
    answers["income"].update(wages=300_000 - 4000 + 1500 - 500, business_income=4000)
    assert derive("household", answers)["per_capita_income"] == 100_000
    assert issues(answers) == []


def test_per_capita_income_of_zero_is_reported_at_income() -> None:
    answers = household()
    answers["income"].update(wages=0, business_income=0, business_expense=500)
    assert found(answers) == [("/income", "income.per_capita_out_of_range")]


def test_per_capita_income_above_ceiling_is_reported_at_income() -> None:
    answers = household()
    answers["income"]["wages"] = 400_000
    assert found(answers) == [("/income", "income.per_capita_out_of_range")]


def test_per_capita_income_is_not_checked_while_an_income_field_is_missing() -> None:
    answers = household()
    answers["income"].update(wages=0, business_income=0)
    del answers["income"]["transfers"]["other"]
    assert issues(answers) == []


# ---------------------------------------------------------------- robustness and derive


@pytest.mark.parametrize(
    "answers",
    [
        {},
        [],
        "text",
        {
            "members": "none",
            "causes": [],
            "income": 5,
            "production": None,
            "survey": {"date": 20260101},
        },
        {
            "members": [None, 3, {"id_number": 620523, "sex": ["male"], "relation": None}],
            "causes": {"main_cause": ["illness"], "other_causes": "illness"},
            "income": {"wages": "9000", "transfers": {"dibao": True}},
            "production": {"cultivated_land": "8", "irrigated_land": 9},
            "survey": {"date": "2026-13-45"},
        },
        {
            "members": [
                {
                    "id_number": "62052319750102001X",
                    "birth_date": "1975-01-02",
                    "sex": "male",
                    "relation": "head",
                }
            ]
        },
    ],
)
def test_rules_skip_what_they_cannot_check_without_raising(answers: Any) -> None:
    for issue in issues(answers):
        assert issue.code in MESSAGES or issue.words


def test_every_message_has_chinese_and_english_for_its_params() -> None:
    answers = household()
    broken = copy.deepcopy(answers)
    broken["members"][1].update(id_number=SPOUSE_ID[:17] + "3", sex="male", relation="head")
    broken["survey"]["date"] = "2027-01-01"
    broken["production"]["irrigated_land"] = 99
    broken["causes"]["other_causes"] = ["illness"]
    broken["income"]["wages"] = 10**7
    found = issues(broken)
    for issue in found:
        for lang in ("zh", "en"):
            assert issue.words[lang] if issue.words else MESSAGES[issue.code][lang].format(
                **issue.params
            )
    assert set(MESSAGES) >= {i.code for i in found if not i.words}
    assert {i.code for i in found if i.words} == {
        "survey.date_in_future",
        "production.irrigated_exceeds_cultivated",
    }


def test_derive_computes_net_and_per_capita_income() -> None:
    assert derive("household", household()) == {
        "net_income": 12000.0,
        "per_capita_income": 4000.0,
        "members": 3,
    }


def test_derive_gives_none_while_an_income_field_is_missing() -> None:
    answers = household()
    del answers["income"]["property_income"]
    assert derive("household", answers) == {
        "net_income": None,
        "per_capita_income": None,
        "members": 3,
    }
    assert derive("household", {}) == {"net_income": None, "per_capita_income": None, "members": 0}


def test_derive_knows_nothing_for_other_forms() -> None:
    assert derive("market_prices", household()) == {}
