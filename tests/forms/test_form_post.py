"""A plain form POST back to answers (forms/form_post.py)."""

from __future__ import annotations

from datetime import date

from forms.form_post import answers_from_form, prune_hidden
from forms.validate import check_answers
from tests.conftest import form_pairs


def test_form_post_round_trips_a_valid_household(schema, household) -> None:
    pairs = [*form_pairs(household), ("/living/dropout", ""), ("_id", "x")]
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


def test_a_far_index_does_not_conjure_empty_members(schema, household) -> None:
    pairs = [*form_pairs(household), ("/members/9999/name", "x"), ("/members/30/name", "y")]
    answers = answers_from_form(schema, pairs)
    # One past maxItems (20), so the schema still reports "at most 20".
    assert len(answers["members"]) == schema["properties"]["members"]["maxItems"] + 1


def test_numbers_a_browser_cannot_read_stay_text_for_the_schema_to_refuse(schema) -> None:
    pairs = [("/income/wages", "8500-"), ("/income/business_income", "36..000")]
    answers = answers_from_form(schema, pairs)
    assert answers["income"]["wages"] == "8500-"
    assert answers["income"]["business_income"] == "36..000"
    paths = {i.path for i in check_answers("household", schema, answers, date.today())}
    assert {"/income/wages", "/income/business_income"} <= paths


def test_codes_and_full_width_digits_are_read_as_typed_on_a_chinese_keyboard(schema) -> None:
    answers = answers_from_form(
        schema,
        [
            ("/members/0/id_number", " ６２０５２３ 19750102 123x "),
            ("/household/village_code", "６２０５２３１０２２０１"),
            ("/income/wages", "８５００"),
            ("/production/cultivated_land", "３．５"),
        ],
    )
    assert answers["members"][0]["id_number"] == "62052319750102123X"
    assert answers["household"]["village_code"] == "620523102201"
    assert answers["income"]["wages"] == 8500
    assert answers["production"]["cultivated_land"] == 3.5
