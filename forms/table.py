"""Stored answers as flat tables, for Excel, R and Stata.

An answer is a tree; a spreadsheet is a grid. The columns are read from the form's
schema through the same page model the phone is drawn from (forms/render.py), so
any published form exports without code of its own:

- every question outside a repeat group is a column of the answers table, named by
  its path (`survey.date`, `income.transfer.dibao`) and headed by its label;
- each repeat group (an array of objects: members, needs) is a table of its own,
  one row per item, whose rows name their answer's id and the item's index in the
  group (0-based, as in `/members/0` and the needs API), and the indexes of the
  items around it for a group inside a group.

Values keep their type: numbers stay numbers, a date becomes a date, a yes/no a
boolean (or 是/否 with labels); a choice is its label or its stored code, several
choices are joined. A value the schema does not expect (an answer to an older
version) is kept as it was rather than dropped. Pure: no I/O, no server import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from forms.media import LOCATION
from forms.render import ALT, Field, build_page

Cell = str | int | float | bool | date | None

# How several choices share a cell: codes for a program to split, labels for a person.
CODE_SEPARATOR = ";"
LABEL_SEPARATOR = {"zh": "、", "en": "; "}
YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
ANSWERS = "answers"  # the name of the table of answers; a repeat group's is its path


@dataclass(frozen=True)
class Column:
    """One column: where its value is in a row's object, what it holds, how it is headed."""

    name: str  # the field's path, dotted: "survey.date"
    path: tuple[str, ...]  # keys from the row's object to the value
    kind: str  # text integer number date datetime boolean choice choices
    label: str  # the header in the export's language
    labels: tuple[str, ...] = ()  # the labels of the groups around it, outermost first
    options: Mapping[str, str] = field(default_factory=dict)  # stored code -> label


@dataclass(frozen=True)
class Sheet:
    """A table: the answers themselves, or the items of one repeat group."""

    name: str  # "answers", or the group's dotted path: "members"
    label: str
    groups: tuple[tuple[str, ...], ...]  # from the answer, the path to each repeat around
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Table:
    """Every sheet of a form, the answers first."""

    sheets: tuple[Sheet, ...]

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)


# ---------------------------------------------------------------- schema -> columns


def form_table(schema: dict[str, Any], lang: str = "zh") -> Table:
    """The tables of a form's answers, as its schema describes them."""
    page = build_page(schema, lang)
    answers: list[Column] = []
    sheets: list[Sheet] = []
    for section in page.pages:
        _walk(section, (), (), answers, sheets, ())
    main = Sheet(ANSWERS, "答案" if lang == "zh" else "Answers", (), tuple(answers))
    return Table(tuple(_unambiguous(s) for s in [main, *sheets]))


def _item_shape(repeat: Field) -> Field | None:
    """What one item of a repeat group holds: its template, or on a fresh page (which sends
    no template when its first, empty item stands for one; forms/render.py) that item."""
    return repeat.template or next(iter(repeat.items), None)


def _walk(
    node: Field,
    path: tuple[str, ...],
    labels: tuple[str, ...],
    columns: list[Column],
    sheets: list[Sheet],
    groups: tuple[tuple[str, ...], ...],
) -> None:
    if node.name.startswith(ALT):
        return  # which alternative applies is asked, not answered: its answers say it
    key = node.name.rsplit("/", 1)[-1]
    here = (*path, key)
    if node.kind in ("group", LOCATION):  # a location's parts are columns of their own
        for child in node.children:
            _walk(child, here, (*labels, node.label), columns, sheets, groups)
    elif node.kind == "repeat" and (shape := _item_shape(node)) is not None:
        inner: list[Column] = []
        within = (*groups, here)
        at = len(sheets)  # before the sheets of the groups inside it
        for child in shape.children:
            _walk(child, (), (), inner, sheets, within)
        name = ".".join(p for g in within for p in g)
        sheets.insert(at, Sheet(name, node.label or key, within, tuple(inner)))
    else:
        columns.append(
            Column(
                name=".".join(here),
                path=here,
                kind=_kind(node),
                label=node.label or key,
                labels=labels,
                options={o.value: o.label for o in node.options},
            )
        )


