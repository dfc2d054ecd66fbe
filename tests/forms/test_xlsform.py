"""An XLSForm workbook as a minsheng form: what maps, what is listed by row, what is refused."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from forms import xlsform_sheets
from forms.render import build_page, render_template
from forms.schema import parse_schema
from forms.validate import schema_issues
from forms.xlsform import Imported, Note, XLSFormError, import_xlsform, schema_json
from tests.forms.xlsform_files import (
    HEADER,
    VILLAGE_CHOICES,
    VILLAGE_SURVEY,
    q,
    village_survey,
    workbook,
)


@pytest.fixture(scope="module")
def village() -> Imported:
    return import_xlsform(village_survey())


def _notes(imported: Imported) -> list[tuple[str, int | None, str | None]]:
    return [(n.sheet, n.row, n.column) for n in imported.notes]


def _note(imported: Imported, sheet: str, row: int | None, column: str | None = None) -> Note:
    found = [n for n in imported.notes if (n.sheet, n.row) == (sheet, row)]
    found = [n for n in found if column is None or n.column == column]
    assert found, f"no note at {sheet} {row} {column}: {_notes(imported)}"
    return found[0]


def _small(*rows: list[Any], choices: list[list[Any]] | None = None) -> Imported:
    return import_xlsform(workbook([HEADER, *rows], choices or VILLAGE_CHOICES))


# ---------------------------------------------------------------- the village survey


def test_the_village_survey_passes_the_form_check(village: Imported) -> None:
    assert parse_schema(schema_json(village.schema), "village_needs.json") == village.schema


def test_settings_give_the_id_title_and_version(village: Imported) -> None:
    schema = village.schema
    assert village.form_id == "village_needs"
    assert schema["title"] == "村级需求调查表"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "version 2024050101" in schema["$comment"]


def test_groups_are_pages_and_loose_questions_make_a_page(village: Imported) -> None:
    assert list(village.schema["properties"]) == [
        "basic",
        "infrastructure",
        "groups",
        "needs",
        "part_5",
    ]
    assert village.schema["required"] == ["basic", "infrastructure", "needs", "part_5"]
    assert list(village.schema["properties"]["part_5"]["properties"]) == [
        "visits",
        "surveyor",
        "confirm",
    ]


def test_labels_and_hints_in_both_languages(village: Imported) -> None:
    population = village.schema["properties"]["basic"]["properties"]["population"]
    assert population["title"] == "户籍人口"
    assert population["description"] == "全村户籍人口数。"
    assert population["x-en"] == {
        "title": "Registered population",
        "description": "Everyone registered in the village.",
    }


def test_choices_keep_both_labels_as_household_json_does(village: Imported) -> None:
    terrain = village.schema["properties"]["basic"]["properties"]["terrain"]
    assert terrain["type"] == "string"
    assert terrain["oneOf"][0] == {"const": "plain", "title": "平原", "x-en": {"title": "Plain"}}
    facilities = village.schema["properties"]["infrastructure"]["properties"]["facilities"]
    assert facilities["type"] == "array" and facilities["uniqueItems"] is True
    assert [o["const"] for o in facilities["items"]["oneOf"]] == [
        "clinic",
        "school",
        "activity_room",
        "shop",
    ]
    assert facilities["maxItems"] == 5  # count-selected(.) <= 5


def test_required_and_plain_bounds(village: Imported) -> None:
    basic = village.schema["properties"]["basic"]
    assert basic["required"] == [
        "village_name",
        "households",
        "poor_households",
        "survey_date",
        "terrain",
    ]
    assert basic["properties"]["households"]["minimum"] == 1
    assert basic["properties"]["households"]["maximum"] == 5000
    assert basic["properties"]["village_name"]["maxLength"] == 30
    surveyor = village.schema["properties"]["part_5"]["properties"]["surveyor"]
    assert (surveyor["minLength"], surveyor["maxLength"]) == (2, 20)


def test_cross_field_constraints_become_x_rules_with_their_messages(village: Imported) -> None:
    rules = village.schema["properties"]["basic"]["x-rules"]
    assert rules[0] == {
        "id": "poor_households_constraint",
        "rule": {
            "or": [
                {"==": [{"var": "poor_households"}, None]},
                {"<=": [{"var": "poor_households"}, {"var": "households"}]},
            ]
        },
        "field": "poor_households",
        "message": {"zh": "贫困户数不能超过总户数", "en": "Cannot exceed the number of households"},
    }
    assert rules[1]["rule"]["or"][1] == {"<=": [{"var": "survey_date"}, {"today": []}]}
    assert village.schema["properties"]["basic"]["properties"]["poor_households"]["minimum"] == 0


def test_a_calculation_is_x_calculate_read_only(village: Imported) -> None:
    share = village.schema["properties"]["basic"]["properties"]["poor_share"]
    assert share["type"] == "number" and share["readOnly"] is True
    assert share["x-calculate"] == {
        "*": [{"/": [{"var": "poor_households"}, {"var": "households"}]}, 100]
    }


def test_relevance_becomes_conditions_in_the_group(village: Imported) -> None:
    infrastructure = village.schema["properties"]["infrastructure"]
    assert infrastructure["unevaluatedProperties"] is False
    assert "additionalProperties" not in infrastructure
    road, water, clinic = infrastructure["allOf"]
    assert road["if"] == {
        "properties": {"road_paved": {"const": False}},
        "required": ["road_paved"],
    }
    assert road["then"]["properties"]["road_km"]["exclusiveMinimum"] == 0
    assert water["then"]["required"] == ["water_other"]  # required only when asked
    assert clinic["if"]["properties"]["facilities"] == {"contains": {"const": "clinic"}}
    budget = village.schema["properties"]["needs"]["allOf"][1]
    assert [b["properties"]["needs_list"] for b in budget["if"]["anyOf"]] == [
        {"contains": {"const": "road"}},
        {"contains": {"const": "water"}},
    ]


def test_yes_no_lists_become_booleans(village: Imported) -> None:
    paved = village.schema["properties"]["infrastructure"]["properties"]["road_paved"]
    assert paved["type"] == "boolean" and "oneOf" not in paved
    assert "yes/no question" in _note(village, "survey", 14, "type").en


def test_a_repeat_is_an_array_of_objects_with_its_own_conditions(village: Imported) -> None:
    groups = village.schema["properties"]["groups"]
    assert groups["type"] == "array" and groups["items"]["type"] == "object"
    assert groups["items"]["required"] == ["group_name"]
    (leader,) = groups["items"]["allOf"]
    assert leader["if"] == {
        "properties": {"has_leader": {"const": True}},
        "required": ["has_leader"],
    }
    assert leader["then"]["properties"]["leader_phone"]["pattern"] == "^1[3-9][0-9]{9}$"


def test_geopoint_and_image_use_the_phone_widgets(village: Imported) -> None:
    basic = village.schema["properties"]["basic"]["properties"]
    assert basic["location"]["x-widget"] == "location"
    assert set(basic["location"]["properties"]) == {"lat", "lon", "accuracy_m", "at"}
    photo = village.schema["properties"]["infrastructure"]["properties"]["office_photo"]
    assert photo["x-widget"] == "photo" and photo["type"] == "string"


def test_a_required_acknowledge_must_be_ticked(village: Imported) -> None:
    (rule,) = village.schema["properties"]["part_5"]["x-rules"]
    assert rule["field"] == "confirm"
    assert rule["rule"]["or"][1] == {"==": [{"var": "confirm"}, True]}
    assert rule["message"]["zh"] == "请确认「确认以上信息属实」"


def test_a_note_joins_its_group_description(village: Imported) -> None:
    needs = village.schema["properties"]["needs"]
    assert needs["description"] == "感谢您的配合！"
    assert needs["x-en"]["description"] == "Thank you!"


def test_everything_not_converted_is_listed_by_row(village: Imported) -> None:
    assert _notes(village) == [
        ("survey", 2, "type"),  # start: the server records when
        ("survey", 5, "constraint_message"),  # a bound has the standard message
        ("survey", 8, "label"),  # a calculation without a label
        ("survey", 14, "type"),  # yes_no made boolean
        ("survey", 25, "type"),
        ("survey", 26, "constraint_message"),
        ("survey", 32, None),  # the note went into the description
        ("survey", 33, "relevant"),  # an XPath path
        ("survey", 35, None),  # the loose questions' page
        ("survey", 36, "type"),  # audio
        ("settings", 2, "instance_name"),
    ]
    remark = _note(village, "survey", 33, "relevant")
    assert "${/data/basic/households} > 100" in remark.en and "总是显示" in remark.zh
    assert remark.text("zh").startswith("survey 表第 33 行「relevant」：")
    assert remark.text("en").startswith("survey row 33, relevant: ")
    assert "不能小于 1；不能大于 5000" in _note(village, "survey", 5).zh


def test_the_imported_form_renders_and_a_good_answer_passes(village: Imported) -> None:
    page = build_page(village.schema, "en")
    assert [p.label for p in page.pages] == [
        "Village basics",
        "Infrastructure",
        "Villagers' groups",
        "Main needs",
        "Part 5",
    ]
    html = render_template(
        "form.html",
        lang="zh",
        page=build_page(village.schema, "zh"),
        data={},
        form_id="village_needs",
        version=1,
        action="/f/village_needs/v/1",
        submission_id="id",
        notice="",
        asset=lambda n: f"/static/{n}",
        switch_url="",
    )
    assert "待硬化路长" in html and 'data-if="' in html
    answers: dict[str, Any] = {
        "basic": {
            "village_name": "石家窑村",
            "households": 120,
            "poor_households": 30,
            "survey_date": "2024-05-01",
            "terrain": "hill",
        },
        "infrastructure": {"road_paved": False, "road_km": 2.5, "water": "tap"},
        "groups": [{"group_name": "一组", "has_leader": True, "leader_phone": "13912345678"}],
        "needs": {"needs_list": ["road"], "budget": 40},
        "part_5": {"visits": 4, "surveyor": "王芳", "confirm": True},
    }
    assert schema_issues(village.schema, answers) == []
    answers["infrastructure"]["road_km"] = 0
    answers["groups"][0]["leader_phone"] = "12345"
    assert {i.path for i in schema_issues(village.schema, answers)} == {
        "/infrastructure/road_km",
        "/groups/0/leader_phone",
    }


# ---------------------------------------------------------------- columns and languages


def test_plain_label_takes_the_default_language_and_other_languages_are_listed() -> None:
    imported = import_xlsform(
        workbook(
            [
                ["type", "name", "label", "label::English", "label::Français (fr)", "hint"],
                ["text", "name", "姓名", "Name", "Nom", "与户口簿一致"],
            ],
            None,
            [["default_language"], ["Chinese (zh)"]],
        )
    )
    section = imported.schema["properties"]["part_1"]
    assert section["properties"]["name"]["title"] == "姓名"
    assert section["properties"]["name"]["x-en"] == {"title": "Name"}
    assert section["properties"]["name"]["description"] == "与户口簿一致"
    assert ("survey", None, "label::Français (fr)") in _notes(imported)


def test_a_plain_label_without_default_language_is_read_by_its_content() -> None:
    imported = import_xlsform(workbook([["type", "name", "label"], ["integer", "age", "Age"]]))
    age = imported.schema["properties"]["part_1"]["properties"]["age"]
    assert age["title"] == "Age" and age["x-en"] == {"title": "Age"}
    assert ("survey", None, "label") in _notes(imported)  # no Chinese label column


def test_label_columns_spelled_as_kobo_and_odk_do() -> None:
    for zh_header, en_header in (
        ("label::中文 (zh)", "label::English (en)"),
        ("label::Chinese", "label::English"),
        ("label::zh", "label::en"),
        ("label::汉语", "label::英文"),
    ):
        imported = import_xlsform(
            workbook([["type", "name", zh_header, en_header], ["text", "a", "甲", "A"]])
        )
        a = imported.schema["properties"]["part_1"]["properties"]["a"]
        assert (a["title"], a["x-en"]["title"]) == ("甲", "A"), zh_header


def test_unknown_and_unconverted_columns_are_listed_per_cell() -> None:
    imported = import_xlsform(
        workbook(
            [
                ["type", "name", "label", "required_message", "media::image", "colour"],
                ["text", "a", "甲", "必须填", "a.png", "red"],
                ["text", "b", "乙"],
            ]
        )
    )
    assert [(n.row, n.column) for n in imported.notes if n.row and n.column] == [
        (2, "required_message"),
        (2, "media::image"),
        (2, "colour"),
    ]


def test_or_other_adds_the_option_and_a_question_asked_when_it_is_chosen() -> None:
    imported = _small(q("select_one terrain or_other", "terrain", "地形", "Terrain"))
    section = imported.schema["properties"]["part_1"]
    assert section["properties"]["terrain"]["oneOf"][-1]["const"] == "other"
    (other,) = section["allOf"]
    assert other["if"] == {"properties": {"terrain": {"const": "other"}}, "required": ["terrain"]}
    assert list(other["then"]["properties"]) == ["terrain_other"]


def test_unconvertible_relevance_keeps_the_question_always_asked_and_optional() -> None:
    imported = _small(
        q("integer", "size", "人口", "Size"),
        q("begin_group", "more", "更多", "More"),
        q("integer", "rooms", "房间", "Rooms", required="yes", relevant="${size} > 2"),
        q("end_group", ""),
    )
    more = imported.schema["properties"]["more"]
    assert "rooms" in more["properties"] and "required" not in more
    assert [(n.row, n.column) for n in imported.notes if n.row == 4] == [
        (4, "relevant"),
        (4, "required"),
    ]
    parse_schema(schema_json(imported.schema), "x")


def test_a_relevant_group_is_a_conditional_page() -> None:
    imported = _small(
        q("begin_group", "head", "户主", "Head"),
        q("select_one yes_no", "poor", "贫困户", "Poor", required="yes"),
        q("end_group", ""),
        q("begin_group", "causes", "致贫原因", "Causes", relevant="${poor} = 'yes'"),
        q("text", "main", "主要原因", "Main cause", required="yes"),
        q("end_group", ""),
    )
    schema = imported.schema
    assert list(schema["properties"]) == ["head"]
    assert schema["allOf"][0]["if"] == {
        "properties": {"head": {"properties": {"poor": {"const": True}}, "required": ["poor"]}},
        "required": ["head"],
    }
    assert schema["allOf"][0]["then"]["required"] == ["causes"]
    parse_schema(schema_json(schema), "x")
    # A page's condition carries over whole: the phone passes over the page while it fails.
    where = [(n.sheet, n.row, n.column) for n in imported.notes]
    assert ("survey", 5, "relevant") not in where
    assert schema_issues(schema, {"head": {"poor": False}}) == []
    assert [i.path for i in schema_issues(schema, {"head": {"poor": True}})] == ["/causes"]


def test_types_without_a_direct_equivalent() -> None:
    imported = _small(
        q("datetime", "when", "时间", "When"),
        q("time", "at", "时刻", "At"),
        q("range", "score", "评分", "Score"),
        q("barcode", "code", "条码", "Code"),
        q("geotrace", "path", "路线", "Path"),
        q("select_one_from_file places.csv", "place", "地点", "Place"),
        q("deviceid", "device"),
    )
    props = imported.schema["properties"]["part_1"]["properties"]
    assert list(props) == ["when", "at", "score", "code"]
    assert props["when"]["format"] == "date-time" and props["at"]["format"] == "time"
    assert props["score"] == {
        "type": "integer",
        "title": "评分",
        "x-en": {"title": "Score"},
        "minimum": 1,
        "maximum": 10,
    }
    listed = [(n.row, n.column) for n in imported.notes if n.sheet == "survey" and n.column]
    assert listed == [(5, "type"), (6, "type"), (7, "type"), (8, "type")]  # barcode on
    parse_schema(schema_json(imported.schema), "x")  # the formats pass the check


def test_defaults_appearances_and_read_only() -> None:
    imported = import_xlsform(
        workbook(
            [
                ["type", "name", "label", "default", "appearance", "read_only"],
                ["integer", "n", "数量", "3", "", ""],
                ["select_one terrain", "t", "地形", "hill", "minimal", ""],
                ["text", "c", "备注", "${n}", "multiline", "yes"],
                ["date", "d", "日期", "", "month-year", ""],
            ],
            VILLAGE_CHOICES,
        )
    )
    props = imported.schema["properties"]["part_1"]["properties"]
    assert props["n"]["default"] == 3
    assert props["t"]["default"] == "hill" and props["t"]["x-widget"] == "select"
    assert props["c"]["x-widget"] == "textarea" and props["c"]["readOnly"] is True
    assert "default" not in props["c"]
    assert [(n.row, n.column) for n in imported.notes if n.sheet == "survey" and n.column] == [
        (None, "label"),  # no English label column
        (4, "default"),
        (5, "appearance"),
    ]


def test_a_repeat_inside_a_repeat_is_listed_with_its_rows() -> None:
    imported = _small(
        q("begin_repeat", "members", "成员", "Members"),
        q("text", "name", "姓名", "Name"),
        q("begin_repeat", "jobs", "工作", "Jobs"),
        q("text", "job", "工作", "Job"),
        q("end_repeat", ""),
        q("end_repeat", ""),
    )
    items = imported.schema["properties"]["members"]["items"]
    assert list(items["properties"]) == ["name"]
    assert "rows 4–6" in _note(imported, "survey", 4, "type").en
    parse_schema(schema_json(imported.schema), "x")


def test_unused_lists_and_extra_sheets_are_listed() -> None:
    imported = import_xlsform(
        workbook(
            [["type", "name", "label"], ["text", "a", "甲"]],
            [["list_name", "name", "label", "district"], ["l", "x", "某", "d1"]],
        )
    )
    assert ("choices", 2, "district") in _notes(imported)
    assert ("choices", 2, "list_name") in _notes(imported)


# ---------------------------------------------------------------- refused workbooks


def _refused(data: bytes) -> XLSFormError:
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data)
    return caught.value


def test_not_an_xlsx_file() -> None:
    assert "not an Excel workbook" in _refused(b"type,name\ntext,a\n").en
    assert ".xls" in _refused(b"\xd0\xcf\x11\xe0" + b"\0" * 100).en
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert "not an Excel workbook" in _refused(out.getvalue()).zh + _refused(out.getvalue()).en


def test_no_survey_sheet() -> None:
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    assert "no survey sheet" in _refused(out.getvalue()).en


def test_a_name_twice_in_one_group() -> None:
    error = _refused(workbook([HEADER, q("text", "a", "甲"), q("integer", "a", "乙")]))
    assert (error.sheet, error.row, error.column) == ("survey", 3, "name")
    assert error.text("zh").startswith("survey 表第 3 行「name」：")


def test_an_unknown_list() -> None:
    error = _refused(workbook([HEADER, q("select_one nope", "a", "甲")], VILLAGE_CHOICES))
    assert (error.row, error.column) == (2, "type") and "nope" in error.en


def test_an_unclosed_group_and_an_end_without_begin() -> None:
    error = _refused(workbook([HEADER, q("begin_group", "g", "组"), q("text", "a", "甲")]))
    assert error.row == 2 and "never closed" in error.en
    error = _refused(workbook([HEADER, q("text", "a", "甲"), q("end_group", "")]))
    assert error.row == 3 and "without its begin_group" in error.en
    error = _refused(
        workbook([HEADER, q("begin_group", "g", "组"), q("text", "a", "甲"), q("end_repeat", "")])
    )
    assert error.row == 4


def test_a_question_without_a_name_and_a_duplicate_choice() -> None:
    assert _refused(workbook([HEADER, q("text", "", "甲")])).column == "name"
    error = _refused(
        workbook(
            [HEADER, q("select_one l", "a", "甲")],
            [["list_name", "name", "label"], ["l", "x", "某"], ["l", "x", "某"]],
        )
    )
    assert (error.sheet, error.row) == ("choices", 3)


def test_bounds_are_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsform_sheets, "MAX_FILE_BYTES", 1000)
    assert "over the limit" in _refused(village_survey()).en
    monkeypatch.setattr(xlsform_sheets, "MAX_FILE_BYTES", 5_000_000)
    monkeypatch.setattr(xlsform_sheets, "MAX_SURVEY_ROWS", 10)
    error = _refused(village_survey())
    assert error.sheet == "survey" and "more than 10 rows" in error.en
    monkeypatch.setattr(xlsform_sheets, "MAX_UNPACKED_BYTES", 1000)
    assert "unpacks to" in _refused(village_survey()).en


def test_too_many_columns_is_refused() -> None:
    header = HEADER + [f"extra{i}" for i in range(xlsform_sheets.MAX_COLUMNS)]
    error = _refused(workbook([header, q("text", "a", "甲")]))
    assert "columns" in error.en and error.row == 1


def test_the_survey_rows_stay_as_the_fixture_numbers_them() -> None:
    # The assertions above name rows by number: row 33 is the one with an XPath path.
    assert VILLAGE_SURVEY[32][1] == "cadre_remark"


def test_a_notes_condition_and_an_answer_in_a_label_are_listed() -> None:
    imported = _small(
        q("text", "name", "姓名", "Name"),
        q("note", "hello", "您好，${name}", "Hello, ${name}", relevant="${name} != ''"),
    )
    section = imported.schema["properties"]["part_1"]
    assert section["description"] == "您好，${name}"
    assert [(n.row, n.column) for n in imported.notes if n.row == 3 and n.column] == [
        (3, "relevant"),
        (3, "label"),
    ]


def test_a_constraint_on_a_dotted_name_is_listed_not_guessed() -> None:
    imported = _small(
        q("integer", "a.b", "甲", "A"),
        q("integer", "c", "乙", "C", constraint=". <= ${a.b}"),
    )
    assert "x-rules" not in imported.schema["properties"]["part_1"]
    assert "dot" in _note(imported, "survey", 3, "constraint").en


def test_a_sheet_xlsform_does_not_read_is_listed_and_not_read() -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "survey"
    first.append(["type", "name", "label"])
    first.append(["text", "a", "甲"])
    data_sheet = book.create_sheet("村民名单")
    for number in range(500):
        data_sheet.append([number, "someone"])
    out = io.BytesIO()
    book.save(out)
    imported = import_xlsform(out.getvalue())
    assert ("村民名单", None, None) in _notes(imported)


def test_columns_a_row_of_its_type_does_not_use_are_listed() -> None:
    imported = import_xlsform(
        workbook(
            [
                ["type", "name", "label", "required", "calculation"],
                ["begin_group", "g", "组", "yes", ""],
                ["integer", "n", "数", "", "1 + 1"],
                ["end_group", "", "", "", ""],
            ]
        )
    )
    listed = {(n.row, n.column): n.en for n in imported.notes if n.row}
    assert "does not use it" in listed[(2, "required")]
    assert "computed default" in listed[(3, "calculation")]
    assert "x-calculate" not in imported.schema["properties"]["g"]["properties"]["n"]


def test_kobo_columns_rows_without_type_and_choices_from_a_repeat() -> None:
    imported = import_xlsform(
        workbook(
            [
                ["type", "name", "label", "$kuid", ""],
                ["begin_repeat", "members", "成员", "a1", ""],
                ["text", "name", "姓名", "b2", ""],
                ["end_repeat", "", "", "c3", ""],
                ["select_one ${name}", "head", "户主", "d4", ""],
                ["", "stray", "", "", ""],
                ["integer", "n", "数", "", "7"],
            ],
            [["list_name", "name", "label", "$kuid"], ["unused", "x", "某", "k1"]],
        )
    )
    listed = [(n.sheet, n.row, n.column) for n in imported.notes]
    assert ("survey", None, "$kuid") in listed and ("choices", None, "$kuid") in listed
    assert not any(column == "$kuid" and row for _, row, column in listed)  # once, not per row
    assert ("survey", 5, "type") in listed  # choices from a repeat's answers
    assert ("survey", 6, "type") in listed  # a row without a type
    assert ("survey", 7, "#5") in listed  # a value under no header
    assert "head" not in str(imported.schema)


def test_notes_before_the_first_page_are_the_forms_description() -> None:
    imported = _small(
        q("note", "intro", "请如实填写。", "Answer truthfully."),
        q("begin_group", "g", "组", "Group"),
        q("text", "a", "甲", "A"),
        q("end_group", ""),
    )
    schema = imported.schema
    assert list(schema["properties"]) == ["g"]
    assert schema["description"] == "请如实填写。"
    assert schema["x-en"]["description"] == "Answer truthfully."
    assert list(schema)[:5] == ["$schema", "title", "x-en", "$comment", "description"]
    parse_schema(schema_json(schema), "x")
