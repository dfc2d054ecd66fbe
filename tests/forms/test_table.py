from __future__ import annotations

import copy
from datetime import date
from typing import Any

from forms.schema import shipped_forms
from forms.table import ANSWERS, converter, form_table, items, merge_tables


def _q(title: str, en: str, **schema: Any) -> dict[str, Any]:
    return {"title": title, "description": "", "x-en": {"title": en, "description": ""}, **schema}


def _option(value: str, title: str, en: str) -> dict[str, Any]:
    return _q(title, en, const=value)


FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    **_q("走访", "Visit"),
    "properties": {
        "visit": _q(
            "走访信息",
            "Visit",
            type="object",
            properties={
                "day": _q("日期", "Day", type="string", format="date"),
                "water": _q(
                    "水",
                    "Water",
                    type="object",
                    properties={"other": _q("其他", "Other", type="string")},
                ),
                "power": _q(
                    "电",
                    "Power",
                    type="object",
                    properties={"other": _q("其他", "Other", type="string")},
                ),
                "ok": _q("满意", "Satisfied", type="boolean"),
            },
            additionalProperties=False,
        ),
        "plots": _q(
            "地块",
            "Plots",
            type="array",
            items=_q(
                "地块",
                "Plot",
                type="object",
                properties={
                    "area": _q("面积", "Area", type="number"),
                    "crop": _q(
                        "作物",
                        "Crop",
                        type="string",
                        oneOf=[_option("wheat", "小麦", "Wheat"), _option("corn", "玉米", "Corn")],
                    ),
                    "pests": _q(
                        "病虫害",
                        "Pests",
                        type="array",
                        items={
                            "type": "string",
                            "oneOf": [
                                _option("aphid", "蚜虫", "Aphid"),
                                _option("rust", "锈病", "Rust"),
                            ],
                        },
                    ),
                    "harvests": _q(
                        "收成",
                        "Harvests",
                        type="array",
                        items=_q(
                            "收成",
                            "Harvest",
                            type="object",
                            properties={"kg": _q("斤", "Jin", type="integer")},
                        ),
                    ),
                },
            ),
        ),
    },
}


def test_questions_outside_groups_are_columns_named_by_their_path() -> None:
    table = form_table(FORM)
    answers = table.sheet(ANSWERS)
    assert answers is not None
    assert [c.name for c in answers.columns] == [
        "visit.day",
        "visit.water.other",
        "visit.power.other",
        "visit.ok",
    ]
    assert [c.kind for c in answers.columns] == ["date", "text", "text", "boolean"]


def test_a_shared_label_takes_its_groups_labels() -> None:
    answers = form_table(FORM).sheet(ANSWERS)
    assert answers is not None
    assert [c.label for c in answers.columns] == ["日期", "水·其他", "电·其他", "满意"]
    english = form_table(FORM, "en").sheet(ANSWERS)
    assert english is not None
    assert [c.label for c in english.columns][1:3] == ["Water·Other", "Power·Other"]


def test_each_repeat_group_is_a_sheet_after_the_group_around_it() -> None:
    table = form_table(FORM)
    assert [(s.name, s.label, s.groups) for s in table.sheets] == [
        (ANSWERS, "答案", ()),
        ("plots", "地块", (("plots",),)),
        ("plots.harvests", "收成", (("plots",), ("harvests",))),
    ]
    plots = table.sheet("plots")
    assert plots is not None
    assert [(c.name, c.kind) for c in plots.columns] == [
        ("area", "number"),
        ("crop", "choice"),
        ("pests", "choices"),
    ]


def test_items_of_a_group_inside_a_group_carry_both_indexes() -> None:
    answers = {"plots": [{"harvests": [{"kg": 1}, {"kg": 2}]}, {}, {"harvests": [{"kg": 3}]}]}
    found = list(items(answers, (("plots",), ("harvests",))))
    assert found == [((0, 0), {"kg": 1}), ((0, 1), {"kg": 2}), ((2, 0), {"kg": 3})]
    assert list(items({}, (("plots",),))) == []


def test_values_are_labels_or_codes_and_keep_their_type() -> None:
    plots = form_table(FORM).sheet("plots")
    visit = form_table(FORM).sheet(ANSWERS)
    assert plots is not None and visit is not None
    crop, pests = plots.columns[1], plots.columns[2]
    day, ok = visit.columns[0], visit.columns[3]
    assert converter(crop, codes=False)("corn") == "玉米"
    assert converter(crop, codes=True)("corn") == "corn"
    assert converter(crop, codes=False)("barley") == "barley"  # not an option: kept
    assert converter(pests, codes=False)(["aphid", "rust"]) == "蚜虫、锈病"
    assert converter(pests, codes=True)(["aphid", "rust"]) == "aphid;rust"
    english = form_table(FORM, "en").sheet("plots")
    assert english is not None
    assert converter(english.columns[2], codes=False, lang="en")(["aphid", "rust"]) == "Aphid; Rust"
    assert converter(day, codes=True)("2025-03-01") == date(2025, 3, 1)
    assert converter(day, codes=True)("2025-02-30") == "2025-02-30"
    assert converter(ok, codes=False)(True) == "是" and converter(ok, codes=True)(False) is False
    assert converter(plots.columns[0], codes=True)(12.5) == 12.5


def test_versions_merge_newest_first_with_every_column_of_each() -> None:
    older = copy.deepcopy(FORM)
    older["properties"]["visit"]["properties"]["weather"] = _q("天气", "Weather", type="string")
    older["properties"]["plots"]["items"]["properties"]["crop"]["oneOf"][0]["title"] = "麦子"
    newer = copy.deepcopy(FORM)
    del newer["properties"]["visit"]["properties"]["ok"]
    merged = merge_tables([form_table(newer), form_table(older)])
    answers = merged.sheet(ANSWERS)
    plots = merged.sheet("plots")
    assert answers is not None and plots is not None
    assert [c.name for c in answers.columns] == [
        "visit.day",
        "visit.water.other",
        "visit.power.other",
        "visit.ok",
        "visit.weather",
    ]
    assert plots.columns[1].options == {"wheat": "小麦", "corn": "玉米"}  # the newest label


def test_the_household_form_has_its_members_and_needs_as_sheets() -> None:
    table = form_table(shipped_forms()["household"])
    assert [s.name for s in table.sheets] == [ANSWERS, "members", "needs"]
    labels = [c.label for s in table.sheets for c in s.columns]
    assert all(labels), "every column has a header"
    for sheet in table.sheets:
        assert len({c.label for c in sheet.columns}) == len(sheet.columns)
