"""An XLSForm spreadsheet (ODK, KoboToolbox) as a minsheng form, and what did not carry over.

County offices receive forms as XLSForm workbooks: a `survey` sheet of
questions, a `choices` sheet of option lists and a `settings` sheet. This turns
one into the JSON Schema of forms/README.md, to be saved as a form's draft and
checked like any other. What maps (see the XLSForm section of forms/README.md):
question types, groups as objects and repeats as arrays of objects, labels and
hints in Chinese and English columns, required, relevance as conditions,
constraints as keywords or rules, calculations, choices with both labels.

Nothing is dropped silently: every cell, column or row not converted is a
`Note` naming its sheet, row and column and saying why, in Chinese and English.
A workbook that cannot be read as an XLSForm at all (not .xlsx, no survey
sheet, a name twice in one group, an unknown list, an unclosed group) is an
`XLSFormError` naming where. Pure: no I/O beyond reading the bytes given.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from forms import xlsform_logic as logic
from forms.messages import render
from forms.xlsform_questions import Item, QuestionBuilder
from forms.xlsform_rules import constraint, result_type
from forms.xlsform_rules import logic as json_logic
from forms.xlsform_sheets import (
    Sheet,
    Texts,
    XLSFormError,
    column,
    language,
    read_workbook,
    where,
)
from forms.xpath import XPathError, parse

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class Note:
    """Something in the workbook that is not in the form as written, and why."""

    sheet: str
    row: int | None
    column: str | None
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return where(self.sheet, self.row, self.column, lang) + (
            self.en if lang == "en" else self.zh
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "zh": self.zh,
            "en": self.en,
        }


@dataclass
class Imported:
    schema: dict[str, Any]
    notes: list[Note]
    form_id: str | None  # the settings sheet's form_id, as written
    title: str


@dataclass
class _Notes:
    found: list[Note] = field(default_factory=list)

    def add(self, sheet: str, row: int | None, column: str | None, zh: str, en: str) -> None:
        self.found.append(Note(sheet, row, column, zh, en))


def import_xlsform(data: bytes) -> Imported:
    """The form an XLSForm workbook describes, and a note for everything left out."""
    sheets = read_workbook(data)
    if "survey" not in sheets:
        raise XLSFormError(
            "工作簿中没有 survey 工作表（XLSForm 的问题表）",
            "the workbook has no survey sheet (XLSForm's sheet of questions)",
        )
    notes = _Notes()
    for name in sheets:
        if name not in ("survey", "choices", "settings"):
            notes.add(
                sheets[name].name,
                None,
                None,
                "此工作表未转换（XLSForm 只读 survey、choices 和 settings）",
                "this sheet is not converted (XLSForm reads survey, choices and settings)",
            )
    settings = _settings(sheets.get("settings"), notes)
    default_language = settings.get("default_language", "")
    if default_language and language(default_language) is None:
        notes.add(
            "settings",
            None,
            "default_language",
            f"minsheng 只显示中文和英文；不带语言的列按内容判断语言（{default_language}）",
            f"minsheng shows Chinese and English only; columns without a language are "
            f"read by their content ({default_language})",
        )
    texts = Texts.of(sheets["survey"], default_language, notes)
    builder = QuestionBuilder(
        sheets["survey"], sheets.get("choices"), texts, default_language, notes
    )
    root = builder.tree()
    sections = _sections(root, notes)
    questions = _questions(sections)
    assembler = _Assembler(questions, notes)
    schema = assembler.object(sections, ())
    _root_labels(schema, settings.get("form_title", ""), settings, notes)
    builder.unused_lists()
    order = {"survey": 0, "choices": 1, "settings": 2}
    found = sorted(notes.found, key=lambda n: (order.get(n.sheet, 3), n.sheet, n.row or 0))
    return Imported(schema, found, settings.get("form_id") or None, schema["title"])


# ---------------------------------------------------------------- settings


SETTINGS_USED = {"form_id", "form_title", "version", "default_language"}


def _settings(sheet: Sheet | None, notes: _Notes) -> dict[str, str]:
    if sheet is None or not sheet.rows:
        return {}
    row = sheet.rows[0]
    found: dict[str, str] = {}
    for header, value in row.cells.items():
        base, lang = column(header)
        if base in SETTINGS_USED and lang is None:
            found[base] = value
        else:
            notes.add(
                sheet.name,
                row.number,
                header,
                "此设置未转换：minsheng 的表单没有对应的设置",
                "this setting is not converted: a minsheng form has nothing like it",
            )
    for extra in sheet.rows[1:]:
        notes.add(
            sheet.name,
            extra.number,
            None,
            "settings 表只读第一行数据",
            "only the first row of the settings sheet is read",
        )
    return found


def _root_labels(
    schema: dict[str, Any], title: str, settings: dict[str, str], notes: _Notes
) -> None:
    """The form's title from form_title, in the language it is written in."""
    title = title or settings.get("form_id") or "导入的调查表"
    chinese = bool(re.search(r"[\u3400-\u9fff]", title))
    labels: dict[str, Any] = {
        "$schema": SCHEMA_URI,
        "title": title,
        "x-en": {"title": title if not chinese else settings.get("form_id") or "Imported survey"},
    }
    comment = "imported from an XLSForm"
    if settings.get("form_id"):
        comment += f", form_id {settings['form_id']}"
    if settings.get("version"):
        comment += f", version {settings['version']}"
    labels["$comment"] = comment
    if not chinese:
        notes.add(
            "settings",
            None,
            "form_title",
            "表单标题不是中文，中文标题暂用原文，请改写",
            "the form title is not in Chinese: it stands as the Chinese title until rewritten",
        )
    # The notes before the first page are the form's description, beside its title.
    labels["x-en"] = {**labels["x-en"], **schema.get("x-en", {})}
    rest = {k: v for k, v in schema.items() if k not in labels}
    if "description" in rest:
        labels["description"] = rest.pop("description")
    schema.clear()
    schema.update(labels)
    schema.update(rest)


