"""Importing the household roster (建档立卡户) as the national system exports it.

The export has one row per person, grouped by household (户编号): the village
(by code, or by the names 省/市/县/乡镇/行政村), the group, the person's name,
ID number, relation to the head and sex, and the household's 贫困户属性,
脱贫状态 and phone repeated on its rows. This module builds one roster
household per 户编号 and checks every line; a household with any bad line is
refused whole, so no household is stored with members missing. No I/O here:
the villages known come in as a `PlaceIndex`.

The roster's category follows from 脱贫状态, else from 贫困户属性 (see
`category_of`). ID numbers are trimmed, full-width digits made ASCII and a
lower-case x made X, then checked (18 characters, a real birth date, the
GB 11643 check digit).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from forms.rules import id_number_check_digit, parse_id_number
from server.households import Member
from server.place_import import PlaceIndex, name_key
from server.roster_csv import Column, Problem, Row, Table, ascii_digits, read_table

# fmt: off
HOUSEHOLD_COLUMNS = (
    Column("province_name", "省", "province", ("省份", "省名称", "省(区、市)")),
    Column("city_name", "市", "city", ("市州", "地市", "市(州)", "州市", "市名称")),
    Column("county_name", "县", "county", ("县区", "区县", "县(市、区)", "县市区", "县名称")),
    Column("township_name", "乡镇", "township", ("乡(镇)", "乡镇(街道)", "乡", "镇", "乡镇名称")),
    Column("village_name", "行政村", "village", ("村", "村名", "村名称", "行政村名称", "村委会")),
    Column("village_code", "村代码", "village code", ("行政村代码", "村级代码", "区划代码",
           "行政区划代码", "统计用区划代码", "village_code")),
    Column("group", "村民小组", "group", ("组", "小组", "社", "组别", "村民小组(社)", "group")),
    Column("roster_no", "户编号", "household number", ("户号", "户码", "家庭编号", "roster_no")),
    Column("person_no", "人编号", "person number", ("人员编号", "个人编号", "成员编号")),
    Column("name", "姓名", "name", ("名字", "成员姓名", "name")),
    Column("id_number", "证件号码", "ID number", ("身份证号码", "身份证号", "公民身份号码",
           "身份证件号码", "证件号", "id_number")),
    Column("relation", "与户主关系", "relation to head", ("与户主的关系", "家庭关系", "relation")),
    Column("sex", "性别", "sex", ("sex",)),
    Column("attribute", "贫困户属性", "poor household type", ("贫困属性", "户属性",
           "贫困户类型", "户类型")),
    Column("status", "脱贫状态", "poverty status", ("脱贫情况", "贫困状态", "是否脱贫")),
    Column("phone", "联系电话", "phone", ("电话", "手机号", "手机号码", "联系方式",
           "户主联系电话", "phone")),
    *(Column(f"ignored_{i}", zh, en, aliases, kept=False) for i, (zh, en, aliases) in enumerate((
        ("序号", "row number", ("编号",)),
        ("民族", "ethnicity", ()),
        ("文化程度", "education", ()),
        ("在校生状况", "schooling", ("在校生情况", "在校情况")),
        ("健康状况", "health", ()),
        ("劳动技能", "labour skill", ()),
        ("务工状况", "migrant work", ("务工情况", "务工时间", "务工地点")),
        ("脱贫年度", "year out of poverty", ("脱贫年份", "计划脱贫年度", "脱贫时间")),
        ("主要致贫原因", "main cause of poverty", ("致贫原因",)),
        ("其他致贫原因", "other causes", ()),
        ("帮扶责任人", "responsible cadre", ("帮扶人", "帮扶干部")),
        ("帮扶单位", "pairing unit", ("帮扶责任单位",)),
        ("出生日期", "birth date", ("出生年月",)),
        ("年龄", "age", ()),
        ("证件类型", "ID type", ()),
        ("家庭人口", "household size", ("家庭人口数", "人口数", "户人数", "家庭人数")),
        ("户主姓名", "head's name", ()),
        ("识别标准", "identification standard", ()),
        ("县代码", "county code", ("乡镇代码",)),
        ("备注", "note", ()),
    ))),
)
# fmt: on
REQUIRED = (
    ("roster_no",),
    ("name",),
    ("relation",),
    ("village_code", "village_name"),
    ("status", "attribute"),
)
HOUSEHOLD_KEYS = (
    "village_code",
    "province_name",
    "city_name",
    "county_name",
    "township_name",
    "village_name",
    "group",
    "attribute",
    "status",
)

# 与户主关系 as the national system writes it (a leading 之 is dropped first), as the
# roster's relation codes. In-laws of the head other than a child's spouse are "other".
_RELATIONS = {
    "head": ("户主", "本人"),
    "spouse": ("配偶", "妻", "妻子", "夫", "丈夫"),
    "son": ("子", "儿子", "长子", "次子", "三子", "四子", "独生子", "养子", "继子"),
    "daughter": ("女", "女儿", "长女", "次女", "三女", "四女", "独生女", "养女", "继女"),
    "daughter_in_law": ("儿媳", "媳妇", "儿媳妇"),
    "son_in_law": ("女婿",),
    "grandchild": ("孙子", "孙女", "外孙子", "外孙女", "外孙", "孙子女", "外孙子女"),
    "parent": ("父", "母", "父亲", "母亲", "父母"),
    "grandparent": ("祖父", "祖母", "外祖父", "外祖母", "祖父母", "外祖父母"),
    "other": ("其他", "其它", "兄弟姐妹", "兄", "弟", "姐", "妹", "兄弟", "姐妹", "侄子",
              "侄女", "孙媳妇", "孙女婿", "曾孙子", "曾孙女", "岳父", "岳母", "公公", "婆婆",
              "其他亲属", "非亲属"),
}  # fmt: skip
RELATION_OF = {label: code for code, labels in _RELATIONS.items() for label in labels}
RELATION_SHOWN = ("户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女", "之父",
                  "之母", "之祖父", "之祖母", "其他")  # fmt: skip
SEX_OF = {"男": "male", "女": "female", "男性": "male", "女性": "female", "1": "male",
          "2": "female", "male": "male", "female": "female"}  # fmt: skip

# 脱贫状态 -> category. A note in brackets after a known state is allowed:
# 已脱贫(享受政策) reads as 已脱贫.
STATUS_CATEGORY = {
    **dict.fromkeys(("未脱贫", "贫困", "贫困户", "预脱贫", "拟脱贫", "计划脱贫"), "not_out"),
    **dict.fromkeys(("已脱贫", "脱贫", "稳定脱贫", "标注脱贫", "脱贫户"), "out"),
    **dict.fromkeys(("返贫", "已返贫", "返贫户", "返贫监测", "返贫监测户", "监测户",
                     "防返贫监测户", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户",
                     "边缘户"), "monitored"),
    **dict.fromkeys(("一般户", "一般农户", "非贫困户", "非建档立卡户"), "general"),
}  # fmt: skip
# 贫困户属性 -> poor (a 建档立卡 household) or not. 一般贫困户 is an ordinary POOR household;
# 一般户/一般农户 is not poor at all.
ATTRIBUTE_POOR = {
    **dict.fromkeys(("一般贫困户", "低保贫困户", "特困供养贫困户", "低保户", "五保户",
                     "五保贫困户", "特困户", "特困供养户", "贫困户"), True),
    **dict.fromkeys(("一般户", "一般农户", "非贫困户", "非建档立卡户"), False),
}  # fmt: skip


STATUS_SHOWN = ("未脱贫", "预脱贫", "已脱贫", "返贫", "监测户", "脱贫不稳定户", "边缘易致贫户",
                "突发严重困难户", "一般户")  # fmt: skip
ATTRIBUTE_SHOWN = ("一般贫困户", "低保贫困户", "特困供养贫困户", "一般农户")


def category_of(status: str, attribute: str) -> tuple[str | None, str, str, str]:
    """The roster category from 脱贫状态 and 贫困户属性: (category, column key, zh, en).

    - 脱贫状态, when filled, decides: 未脱贫 (and 预脱贫/拟脱贫/计划脱贫: planned to
      exit, not out yet) -> not_out; 已脱贫 (脱贫, 稳定脱贫, 标注脱贫, with or without a
      note such as "(享受政策)") -> out; 返贫 and the 防返贫监测 kinds (监测户,
      脱贫不稳定户, 边缘易致贫户, 突发严重困难户) -> monitored; 一般户/一般农户/非贫困户
      -> general.
    - 贫困户属性 is then only checked: a household it says is not poor
      (一般户/一般农户/非贫困户) cannot be 未脱贫 or 已脱贫 (but can be monitored:
      边缘易致贫户 are not on the 建档立卡 roster).
    - With 脱贫状态 blank, 贫困户属性 decides: a poor kind (一般贫困户, 低保贫困户,
      特困供养贫困户, 低保户, 五保户, 特困户) -> not_out, since no exit is recorded;
      not poor -> general.
    - Anything else, or both blank, refuses the household (the column says which).
    On failure the category is None and the rest say which column and why.
    """
    state = _bracketless(status)
    kind = _bracketless(attribute)
    poor = ATTRIBUTE_POOR.get(kind) if kind else None
    if kind and poor is None:
        return None, "attribute", *_unknown_value("贫困户属性", attribute, ATTRIBUTE_SHOWN)
    if state:
        category = STATUS_CATEGORY.get(state)
        if category is None:
            return None, "status", *_unknown_value("脱贫状态", status, STATUS_SHOWN)
        if poor is False and category in ("not_out", "out"):
            return (
                None,
                "attribute",
                f"贫困户属性「{attribute}」不是贫困户，脱贫状态却是「{status}」",
                f"the household type {attribute!r} is not poor, yet the status is {status!r}",
            )
        return category, "", "", ""
    if poor is None:
        return (
            None,
            "status",
            "脱贫状态和贫困户属性都为空，无法确定户类别",
            "both the poverty status and the household type are blank: no category",
        )
    return ("not_out" if poor else "general"), "", "", ""


def _bracketless(value: str) -> str:
    folded = re.sub(r"\s", "", unicodedata.normalize("NFKC", value))
    return re.sub(r"\(.*\)$", "", folded) or folded


def _unknown_value(what: str, value: str, known: Iterable[str]) -> tuple[str, str]:
    shown = "、".join(dict.fromkeys(known))
    return (
        f"{what}「{value}」无法识别，应为 {shown} 等",
        f"{what} {value!r} is not a value we know (such as {shown})",
    )


# ---------------------------------------------------------------- ID numbers


def normalise_id(value: str) -> str:
    """An ID number trimmed, full-width digits as ASCII, a lower-case x as X."""
    return ascii_digits(value).upper()


def id_problem(idn: str) -> tuple[str, str] | None:
    """Why a (normalised, non-empty) ID number is not valid, in zh and en; None if it is."""
    if re.fullmatch(r"\d(\.\d+)?E\+?\d+", idn):
        return (
            f"证件号码 {idn} 被表格软件改成了科学计数法：请把该列设为“文本”后重新导出",
            f"the ID number {idn} was turned into scientific notation by the spreadsheet:"
            " format the column as text and export again",
        )
    if len(idn) == 15 and idn.isdigit():
        return (
            "这是 15 位的旧身份证号码，请换成 18 位的号码",
            "this is an old 15-digit ID number; use the 18-character one",
        )
    if not re.fullmatch(r"[0-9]{17}[0-9X]", idn):
        return (
            f"证件号码 {idn} 应为 18 位：17 位数字加 1 位数字或 X",
            f"ID number {idn} must be 18 characters: 17 digits and a digit or X",
        )
    expected = id_number_check_digit(idn[:17])
    if idn[17] != expected:
        return (
            f"证件号码校验位应为 {expected}，而不是 {idn[17]}（号码可能抄错）",
            f"the ID number's check digit should be {expected}, not {idn[17]} (a typo?)",
        )
    born, _ = parse_id_number(idn)
    if born is None:
        return (
            f"证件号码中的出生日期 {idn[6:14]} 不是有效日期",
            f"the birth date in the ID number, {idn[6:14]}, is not a real date",
        )
    return None


# ---------------------------------------------------------------- households


@dataclass
class HouseholdRow:
    """A roster household built from its lines, ready for `upsert_households`."""

    roster_no: str
    line: int  # its first line
    head_line: int
    values: dict[str, Any]  # roster_no, village_code, group_name, head_name, ... members


@dataclass
class HouseholdsParsed:
    table: Table
    households: list[HouseholdRow] = field(default_factory=list)  # the good ones
    found: int = 0  # households (distinct 户编号) in the file
    people: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Person:
    line: int
    member: Member
    person_no: str


def parse_households(data: bytes, places: PlaceIndex) -> HouseholdsParsed:
    """The households a roster export lists, each line checked; see the module's docstring."""
    table = read_table(data, HOUSEHOLD_COLUMNS, REQUIRED)
    parsed = HouseholdsParsed(table, problems=list(table.problems))
    parsed.people = len(table.rows)
    groups: dict[str, list[Row]] = {}
    for row in table.rows:
        roster_no = ascii_digits(row.values.get("roster_no", ""))
        if not roster_no:
            parsed.problems.append(
                Problem(
                    row.line,
                    table.header("roster_no"),
                    "no_roster_no",
                    "户编号为空，无法归户",
                    "no household number: the person has no household",
                )
            )
            continue
        groups.setdefault(roster_no, []).append(row)
    parsed.found = len(groups)

    built: list[tuple[HouseholdRow, list[Problem], list[_Person]]] = []
    for roster_no, rows in groups.items():
        problems: list[Problem] = []
        household, people = _household(table, roster_no, rows, places, problems)
        built.append((household, problems, people))

    _one_household_per_person(table, built)
    # A line that could not be read refuses the household it names (its 户编号 comes before
    # the stray comma, mostly): no household is stored with a member missing.
    unreadable = {ascii_digits(r.values.get("roster_no", "")): r.line for r in table.broken}
    only_unreadable = set(unreadable) - set(groups) - {""}  # households of broken lines alone
    parsed.found += len(only_unreadable)
    parsed.rejected += len(only_unreadable)
    for household, problems, _ in built:
        if household.roster_no in unreadable and not problems:
            line = unreadable[household.roster_no]
            problems.append(
                Problem(
                    household.line,
                    "",
                    "member_unreadable",
                    f"本户第 {line} 行无法读取，整户未导入",
                    f"line {line} of this household cannot be read, so the household is refused",
                )
            )
        if problems:
            parsed.rejected += 1
            parsed.problems += problems
        else:
            parsed.households.append(household)
    parsed.problems.sort(key=lambda p: (p.line, p.column))
    return parsed


