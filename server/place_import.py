"""Importing places: a list of 12-digit statistical codes with their names, checked line by line.

The list officials have is the 统计用区划代码 table, or a county's own sheet of
its townships and villages. The level of a place follows from its code (where
the trailing zeros begin); its parent is the code cut at the level above. A
parent must be on the list of places already or somewhere in the file. A file
of villages only may name their township, county, city or province in
columns of their own (乡镇, 县, ...): a missing parent is then created from the
code's prefix under that name, and never under a name made up here. Names in
those columns do not rename a place already on the list.

`PlaceIndex` finds a village by code or by its names (县/乡镇/行政村 ...) for
the roster import. No I/O here: the places already known come in as data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from server.places import LEVELS, WIDTHS, PlaceRow, full_code, level_of, parent_of
from server.roster_csv import Column, Problem, Table, ascii_digits, read_table

LEVEL_NAMES = {
    "province": ("省", "province"),
    "city": ("市", "city"),
    "county": ("县", "county"),
    "township": ("乡镇", "township"),
    "village": ("村", "village"),
}
_LEVEL_WORDS = {
    **{zh: level for level, (zh, _) in LEVEL_NAMES.items()},
    **{en: level for level, (_, en) in LEVEL_NAMES.items()},
    "省级": "province", "市级": "city", "地级": "city", "市州": "city", "县级": "county",
    "区县": "county", "乡级": "township", "乡": "township", "镇": "township",
    "街道": "township", "村级": "village", "行政村": "village", "社区": "village",
}  # fmt: skip

PLACE_COLUMNS = (
    Column("code", "代码", "code", ("区划代码", "统计用区划代码", "行政区划代码", "地区代码",
                                   "编码", "区划编码", "code", "place_code")),
    Column("name", "名称", "name", ("区划名称", "地区名称", "单位名称", "行政区划名称", "name")),
    Column("level", "级别", "level", ("层级", "区划级别", "level")),
    Column("parent_code", "上级代码", "parent code", ("上级区划代码", "父级代码", "parent_code",
                                                   "parent")),
    Column("households_registered", "户数", "registered households",
           ("总户数", "户籍户数", "登记户数", "households", "households_registered")),
    Column("population_registered", "户籍人口", "registered population",
           ("人口", "总人口", "人口数", "户籍人口数", "population", "population_registered")),
    Column("province_name", "省", "province", ("省份", "省名称", "省(区、市)", "province_name")),
    Column("city_name", "市", "city", ("市州", "地市", "市(州)", "州市", "city_name")),
    Column("county_name", "县", "county", ("县区", "区县", "县(市、区)", "县市区", "county_name")),
    Column("township_name", "乡镇", "township", ("乡(镇)", "乡镇(街道)", "township_name")),
    Column("urban_rural", "城乡分类代码", "urban-rural class", ("城乡分类",), kept=False),
    Column("note", "备注", "note", ("note",), kept=False),
)  # fmt: skip
# The names of a village's place in the tree, as roster files write them, top down.
NAME_LEVELS = ("province_name", "city_name", "county_name", "township_name", "village_name")
_PARENT_NAME_COLUMNS = {
    "province": "province_name",
    "city": "city_name",
    "county": "county_name",
    "township": "township_name",
}


@dataclass
class PlacesParsed:
    table: Table
    rows: list[PlaceRow] = field(default_factory=list)  # good places, parents first
    found: int = 0  # places in the file (each data line is one)
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)


def _code(value: str) -> tuple[str | None, str, str]:
    """A place's full 12-digit code, or None with why (zh, en)."""
    digits = ascii_digits(value)
    if not digits:
        return None, "代码为空", "no code"
    if not digits.isdigit() or len(digits) not in WIDTHS.values():
        return (
            None,
            f"代码 {value!r} 应为 12 位数字（也可写 2、4、6、9 位前缀）",
            f"code {value!r} must be 12 digits (or a prefix of 2, 4, 6 or 9)",
        )
    code = full_code(digits)
    level = level_of(code)
    # Every part of the code above its level must be filled: 620500102000 is no township.
    cuts = [WIDTHS[lv] for lv in LEVELS[: LEVELS.index(level) + 1]]
    starts = [0, *cuts[:-1]]
    if any(set(code[a:b]) == {"0"} for a, b in zip(starts, cuts, strict=True)):
        return (
            None,
            f"代码 {code} 不是有效的区划代码（中间有一段全为 0）",
            f"code {code} is not a valid division code (a middle part is all zeros)",
        )
    return code, "", ""