# ---------------------------------------------------------------- structure


def _sections(root: Item, notes: _Notes) -> list[Item]:
    """The form's pages: its groups and repeats, and each run of questions outside any
    group gathered into a page of its own (a minsheng form's top level is pages)."""
    sections: list[Item] = []
    loose: list[Item] = []
    taken = {child.name for child in root.children}

    def close() -> None:
        if not loose:
            return
        if all(item.kind == "note" for item in loose):
            sections.extend(loose)  # their text joins the description of the form
            loose.clear()
            return
        number = sum(item.kind != "note" for item in sections) + 1
        name = f"part_{number}"
        while name in taken:
            name += "_"
        taken.add(name)
        section = Item(
            loose[0].row,
            "group",
            name,
            {
                "type": "object",
                "title": f"第 {number} 部分",
                "x-en": {"title": f"Part {number}"},
            },
        )
        section.children = list(loose)
        notes.add(
            "survey",
            loose[0].row,
            None,
            f"第 {loose[0].row}–{loose[-1].end_row} 行的问题不在任何组中，放入一页 {name}"
            "（minsheng 表单的每一页是一个组）",
            f"the questions of rows {loose[0].row}–{loose[-1].end_row} are in no group: they "
            f"make a page {name} (each page of a minsheng form is a group)",
        )
        sections.append(section)
        loose.clear()

    for child in root.children:
        if child.kind in ("group", "repeat"):
            close()
            sections.append(child)
        else:
            loose.append(child)
    close()
    return sections


