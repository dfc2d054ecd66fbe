"""XLSForm workbooks made in the tests with openpyxl: no binary fixtures in the repository.

`workbook` writes sheets of rows (the first row is the header); `village_survey`
is a realistic bilingual village survey as a county office would get it from a
KoboToolbox user: groups, a repeat, select_one and select_multiple, relevance,
constraints and a calculation, with a few things minsheng cannot take.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

Sheet = list[list[Any]]


def workbook(survey: Sheet, choices: Sheet | None = None, settings: Sheet | None = None) -> bytes:
    """An .xlsx file with the sheets given, each a list of rows, its header first."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is None:
            continue
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = [
    "type",
    "name",
    "label::中文 (zh)",
    "label::English (en)",
    "hint::中文 (zh)",
    "hint::English (en)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::中文 (zh)",
    "constraint_message::English (en)",
    "calculation",
    "appearance",
]


def q(
    type_: str,
    name: str,
    zh: str = "",
    en: str = "",
    *,
    hint: tuple[str, str] = ("", ""),
    required: str = "",
    relevant: str = "",
    constraint: str = "",
    message: tuple[str, str] = ("", ""),
    calculation: str = "",
    appearance: str = "",
) -> list[Any]:
    """One survey row in HEADER's order."""
    return [
        type_,
        name,
        zh,
        en,
        *hint,
        required,
        relevant,
        constraint,
        *message,
        calculation,
        appearance,
    ]


# The survey sheet's rows, numbered as Excel numbers them: the header is row 1.
VILLAGE_SURVEY: Sheet = [
    HEADER,
    q("start", "start"),  # 2: metadata, listed
    q("begin_group", "basic", "村基本情况", "Village basics"),  # 3
    q(
        "text",
        "village_name",
        "村名",
        "Village name",
        required="yes",
        constraint="string-length(.) <= 30",
    ),  # 4
    q(
        "integer",
        "households",
        "总户数",
        "Households",
        required="yes",
        constraint=". >= 1 and . <= 5000",
        message=("户数应在1到5000之间", "Between 1 and 5000 households"),
    ),  # 5
    q(
        "integer",
        "poor_households",
        "贫困户数",
        "Poor households",
        required="yes",
        constraint=". >= 0 and . <= ${households}",
        message=("贫困户数不能超过总户数", "Cannot exceed the number of households"),
    ),  # 6
    q(
        "integer",
        "population",
        "户籍人口",
        "Registered population",
        hint=("全村户籍人口数。", "Everyone registered in the village."),
        constraint=". >= 0",
    ),  # 7
    q("calculate", "poor_share", calculation="${poor_households} div ${households} * 100"),  # 8
    q(
        "date",
        "survey_date",
        "调查日期",
        "Survey date",
        required="yes",
        constraint=". <= today()",
        message=("调查日期不能晚于今天", "The survey date cannot be in the future"),
    ),  # 9
    q("select_one terrain", "terrain", "地形", "Terrain", required="yes"),  # 10
    q("geopoint", "location", "村委会位置", "Village office location"),  # 11
    q("end_group", ""),  # 12
    q("begin_group", "infrastructure", "基础设施", "Infrastructure"),  # 13
    q("select_one yes_no", "road_paved", "通硬化路", "Paved road", required="yes"),  # 14
    q(
        "decimal",
        "road_km",
        "待硬化路长",
        "Road still to pave",
        hint=("单位：公里", "In km"),
        relevant="${road_paved} = 'no'",
        constraint=". > 0 and . <= 100",
    ),  # 15
    q("select_one water", "water", "饮水来源", "Drinking water", required="yes"),  # 16
    q(
        "text",
        "water_other",
        "其他水源",
        "Other water source",
        relevant="${water} = 'other'",
        required="yes",
    ),  # 17
    q(
        "select_multiple facilities",
        "facilities",
        "公共设施",
        "Public facilities",
        constraint="count-selected(.) <= 5",
    ),  # 18
    q(
        "integer",
        "clinic_doctors",
        "村医人数",
        "Village doctors",
        relevant="selected(${facilities}, 'clinic')",
        constraint=". >= 0 and . <= 20",
    ),  # 19
    q("image", "office_photo", "村委会照片", "Photo of the village office"),  # 20
    q("end_group", ""),  # 21
    q("begin_repeat", "groups", "村民小组", "Villagers' groups"),  # 22
    q("text", "group_name", "小组名称", "Group name", required="yes"),  # 23
    q(
        "integer", "group_households", "小组户数", "Households in the group", constraint=". >= 0"
    ),  # 24
    q("select_one yes_no", "has_leader", "有组长", "Has a leader"),  # 25
    q(
        "text",
        "leader_phone",
        "组长电话",
        "Leader's phone",
        relevant="${has_leader} = 'yes'",
        constraint="regex(., '^1[3-9]\\d{9}$')",
        message=("请填11位手机号", "An 11-digit mobile number"),
    ),  # 26
    q("end_repeat", ""),  # 27
    q("begin_group", "needs", "主要需求", "Main needs"),  # 28
    q(
        "select_multiple needs", "needs_list", "最急需的项目", "Most urgent needs", required="yes"
    ),  # 29
    q(
        "text",
        "needs_detail",
        "需求说明",
        "About the needs",
        appearance="multiline",
        relevant="count-selected(${needs_list}) > 0",
    ),  # 30
    q(
        "integer",
        "budget",
        "所需资金",
        "Funds needed",
        hint=("单位：万元", "In 10,000 yuan"),
        relevant="selected(${needs_list}, 'road') or selected(${needs_list}, 'water')",
        constraint=". >= 0",
    ),  # 31
    q("note", "thanks", "感谢您的配合！", "Thank you!"),  # 32
    q(
        "text",
        "cadre_remark",
        "干部备注",
        "Cadre's remark",
        relevant="${/data/basic/households} > 100",
    ),  # 33
    q("end_group", ""),  # 34
    q(
        "integer",
        "visits",
        "本年走访次数",
        "Visits this year",
        required="yes",
        constraint=". >= 0 and . <= 365",
    ),  # 35
    q("audio", "interview", "访谈录音", "Interview recording"),  # 36
    q(
        "text",
        "surveyor",
        "调查人",
        "Surveyor",
        required="yes",
        constraint="string-length(.) >= 2 and string-length(.) <= 20",
    ),  # 37
    q(
        "acknowledge", "confirm", "确认以上信息属实", "I confirm the above is true", required="yes"
    ),  # 38
]