def parse_places(data: bytes, known: dict[str, str]) -> PlacesParsed:
    """The places a file lists (and the parents it names), each line checked.

    `known` maps the codes already on the list of places to their names. A line
    is refused for a code that is not a division code, a level or parent code
    that disagrees with the code, an empty or too long name, a household or
    population count that is not a whole number, a code listed twice, or a
    parent that is neither known, nor in the file, nor named in the line's own
    parent-name column. A place whose parent's line was refused is refused too.
    """
    table = read_table(data, PLACE_COLUMNS, (("code",), ("name",)))
    parsed = PlacesParsed(table, problems=list(table.problems))
    parsed.found = len(table.rows) + len(table.problems)
    bad_lines = {p.line for p in table.problems}
    lines: dict[str, int] = {}  # code -> the line listing it
    rows: dict[str, PlaceRow] = {}
    wants: dict[int, list[str]] = {}  # line -> the parents it needs from the file

    def refuse(line: int, key: str, code: str, zh: str, en: str) -> None:
        parsed.problems.append(Problem(line, table.header(key) if key else "", code, zh, en))
        bad_lines.add(line)

    for row in table.broken:  # its children are refused as children of a refused line
        code, _, _ = _code(row.values.get("code", ""))
        if code is not None:
            lines.setdefault(code, row.line)

    for row in table.rows:
        v, line = row.values, row.line
        code, zh, en = _code(v.get("code", ""))
        if code is None:
            refuse(line, "code", "bad_code", zh, en)
            continue
        level = level_of(code)
        if code in lines:
            refuse(
                line,
                "code",
                "duplicate_code",
                f"代码 {code} 在第 {lines[code]} 行已出现",
                f"code {code} is listed on line {lines[code]} already",
            )
            continue
        lines[code] = line
        name = v.get("name", "")
        if not name or len(name) > 60:
            refuse(
                line,
                "name",
                "bad_name",
                "名称为空" if not name else "名称超过 60 个字",
                "no name" if not name else "the name is longer than 60 characters",
            )
        given_level = v.get("level", "")
        if given_level and _LEVEL_WORDS.get(given_level.lower()) != level:
            zh_level, en_level = LEVEL_NAMES[level]
            refuse(
                line,
                "level",
                "level_mismatch",
                f"级别写的是「{given_level}」，但代码 {code} 是{zh_level}级",
                f"the level says {given_level!r} but code {code} is a {en_level}",
            )
        parent = parent_of(code, level)
        given_parent = v.get("parent_code", "")
        if given_parent and full_code(ascii_digits(given_parent)) != parent:
            refuse(
                line,
                "parent_code",
                "parent_mismatch",
                f"上级代码应为 {parent}（由本行代码得出），不是 {given_parent}",
                f"the parent code should be {parent} (from this line's code), not {given_parent}",
            )
        counts: dict[str, int | None] = {}
        for key, zh, en in (
            ("households_registered", "户数", "household count"),
            ("population_registered", "户籍人口", "population"),
        ):
            counts[key], count_ok = _count(v.get(key, ""))
            if not count_ok:
                refuse(
                    line,
                    key,
                    "bad_count",
                    f"{zh} {v[key]!r} 不是非负整数",
                    f"{en} {v[key]!r} is not a whole number",
                )
        if line in bad_lines:
            continue
        rows[code] = PlaceRow(code, level, name, **counts)
        wants[line] = _ancestors(code, level)

    # Parents: on the list already, in the file, or named in the line's own columns (the
    # first line naming a new parent names it; a later line must use the same name).
    by_line = {row.line: row for row in table.rows}
    named: dict[str, tuple[PlaceRow, int]] = {}
    for line, ancestors in wants.items():
        for ancestor in ancestors:
            if ancestor in known or ancestor in lines:
                continue  # known, or listed in the file (stored or refused on its own line)
            ancestor_level = level_of(ancestor)
            column = _PARENT_NAME_COLUMNS[ancestor_level]
            name = by_line[line].values.get(column, "")[:60]
            if ancestor in named:
                first, first_line = named[ancestor]
                if name and name != first.name:
                    refuse(
                        line,
                        column,
                        "parent_name_differs",
                        f"{ancestor} 在第 {first_line} 行叫「{first.name}」，本行写的是「{name}」",
                        f"{ancestor} is named {first.name!r} on line {first_line}, {name!r} here",
                    )
            elif name:
                named[ancestor] = (PlaceRow(ancestor, ancestor_level, name), line)

    # Top down: a place is stored when its line is good and its parent is (or is known).
    candidates = [*rows.values(), *(p for p, line in named.values() if line not in bad_lines)]
    origin = {**lines, **{code: line for code, (_, line) in named.items()}}
    stored: dict[str, PlaceRow] = {}
    for place in sorted(candidates, key=lambda r: (LEVELS.index(r.level), r.code)):
        line = origin[place.code]
        if line in bad_lines:
            continue
        parent = parent_of(place.code, place.level)
        if parent is None or parent in known or parent in stored:
            stored[place.code] = place
            continue
        zh_level, en_level = LEVEL_NAMES[level_of(parent)]
        if parent in origin:
            refuse(
                line,
                "code",
                "parent_refused",
                f"上级{zh_level} {parent} 所在的第 {origin[parent]} 行有错，本行也未导入",
                f"the line of its parent {en_level} {parent} (line {origin[parent]}) was"
                " refused, so is this one",
            )
            continue
        names = next(c for c in PLACE_COLUMNS if c.key == _PARENT_NAME_COLUMNS[level_of(parent)])
        refuse(
            line,
            "code",
            "unknown_parent",
            f"上级{zh_level} {parent} 不在地区名录中，文件中也没有"
            f"（可在「{names.zh}」列写明其名称，以便一并建立）",
            f"the parent {en_level} {parent} is neither on the list of places nor in the file"
            f" (name it in a {names.en!r} column to create it too)",
        )
    parsed.rows = list(stored.values())
    parsed.rejected = len(bad_lines)
    parsed.problems.sort(key=lambda p: p.line)
    return parsed