def _questions(sections: list[Item]) -> logic.Questions:
    """Every named question and group by name, with where its answer is."""
    found: logic.Questions = {}

    def walk(items: list[Item], path: tuple[str, ...]) -> None:
        for item in items:
            if item.kind == "note":
                continue
            at = (*path, item.name)
            item.path = at
            found.setdefault(item.name, []).append(item.question(at))
            if item.kind == "group":
                walk(item.children, at)
            elif item.kind == "repeat":
                walk(item.children, (*at, logic.ITEM))

    walk(sections, ())
    return found


class _Assembler:
    """Objects from items: conditions, required, constraints and calculations in place."""

    def __init__(self, questions: logic.Questions, notes: _Notes) -> None:
        self.questions = questions
        self.notes = notes

    def note(self, item: Item, column: str, zh: str, en: str) -> None:
        self.notes.add("survey", item.row, column, zh, en)

    def object(
        self, items: list[Item], holder: tuple[str, ...], base: Any = None
    ) -> dict[str, Any]:
        node: dict[str, Any] = dict(base or {"type": "object"})
        props: dict[str, Any] = {}
        required: list[str] = []
        conditional: list[dict[str, Any]] = []
        rules: list[dict[str, Any]] = []
        described: list[tuple[str, str]] = []
        for item in items:
            if item.kind == "note":
                described.append((item.label_zh, item.label_en))
                continue
            schema = self.schema_of(item, holder)
            must = item.required and item.kind == "question"
            if item.kind == "group":
                must = bool(schema.get("required"))
            self.constrain(item, schema, holder, rules)
            self.calculate(item, schema, holder)
            if must and item.xlsform_type == "acknowledge" and "." not in item.name:
                rules.append(_acknowledged(item.name, schema))
            condition = self.relevance(item, holder)
            if condition is not None and condition.schema is None:
                condition = None
            if condition is None and item.relevant and must:
                must = False  # asked always now, though it was not always asked: not required
                self.note(
                    item,
                    "required",
                    "因为条件未能转换，此题改为非必填",
                    "made optional, since its condition could not be converted",
                )
            if condition is None:
                props[item.name] = schema
                if must:
                    required.append(item.name)
                continue
            branch: dict[str, Any] = {"properties": {item.name: schema}}
            if must:
                branch["required"] = [item.name]
            conditional.append({"if": condition.schema, condition.branch: branch})
        node["properties"] = props
        if required:
            node["required"] = required
        if conditional:
            node["allOf"] = conditional
        if rules:
            node["x-rules"] = rules
        if described:
            _add_description(node, described)
        node["unevaluatedProperties" if conditional else "additionalProperties"] = False
        return node

    def schema_of(self, item: Item, holder: tuple[str, ...]) -> dict[str, Any]:
        if item.kind == "group":
            return self.object(item.children, (*holder, item.name), base=item.schema)
        if item.kind == "repeat":
            inner = self.object(
                item.children,
                (*holder, item.name, logic.ITEM),
                base={
                    "type": "object",
                    **{k: v for k, v in item.schema.items() if k in ("title", "x-en")},
                },
            )
            return {**item.schema, "items": inner}
        return item.schema

    def expression(self, item: Item, column: str, text: str, then: tuple[str, str]) -> Any:
        """The parsed expression, or None with a note ending with `then` (zh, en)."""
        try:
            return parse(text)
        except XPathError as exc:
            self.note(
                item,
                column,
                f"表达式超出可转换的范围（{exc}）{then[0]}：{text}",
                f"the expression is outside what converts ({exc}){then[1]}: {text}",
            )
            return None

    def relevance(self, item: Item, holder: tuple[str, ...]) -> logic.Condition | None:
        if not item.relevant:
            return None
        always = ("，此题改为总是显示", "; the question is always asked")
        tree = self.expression(item, "relevant", item.relevant, always)
        if tree is None:
            return None
        try:
            return logic.condition(tree, holder, self.questions)
        except logic.Unconvertible as exc:
            self.note(
                item,
                "relevant",
                f"条件未转换：{exc.zh}{always[0]}：{item.relevant}",
                f"the condition is not converted: {exc.en}{always[1]}: {item.relevant}",
            )
            return None

    def constrain(
        self,
        item: Item,
        schema: dict[str, Any],
        holder: tuple[str, ...],
        rules: list[dict[str, Any]],
    ) -> None:
        if not item.constraint:
            return
        tree = self.expression(item, "constraint", item.constraint, ("", ""))
        question = self.own(item)
        if tree is None or question is None:
            return
        try:
            made = constraint(tree, question, holder, self.questions)
        except logic.Unconvertible as exc:
            self.note(item, "constraint", f"约束未转换：{exc.zh}", f"not converted: {exc.en}")
            return
        schema.update(made.keywords)
        for zh, en in made.skipped:
            self.note(
                item,
                "constraint",
                f"约束的一部分未转换：{zh}：{item.constraint}",
                f"a part of the constraint is not converted: {en}: {item.constraint}",
            )
        message = item.constraint_message
        if made.rule is not None:
            zh = message[0] or message[1] or f"「{schema.get('title', item.name)}」不符合要求"
            en = message[1] or f"{schema.get('x-en', {}).get('title', item.name)} is not allowed"
            rules.append(
                {
                    "id": f"{item.name}_constraint",
                    "rule": made.rule,
                    "field": item.name,
                    "message": {"zh": zh, "en": en},
                }
            )
        elif any(message):
            zh, en = _standard_messages(made.keywords)
            self.note(
                item,
                "constraint_message",
                f"约束已改为此题的取值范围，答错时显示标准提示（{zh}），未用此提示",
                f"the constraint became a bound of the question, and a wrong answer gets the "
                f"standard message ({en}) instead of this one",
            )

    def own(self, item: Item) -> logic.Question | None:
        found = [q for q in self.questions.get(item.name, []) if q.path == item.path]
        return found[0] if found else None

    def calculate(self, item: Item, schema: dict[str, Any], holder: tuple[str, ...]) -> None:
        if item.xlsform_type != "calculate":
            return
        tree = self.expression(item, "calculation", item.calculation, ("", ""))
        if tree is None:
            return
        try:
            schema["x-calculate"] = json_logic(tree, holder, self.questions)
        except logic.Unconvertible as exc:
            self.note(item, "calculation", f"计算未转换：{exc.zh}", f"not converted: {exc.en}")
            return
        schema["type"] = result_type(tree)


