"""The survey and choices sheets of an XLSForm as a tree of questions, groups and repeats.

Each survey row becomes an `Item`: a question with its JSON Schema (type,
labels, options, widget, default), a group, a repeat or a note, keeping the
text of its relevant, constraint and calculation for forms/xlsform.py to
convert once every question's place is known. Every cell this does not use is
a note naming its row and column and why; see forms/xlsform.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from forms import xlsform_logic as logic
from forms.xlsform_sheets import NoteTaker, Row, Sheet, Texts, XLSFormError, column
from forms.xlsform_types import schema_yes_no, typed

YES = {"yes", "true", "1", "true()", "y"}
NO = {"no", "false", "0", "false()", "n", ""}
NAME = re.compile(r"[A-Za-z_\u3400-\u9fff][A-Za-z0-9_.\-\u3400-\u9fff]*")


@dataclass
class Item:
    row: int
    kind: str  # question, group, repeat or note
    name: str
    schema: dict[str, Any]
    children: list[Item] = field(default_factory=list)
    end_row: int = 0
    xlsform_type: str = ""
    relevant: str = ""
    required: bool = False
    constraint: str = ""
    constraint_message: tuple[str, str] = ("", "")
    calculation: str = ""
    label_zh: str = ""
    label_en: str = ""
    path: tuple[str, ...] = ()
    options: list[str] | None = None
    multiple: bool = False
    yes_no: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.end_row = self.end_row or self.row

    def question(self, path: tuple[str, ...]) -> logic.Question:
        kind = self.schema.get("type", "string")
        if self.xlsform_type == "calculate":
            kind = "string"  # its type follows from the calculation, worked out later
        return logic.Question(path, kind, self.options, self.multiple, self.yes_no)


# Why a column that XLSForm knows is not converted.
NOT_CONVERTED = {
    "required_message": (
        "未转换：显示标准提示“此项必填”",
        "not converted: the standard message “This field is required” is shown",
    ),
    "guidance_hint": (
        "未转换：minsheng 不显示指导说明",
        "not converted: guidance hints are not shown",
    ),
    "choice_filter": (
        "未转换：选项不按条件筛选，全部显示",
        "not converted: choices are not filtered; all of them are shown",
    ),
    "media": (
        "未转换：标签中的图片、音频和视频不显示",
        "not converted: pictures, audio and video in labels are not shown",
    ),
    "trigger": ("未转换：minsheng 没有触发式计算", "not converted: minsheng has no triggers"),
    "calculation": (
        "未转换：只转换 calculate 类型的计算，不转换其他问题的计算默认值",
        "not converted: only the calculation of a calculate row is converted, not a computed "
        "default of another question",
    ),
}
# Columns XLSForm reads on some rows only: on another row they are not converted.
ROW_COLUMNS = {"required", "constraint", "relevant", "default", "appearance", "read_only"}
ROW_COLUMNS |= {"parameters", "repeat_count", "hint", "label", "constraint_message"}
MEDIA = ("image", "big-image", "audio", "video")


def _why(header: str) -> tuple[str, str]:
    if header.startswith("#"):  # forms/xlsform_sheets.py names a column without a header so
        return ("此列没有表头，其中的值未转换", "a column without a header: not converted")
    base, _ = column(header)
    if base.startswith("media") or base in MEDIA:
        return NOT_CONVERTED["media"]
    if base in NOT_CONVERTED:
        return NOT_CONVERTED[base]
    if base in ROW_COLUMNS:
        return ("未转换：此类行不用此列", "not converted: a row of this type does not use it")
    return (
        "minsheng 不认识此列，未转换",
        "minsheng does not know this column: not converted",
    )


class QuestionBuilder:
    """Items from the survey sheet; option lists from the choices sheet."""

    def __init__(
        self,
        survey: Sheet,
        choices: Sheet | None,
        texts: Texts,
        default_language: str,
        notes: NoteTaker,
    ) -> None:
        self.survey = survey
        self.texts = texts
        self.notes = notes
        self.lists: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.used: set[str] = set()
        if choices is not None:
            self._read_choices(choices, default_language)
        self._plain_language_notes()
        self.internal_columns(survey)
        if choices is not None:
            self.internal_columns(choices)

    # ------------------------------------------------------------ choices

    def _read_choices(self, sheet: Sheet, default_language: str) -> None:
        texts = Texts.of(sheet, default_language, self.notes)
        for row in sheet.rows:
            cells = row.cells
            list_name = next((v for h, v in cells.items() if column(h)[0] == "list_name"), "")
            name = next((v for h, v in cells.items() if column(h)[0] == "name"), "")
            if not list_name or not name:
                missing = "list_name" if not list_name else "name"
                raise XLSFormError(
                    f"选项缺少 {missing}",
                    f"a choice without {missing}",
                    sheet.name,
                    row.number,
                    missing,
                )
            options = self.lists.setdefault(list_name, [])
            if any(option["const"] == name for _, option in options):
                raise XLSFormError(
                    f"选项列表 {list_name} 中 {name} 出现两次",
                    f"{name} appears twice in the list {list_name}",
                    sheet.name,
                    row.number,
                    "name",
                )
            zh, en = texts.pick(row, "label")
            option: dict[str, Any] = {"const": name, "title": zh or en or name}
            if en:
                option["x-en"] = {"title": en}
            if not zh:
                self.notes.add(
                    sheet.name,
                    row.number,
                    "label",
                    "选项没有中文标签，暂用" + ("英文标签" if en else "选项名"),
                    "the choice has no Chinese label: its "
                    + ("English label" if en else "name")
                    + " stands in",
                )
            options.append((row.number, option))
            used = texts.used() | {h for h in cells if column(h)[0] in ("list_name", "name")}
            for header in cells:
                if header not in used and not header.startswith("$"):
                    zh_why, en_why = _why(header)
                    if column(header)[0] not in NOT_CONVERTED and not header.startswith("#"):
                        zh_why, en_why = (
                            "未转换：只用于按条件筛选选项（choice_filter），minsheng 不筛选",
                            "not converted: used only to filter choices (choice_filter), "
                            "which minsheng does not do",
                        )
                    self.notes.add(sheet.name, row.number, header, zh_why, en_why)

    def unused_lists(self) -> None:
        for list_name, options in self.lists.items():
            if list_name not in self.used:
                self.notes.add(
                    "choices",
                    options[0][0],
                    "list_name",
                    f"选项列表 {list_name} 没有问题使用，未转换",
                    f"no question uses the list {list_name}: not converted",
                )

    def internal_columns(self, sheet: Sheet) -> None:
        """KoboToolbox's own columns ($kuid, $autoname ...): ids of its editor, not the form."""
        for header in sheet.headers:
            if header.startswith("$"):
                self.notes.add(
                    sheet.name,
                    None,
                    header,
                    "KoboToolbox 自用的列，未转换",
                    "KoboToolbox's own column: not converted",
                )

    def _plain_language_notes(self) -> None:
        if not self.texts.has("label", "zh"):
            self.notes.add(
                self.survey.name,
                None,
                "label",
                "没有中文标签列：中文标题暂用英文标签，请补上中文",
                "no Chinese label column: the English labels stand as the Chinese titles",
            )
        if not self.texts.has("label", "en"):
            self.notes.add(
                self.survey.name,
                None,
                "label",
                "没有英文标签列：表单没有英文标题（x-en）",
                "no English label column: the form has no English titles (x-en)",
            )

    # ------------------------------------------------------------ the survey

    def tree(self) -> Item:
        root = Item(0, "group", "", {})
        stack: list[Item] = [root]
        names: list[set[str]] = [set()]
        for row in self.survey.rows:
            kind, args = _type(row)
            if not kind:
                self.notes.add(
                    self.survey.name,
                    row.number,
                    "type",
                    "此行没有 type，未转换",
                    "the row has no type: not converted",
                )
                continue
            if kind in ("end_group", "end_repeat"):
                opened = stack[-1]
                want = "group" if kind == "end_group" else "repeat"
                if len(stack) == 1 or opened.kind != want:
                    raise XLSFormError(
                        f"{kind} 没有对应的 begin_{want}",
                        f"{kind} without its begin_{want}",
                        self.survey.name,
                        row.number,
                        "type",
                    )
                stack.pop()
                names.pop()
                opened.end_row = row.number
                self._close(opened, stack)
                continue
            item = self._item(row, kind, args)
            if item is None:
                continue
            if item.kind != "note" or item.name:
                if item.name in names[-1]:
                    raise XLSFormError(
                        f"同一组中已有名为 {item.name} 的问题",
                        f"a question named {item.name} is already in this group",
                        self.survey.name,
                        row.number,
                        "name",
                    )
                names[-1].add(item.name)
            if item.kind in ("group", "repeat"):
                stack.append(item)
                names.append(set())
            else:
                stack[-1].children.append(item)
                if item.kind == "question" and " or_other" in f" {args}":
                    stack[-1].children.append(self._other(item))
        if len(stack) > 1:
            open_row, open_kind = stack[-1].row, stack[-1].kind
            raise XLSFormError(
                f"第 {open_row} 行的 begin_{open_kind} 没有结束（缺少 end_{open_kind}）",
                f"the begin_{open_kind} of row {open_row} is never closed "
                f"(end_{open_kind} is missing)",
                self.survey.name,
                open_row,
                "type",
            )
        return root

    def _close(self, opened: Item, stack: list[Item]) -> None:
        if opened.kind == "repeat" and any(i.kind == "repeat" for i in stack):
            self.notes.add(
                self.survey.name,
                opened.row,
                "type",
                f"第 {opened.row}–{opened.end_row} 行未转换：手机上不能显示重复组中的重复组",
                f"rows {opened.row}–{opened.end_row} are not converted: a repeat inside a repeat"
                " cannot be shown on a phone",
            )
            return
        stack[-1].children.append(opened)

    def _other(self, item: Item) -> Item:
        """pyxform's `or_other`: an option "other" and a question saying which."""
        options = item.schema.get("oneOf") or item.schema.get("items", {}).get("oneOf")
        options.append({"const": "other", "title": "其他", "x-en": {"title": "Other"}})
        assert item.options is not None
        item.options.append("other")
        zh = f"{item.label_zh or item.name}：请说明其他"
        en = f"{item.label_en or item.name}: specify other"
        other = Item(
            item.row,
            "question",
            f"{item.name}_other",
            {"type": "string", "maxLength": 100, "title": zh, "x-en": {"title": en}},
            xlsform_type="text",
            relevant=f"selected(${{{item.name}}}, 'other')",
            required=item.required,
        )
        return other

    def _leftover(self, row: Row, used: set[str], *extra: str) -> None:
        """A note for each cell of the row not used."""
        skip = used | self.texts.used() | set(extra)
        for header, _ in row.cells.items():
            if header in skip or column(header)[0] in skip or header.startswith("$"):
                continue  # a $column is KoboToolbox's own, listed once (internal_columns)
            zh, en = _why(header)
            self.notes.add(self.survey.name, row.number, header, zh, en)

    def _item(self, row: Row, kind: str, args: str) -> Item | None:
        cells = {column(h)[0]: v for h, v in row.cells.items() if column(h)[1] is None}
        name = cells.get("name", "")
        used = {"type", "name"}
        if not name and kind != "note":
            raise XLSFormError(
                "缺少 name（问题的名称）",
                "the name (the question's name) is missing",
                self.survey.name,
                row.number,
                "name",
            )
        if name and not NAME.fullmatch(name):
            raise XLSFormError(
                f"{name!r} 不能作为名称：以字母或 _ 开头，只含字母、数字、_、- 和 .",
                f"{name!r} cannot be a name: a letter or _ first, then letters, digits, _, - and .",
                self.survey.name,
                row.number,
                "name",
            )
        zh, en = self.texts.pick(row, "label")
        hint_zh, hint_en = self.texts.pick(row, "hint")
        schema: dict[str, Any] = {}
        made = typed(self, row, kind, args, cells, used)
        if made is None:
            self._leftover(row, used)
            return None
        item_kind, schema = made
        if item_kind == "note":
            for column_name in ("relevant", "calculation", "required", "constraint"):
                header = next((h for h in row.cells if column(h) == (column_name, None)), "")
                if header:
                    used.add(column_name)
                    self.notes.add(
                        self.survey.name,
                        row.number,
                        header,
                        "未转换：说明文字放在页或组的说明中，总是显示",
                        "not converted: the note's text is in the description of its page or "
                        "group, always shown",
                    )
            self._label_notes(row, zh, en, kind, named=False)
            self._leftover(row, used)
            return Item(row.number, "note", name, {}, label_zh=zh or en, label_en=en)
        labels: dict[str, Any] = {"title": zh or en or name}
        if hint_zh:
            labels["description"] = hint_zh
        english = {k: v for k, v in (("title", en), ("description", hint_en)) if v}
        if english:
            labels["x-en"] = english
        self._label_notes(row, zh, en, kind)
        item = Item(
            row.number,
            item_kind,
            name,
            {"type": schema.pop("type"), **labels, **schema},
            xlsform_type=kind,
            label_zh=zh,
            label_en=en,
        )
        for key in ("relevant", "constraint", "calculation"):
            if key == "calculation" and kind != "calculate":
                continue  # a dynamic default: listed by _leftover
            if cells.get(key):
                setattr(item, key, cells[key])
                used.add(key)
        if item_kind == "question" and cells.get("required"):
            used.add("required")
            item.required = self._required(row, cells["required"], kind)
        if cells.get("constraint"):
            item.constraint_message = self.texts.pick(row, "constraint_message")
        if "oneOf" in item.schema or "oneOf" in item.schema.get("items", {}):
            options = item.schema.get("oneOf") or item.schema["items"]["oneOf"]
            item.options = [o["const"] for o in options]
            item.multiple = item.schema["type"] == "array"
        if item.schema.get("type") == "boolean":
            item.yes_no = schema_yes_no(self, args)
        self._leftover(row, used)
        return item

    def _required(self, row: Row, value: str, kind: str) -> bool:
        lowered = value.strip().lower()
        if lowered in YES and kind != "calculate":
            return True
        if lowered in NO:
            return False
        self.notes.add(
            self.survey.name,
            row.number,
            "required",
            "未转换："
            + ("计算值不需要必填" if kind == "calculate" else f"条件必填（{value}）")
            + "，此题为非必填",
            "not converted: "
            + (
                "a calculated value is not required"
                if kind == "calculate"
                else f"required under a condition ({value})"
            )
            + "; the question is optional",
        )
        return False

    def _label_notes(self, row: Row, zh: str, en: str, kind: str, named: bool = True) -> None:
        if "${" in zh + en:
            self.notes.add(
                self.survey.name,
                row.number,
                "label",
                "标签中引用答案（${...}）未转换：按原文显示",
                "an answer in the label (${...}) is not converted: the label shows as written",
            )
        if not named:
            return
        if not zh and not en:
            self.notes.add(
                self.survey.name,
                row.number,
                "label",
                "没有标签：暂显示名称，请补上标签",
                "no label: its name is shown until one is written",
            )
        elif not zh and self.texts.has("label", "zh"):
            self.notes.add(
                self.survey.name,
                row.number,
                "label",
                "没有中文标签：暂用英文标签",
                "no Chinese label: the English one stands in",
            )
        elif not en and self.texts.has("label", "en"):
            self.notes.add(
                self.survey.name,
                row.number,
                "label",
                "没有英文标签",
                "no English label",
            )

    def options(self, row: Row, list_name: str) -> list[dict[str, Any]]:
        if list_name not in self.lists:
            raise XLSFormError(
                f"choices 表中没有选项列表 {list_name}",
                f"the choices sheet has no list {list_name}",
                self.survey.name,
                row.number,
                "type",
            )
        self.used.add(list_name)
        return [dict(option) for _, option in self.lists[list_name]]


def _type(row: Row) -> tuple[str, str]:
    """(the type, what follows it: a list name, or_other), normalised."""
    text = next((v for h, v in row.cells.items() if column(h) == ("type", None)), "")
    words = text.strip().split()
    if not words:
        return "", ""
    first = words[0].lower()
    if first in ("begin", "end") and len(words) > 1:
        return f"{first}_{words[1].lower()}", " ".join(words[2:])
    if first in ("select", "select_one", "select_multiple") and len(words) > 1:
        if first == "select":
            first, words = f"select_{words[1].lower()}", words[1:]
        return first, " ".join(words[1:])
    return first, " ".join(words[1:])