def _one_household_per_person(
    table: Table, built: list[tuple[HouseholdRow, list[Problem], list[_Person]]]
) -> None:
    """An ID number on two households refuses both: a person belongs to one."""
    holders: dict[str, list[tuple[int, str]]] = {}
    for household, _, people in built:
        for person in people:
            if person.member.id_number:
                holders.setdefault(person.member.id_number, []).append(
                    (person.line, household.roster_no)
                )
    for household, problems, people in built:
        for person in people:
            idn = person.member.id_number or ""
            other = next((h for h in holders.get(idn, []) if h[1] != household.roster_no), None)
            if other is not None:
                problems.append(
                    Problem(
                        person.line,
                        table.header("id_number"),
                        "id_in_two_households",
                        f"证件号码 {idn} 也出现在第 {other[0]} 行（户编号 {other[1]}）",
                        f"ID number {idn} is also on line {other[0]} (household {other[1]})",
                    )
                )


# A column a problem is about, when the file has not got it, and the one it has instead.
_INSTEAD = {
    "status": "attribute",
    "attribute": "status",
    "village_name": "village_code",
    "village_code": "village_name",
}


def _household(
    table: Table, roster_no: str, rows: list[Row], places: PlaceIndex, problems: list[Problem]
) -> tuple[HouseholdRow, list[_Person]]:
    def refuse(line: int, key: str, code: str, zh: str, en: str) -> None:
        if key not in table.headers:  # e.g. no 脱贫状态 column: name the column the file has
            key = _INSTEAD.get(key, key)
        problems.append(Problem(line, table.header(key) if key else "", code, zh, en))

    # household column -> each distinct value given -> (the value, the first line giving it)
    variants: dict[str, dict[str, tuple[str, int]]] = {}
    people: list[_Person] = []
    seen_ids: dict[str, int] = {}
    seen_person_nos: dict[str, int] = {}
    phone = ""
    for row in rows:
        v, line = row.values, row.line
        for key in HOUSEHOLD_KEYS:
            if value := v.get(key, ""):
                variants.setdefault(key, {}).setdefault(name_key(value), (value, line))
        person = _person(v, line, refuse)
        if person is None:
            continue
        idn = person.member.id_number
        if idn and idn in seen_ids:
            refuse(
                line,
                "id_number",
                "duplicate_id",
                f"证件号码与本户第 {seen_ids[idn]} 行相同",
                f"the same ID number as line {seen_ids[idn]} of this household",
            )
        elif idn:
            seen_ids[idn] = line
        if person.person_no and person.person_no in seen_person_nos:
            refuse(
                line,
                "person_no",
                "duplicate_person",
                f"人编号与本户第 {seen_person_nos[person.person_no]} 行相同",
                f"the same person number as line {seen_person_nos[person.person_no]}",
            )
        elif person.person_no:
            seen_person_nos[person.person_no] = line
        if person.member.relation == "head" or not phone:
            phone = v.get("phone", "") or phone
        people.append(person)

    first_line = rows[0].line
    heads = [p for p in people if p.member.relation == "head"]
    if not heads and all(p.member.relation for p in people):
        refuse(
            first_line,
            "relation",
            "no_head",
            "本户没有户主（与户主关系为“户主”的人）",
            "the household has no head",
        )
    for extra in heads[1:]:
        refuse(
            extra.line,
            "relation",
            "two_heads",
            f"本户已有户主（第 {heads[0].line} 行）",
            f"the household's head is on line {heads[0].line}",
        )
    shared = {key: next(iter(found.values())) for key, found in variants.items()}
    for key, found in variants.items():
        if len(found) > 1:  # one problem for the column, not one for each of its lines
            zh = "，".join(f"第 {line} 行为「{value}」" for value, line in list(found.values())[:4])
            en = ", ".join(f"{value!r} on line {line}" for value, line in list(found.values())[:4])
            refuse(
                list(found.values())[1][1],
                key,
                "differs_in_household",
                f"本户各行不一致：{zh}",
                f"the household's lines differ: {en}",
            )
    given = {key: value for key, (value, _) in shared.items()}
    village, key, zh, en = places.resolve(given)
    if village is None:
        refuse(shared.get(key, ("", first_line))[1], key, "village", zh, en)
    category, key, zh, en = category_of(given.get("status", ""), given.get("attribute", ""))
    if category is None:
        refuse(shared.get(key, ("", first_line))[1], key, "category", zh, en)
    phone_number = _phone(phone, first_line, refuse)
    head = heads[0].member if heads else None
    members = [p.member for p in heads[:1]] + [
        p.member for p in people if p.member.relation != "head"
    ]
    values = {
        "roster_no": roster_no,
        "village_code": village.code if village else None,
        "group_name": given.get("group") or None,
        "head_name": head.name if head else None,
        "head_id_number": head.id_number if head else None,
        "category": category,
        "members": members,
        "phone": phone_number,
    }
    head_line = heads[0].line if heads else first_line
    return HouseholdRow(roster_no, first_line, head_line, values), people