VILLAGE_CHOICES: Sheet = [
    ["list_name", "name", "label::中文 (zh)", "label::English (en)"],
    ["terrain", "plain", "平原", "Plain"],
    ["terrain", "hill", "丘陵", "Hills"],
    ["terrain", "mountain", "山区", "Mountains"],
    ["yes_no", "yes", "是", "Yes"],
    ["yes_no", "no", "否", "No"],
    ["water", "tap", "自来水", "Tap water"],
    ["water", "well", "井水", "Well"],
    ["water", "cistern", "水窖", "Cistern"],
    ["water", "other", "其他", "Other"],
    ["facilities", "clinic", "卫生室", "Clinic"],
    ["facilities", "school", "学校", "School"],
    ["facilities", "activity_room", "文化活动室", "Activity room"],
    ["facilities", "shop", "便民店", "Shop"],
    ["needs", "road", "道路", "Roads"],
    ["needs", "water", "饮水", "Water"],
    ["needs", "housing", "住房", "Housing"],
    ["needs", "jobs", "就业", "Jobs"],
]

VILLAGE_SETTINGS: Sheet = [
    ["form_id", "form_title", "version", "default_language", "instance_name"],
    ["village_needs", "村级需求调查表", "2024050101", "中文 (zh)", "concat(${village_name})"],
]


def village_survey() -> bytes:
    return workbook(VILLAGE_SURVEY, VILLAGE_CHOICES, VILLAGE_SETTINGS)