def _ancestors(code: str, level: str) -> list[str]:
    found = []
    while (parent := parent_of(code, level)) is not None:
        found.append(parent)
        code, level = parent, level_of(parent)
    return found[::-1]


def _count(value: str) -> tuple[int | None, bool]:
    """A household count (None when blank), and whether it is a whole number."""
    digits = ascii_digits(value).replace(",", "")
    if digits.endswith(".0"):
        digits = digits[:-2]
    if not digits:
        return None, True
    return (int(digits), True) if digits.isdigit() else (None, False)


# ---------------------------------------------------------------- villages


@dataclass(frozen=True)
class VillagePath:
    code: str
    village_name: str
    township_name: str
    county_name: str
    city_name: str
    province_name: str

    def text(self) -> str:
        return f"{self.code} {self.county_name}{self.township_name}{self.village_name}"


def name_key(value: str) -> str:
    """A place or category name as compared: full-width folded, without spaces."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value))


class PlaceIndex:
    """The villages on the list of places, by code and by name, for resolving a roster row."""

    def __init__(self, villages: Iterable[VillagePath]) -> None:
        self.by_code: dict[str, VillagePath] = {}
        self.by_name: dict[str, list[VillagePath]] = {}
        for v in villages:
            self.by_code[v.code] = v
            self.by_name.setdefault(name_key(v.village_name), []).append(v)

    def resolve(self, values: dict[str, str]) -> tuple[VillagePath | None, str, str, str]:
        """The village a household's code, or else its names, point at: (village, column, zh,
        en); the village is None when it is unknown or the names fit several."""
        code = ascii_digits(values.get("village_code", ""))
        if code:
            found = self.by_code.get(code)
            if found is None:
                return (
                    None,
                    "village_code",
                    f"村代码 {code} 不在地区名录中（请先导入地区）",
                    f"village code {code} is not on the list of places (import the places first)",
                )
            for key in NAME_LEVELS:
                given = values.get(key, "")
                if given and name_key(given) != name_key(getattr(found, key)):
                    return (
                        None,
                        key,
                        f"村代码 {code} 是 {found.text()}，此列却写的是「{given}」",
                        f"village code {code} is {found.text()}, but this column says {given!r}",
                    )
            return found, "", "", ""
        name = values.get("village_name", "")
        if not name:
            return None, "village_name", "行政村为空", "no village named"
        candidates = [
            v
            for v in self.by_name.get(name_key(name), [])
            if all(
                name_key(values[key]) == name_key(getattr(v, key))
                for key in NAME_LEVELS
                if values.get(key)
            )
        ]
        path = "".join(values[k] for k in NAME_LEVELS if values.get(k))
        if not candidates:
            return (
                None,
                "village_name",
                f"地区名录中没有「{path}」（请核对名称，或先导入地区）",
                f"no village {path!r} on the list of places (check the names, or import places)",
            )
        if len(candidates) > 1:
            shown = "；".join(v.text() for v in candidates[:5])
            return (
                None,
                "village_name",
                f"「{path}」不止一个村：{shown}。请加上县、乡镇列，或用村代码",
                f"{path!r} fits several villages: {shown}; add county and township columns,"
                " or a village code",
            )
        return candidates[0], "", "", ""