def _person(v: dict[str, str], line: int, refuse: Any) -> _Person | None:
    """One member from a line (None when it has no name); what is wrong is refused."""
    name = v.get("name", "")
    if not name or len(name) > 40:
        refuse(
            line,
            "name",
            "bad_name",
            "姓名为空" if not name else "姓名超过 40 个字",
            "no name" if not name else "the name is longer than 40 characters",
        )
    raw_relation = v.get("relation", "")
    relation = RELATION_OF.get(name_key(raw_relation).removeprefix("之"))
    if relation is None:
        if raw_relation:
            refuse(
                line,
                "relation",
                "bad_relation",
                *_unknown_value("与户主关系", raw_relation, RELATION_SHOWN),
            )
        else:
            refuse(line, "relation", "bad_relation", "与户主关系为空", "no relation to the head")
    idn = normalise_id(v.get("id_number", ""))
    if idn and (why := id_problem(idn)):
        refuse(line, "id_number", "bad_id_number", *why)
    raw_sex = v.get("sex", "")
    sex = SEX_OF.get(name_key(raw_sex).lower()) if raw_sex else None
    if raw_sex and sex is None:
        refuse(
            line,
            "sex",
            "bad_sex",
            f"性别「{raw_sex}」应为 男 或 女",
            f"sex {raw_sex!r} should be 男 or 女",
        )
    if not name:
        return None
    member = Member(name[:40], relation, idn or None, sex)
    return _Person(line, member, ascii_digits(v.get("person_no", "")))


def _phone(value: str, line: int, refuse: Any) -> str | None:
    phone = unicodedata.normalize("NFKC", value).strip()
    if not phone:
        return None
    if len(phone) > 40 or sum(c.isdigit() for c in phone) < 7:
        refuse(
            line,
            "phone",
            "bad_phone",
            f"联系电话「{value}」不像电话号码",
            f"the phone {value!r} does not look like a phone number",
        )
    return phone