def _kind(node: Field) -> str:
    if node.type == "boolean":
        return "boolean"
    if node.kind == "checkboxes":
        return "choices"
    if node.kind in ("radio", "select") and node.options:
        return "choice"
    if node.type in ("integer", "number"):
        return node.type
    if node.kind == "date":
        return "date"
    return "text"


def _unambiguous(sheet: Sheet) -> Sheet:
    """Headers that tell columns apart: a label shared by two questions ("其他") takes the
    labels of the groups around it until it is unique, then its name."""
    columns = list(sheet.columns)
    for depth in range(1, 1 + max((len(c.labels) for c in columns), default=0)):
        seen: dict[str, int] = {}
        for c in columns:
            seen[c.label] = seen.get(c.label, 0) + 1
        if all(n == 1 for n in seen.values()):
            break
        columns = [
            replace(c, label="·".join([*c.labels[-depth:], c.label.split("·")[-1]]))
            if seen[c.label] > 1 and len(c.labels) >= depth
            else c
            for c in columns
        ]
    counts: dict[str, int] = {}
    for c in columns:
        counts[c.label] = counts.get(c.label, 0) + 1
    columns = [
        replace(c, label=f"{c.label} ({c.name})") if counts[c.label] > 1 else c for c in columns
    ]
    return replace(sheet, columns=tuple(columns))


def merge_tables(tables: Sequence[Table]) -> Table:
    """One table for answers to several versions, the newest first: its columns in its
    order, then each column only an older version has; an option keeps its newest label."""
    if not tables:
        return Table(())
    sheets: dict[str, Sheet] = {}
    for table in tables:
        for sheet in table.sheets:
            known = sheets.get(sheet.name)
            if known is None:
                sheets[sheet.name] = sheet
                continue
            by_name = {c.name: c for c in known.columns}
            for column in sheet.columns:
                if column.name not in by_name:
                    by_name[column.name] = column
                elif column.options:
                    newer = by_name[column.name]
                    by_name[column.name] = replace(
                        newer, options={**column.options, **newer.options}
                    )
            sheets[sheet.name] = replace(known, columns=tuple(by_name.values()))
    return Table(tuple(_unambiguous(s) for s in sheets.values()))


# ---------------------------------------------------------------- answers -> cells


Convert = Callable[[Any], Cell]


def converter(column: Column, codes: bool, lang: str = "zh") -> Convert:
    """How a stored value becomes this column's cell: labels for people, or the stored
    codes for programs; types kept either way."""
    kind = column.kind
    if kind in ("integer", "number"):
        return _number
    if kind == "date":
        return _date
    if kind == "boolean":
        if codes:
            return _boolean
        yes, no = YES_NO.get(lang, YES_NO["zh"])
        return lambda v: yes if v is True else no if v is False else _plain(v)
    if kind == "choice" and not codes:
        options = column.options
        return lambda v: options.get(str(v), _plain(v)) if v is not None else None
    if kind == "choices":
        if codes:
            return lambda v: CODE_SEPARATOR.join(map(str, v)) if isinstance(v, list) else _plain(v)
        options, joiner = column.options, LABEL_SEPARATOR.get(lang, "; ")
        return lambda v: (
            joiner.join(options.get(str(x), str(x)) for x in v)
            if isinstance(v, list)
            else _plain(v)
        )
    return _plain


def _plain(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | bool):
        return value  # type: ignore[no-any-return]
    return json.dumps(value, ensure_ascii=False)  # a tree where a value was expected


def _number(value: Any) -> Cell:
    return (
        value if isinstance(value, int | float) and not isinstance(value, bool) else _plain(value)
    )


def _boolean(value: Any) -> Cell:
    return value if isinstance(value, bool) else _plain(value)


def _date(value: Any) -> Cell:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return _plain(value)


def value_at(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def items(
    answers: Any, groups: tuple[tuple[str, ...], ...]
) -> Iterator[tuple[tuple[int, ...], Any]]:
    """(indexes, item) of each item of the innermost group, its outer groups' indexes first."""
    if not groups:
        yield (), answers
        return
    outer, rest = groups[0], groups[1:]
    found = value_at(answers, outer)
    if not isinstance(found, list):
        return
    for index, item in enumerate(found):
        if isinstance(item, dict):
            for inner, leaf in items(item, rest):
                yield (index, *inner), leaf