def _acknowledged(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A required acknowledge is answered by ticking it: yes, not merely answered."""
    title = schema.get("title", name)
    english = schema.get("x-en", {}).get("title", name)
    return {
        "id": f"{name}_acknowledged",
        "rule": {"or": [{"==": [{"var": name}, None]}, {"==": [{"var": name}, True]}]},
        "field": name,
        "message": {"zh": f"请确认「{title}」", "en": f"Confirm: {english}"},
    }


def _standard_messages(keywords: dict[str, Any]) -> tuple[str, str]:
    """What a wrong answer is told by these keywords, in Chinese and in English."""
    said = [
        (render(k, {"limit": v}, "zh"), render(k, {"limit": v}, "en")) for k, v in keywords.items()
    ]
    return "；".join(zh for zh, _ in said), "; ".join(en for _, en in said)


def _add_description(node: dict[str, Any], described: list[tuple[str, str]]) -> None:
    zh = "\n".join(text for text, _ in described if text)
    en = "\n".join(text for _, text in described if text)
    if zh:
        node["description"] = "\n".join(filter(None, [node.get("description"), zh]))
    if en:
        english = node.setdefault("x-en", {})
        english["description"] = "\n".join(filter(None, [english.get("description"), en]))


def schema_json(schema: dict[str, Any]) -> str:
    """The schema as a draft's text: laid out for reading, as the designer's page saves one."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


__all__ = ["Imported", "Note", "XLSFormError", "import_xlsform", "schema_json"]
