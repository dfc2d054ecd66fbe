"""A form's summary: counts and distributions per question, for any published form.

The village report and the county roll-up know the household form's fields by
name; this summary knows none. It walks the form's schema through the same page
model the phone is drawn from (forms/render.py), so a new form summarises without
code, like Kobo's summary report: per choice question the count and share of each
option (in the form's order, then 未答), per multiple choice the count of each
option over those who answered, per number its spread and a small histogram, per
date its range and months, per repeat group (members) how many items each answer
has and the same figures over all items. A question only asked under a condition
says how many were asked. Text, ID and phone numbers, photos and locations are
only counted as answered: their values are never printed (an ID number in a
summary handed round a meeting is a leak).

What is counted is one current answer per household (or per village, for a form
answered per village), as the reports count: the latest by survey date (then by
arrival) among the answers in the area and period that are not corrected since
and not rejected by a review. An answer about no roster household stands for
itself. Which answers are in the area and period is decided by the server (its
export filters and the asker's area, server/summaries.py) and handed over as a
WHERE clause; reading and counting happen here, in a render worker.

Answers to several versions are counted together under the newest version's
questions and labels; a question only an older version asked follows its
section, and it counts as asked only of answers to a version that had it. A value
that is none of a question's options (an older version's) counts under 其他值,
without being printed.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from forms.media import LOCATION, PHOTO
from forms.render import Field, build_page
from forms.schema import form_subject
from reports.draw import connect_readonly

# Bumped whenever the counting, template or stylesheet change what a summary shows.
SUMMARY_VERSION = "1"
READ_BATCH = 500  # answers read at a time

# kinds shown with counts only: their values may identify a person
COUNT_ONLY = ("text", "code", "phone", "photo", "location")


@dataclass(frozen=True)
class SummaryRequest:
    """What identifies one summary: the answers (chosen by the server) and how to show them.

    `where` and `params` pick the stored answers in the asker's area and the period:
    every revision that is not corrected since; the current one per household or
    village is chosen here. `area` is the place code asked (or the asker's area),
    `area_name` its name, "" for everything.
    """

    form_id: str
    where: str
    params: tuple[Any, ...]
    area: str = ""
    area_name: str = ""
    start: date | None = None
    end: date | None = None
    version: int | None = None
    lang: str = "zh"
    generated_by: str = "minsheng"

    def filename(self) -> str:
        span = ""
        if self.start or self.end:
            span = f"_{self.start or 'start'}_{self.end or 'end'}"
        version = f"_v{self.version}" if self.version else ""
        return f"summary_{self.form_id}_{self.area or 'all'}{version}{span}_{self.lang}.pdf"


# ---------------------------------------------------------------- the questions


@dataclass(eq=False)
class Question:
    """One question as counted, with its tally; `path` runs from the answer (or item)."""

    path: tuple[str, ...]
    kind: str  # choice choices boolean number date text code phone photo location
    label: str
    unit: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (code, label), form order
    conditions: tuple[tuple[tuple[str, ...], str, str], ...] = ()  # (object path, if, when)
    hint: str = ""  # when it is asked, in words
    versions: set[int] = field(default_factory=set)
    # the tally
    asked: int = 0
    answered: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    other: int = 0  # answered with a value none of the options (or of another type)
    values: list[float] = field(default_factory=list)

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def unanswered(self) -> int:
        return self.asked - self.answered

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)


@dataclass(eq=False)
class Repeat:
    """A repeat group (members, needs): its items are counted as rows of their own."""

    path: tuple[str, ...]
    label: str
    nodes: list[Question | Repeat] = field(default_factory=list)
    conditions: tuple[tuple[tuple[str, ...], str, str], ...] = ()
    hint: str = ""
    versions: set[int] = field(default_factory=set)
    asked: int = 0
    per_row: list[int] = field(default_factory=list)  # items in each answer (or outer item)

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def kind(self) -> str:
        return "repeat"

    @property
    def items(self) -> int:
        return sum(self.per_row)

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)


@dataclass(eq=False)
class Section:
    """A page of the form (a top-level property): a group of questions or a repeat group."""

    key: str
    label: str
    nodes: list[Question | Repeat] = field(default_factory=list)


def _kind(node: Field) -> str:
    if node.kind == PHOTO:
        return "photo"
    if node.kind == LOCATION:
        return "location"
    if node.type == "boolean":
        return "boolean"
    if node.kind == "checkboxes":
        return "choices" if node.options else "text"
    if node.kind in ("radio", "select") and node.options:
        return "choice"
    if node.type in ("integer", "number"):
        return "number"
    if node.kind == "date":
        return "date"
    if node.kind == "tel":
        return "phone"
    if "data-code" in node.attrs:
        return "code"
    return "text"


def _nodes(
    field_: Field,
    path: tuple[str, ...],
    labels: tuple[str, ...],
    conditions: tuple[tuple[tuple[str, ...], str, str], ...],
    hint: str,
    version: int,
) -> Iterator[Question | Repeat]:
    """The questions and repeat groups under a group, paths from the row they are in."""
    for child in field_.children:
        key = child.name.rsplit("/", 1)[-1]
        here = (*path, key)
        when = conditions
        said = hint
        if child.condition is not None:
            when = (*conditions, (path, json.dumps(child.condition.schema), child.condition.when))
            said = child.condition.hint
        if child.kind == "group":
            yield from _nodes(child, here, (*labels, child.label), when, said, version)
        elif child.kind == "repeat":
            shape = child.template or next(iter(child.items), None)
            repeat = Repeat(here, child.label or key, conditions=when, hint=said)
            repeat.versions.add(version)
            if shape is not None:
                repeat.nodes = list(_nodes(shape, (), (), (), "", version))
            yield repeat
        elif child.kind != "const":
            title = " · ".join([*labels, child.label or key])
            question = Question(
                here,
                _kind(child),
                title,
                child.unit,
                [(o.value, o.label) for o in child.options],
                when,
                said,
            )
            question.versions.add(version)
            yield question


def sections_of(schema: dict[str, Any], version: int, lang: str) -> list[Section]:
    """The form's sections and questions, as one version's schema has them."""
    page = build_page(schema, lang)
    found = []
    for top in page.pages:
        key = top.name.rsplit("/", 1)[-1]
        if top.kind == "group":
            when: tuple[tuple[tuple[str, ...], str, str], ...] = ()
            hint = ""
            if top.condition is not None:  # a section asked only sometimes
                when = (((), json.dumps(top.condition.schema), top.condition.when),)
                hint = top.condition.hint
            nodes = list(_nodes(top, (key,), (), when, hint, version))
        else:  # a repeat group or a single question on a page of its own
            holder = Field(kind="group", name="", type="object", label="", children=[top])
            nodes = list(_nodes(holder, (), (), (), "", version))
        found.append(Section(key, top.label or key, nodes))
    return found


def _merge_nodes(newer: list[Question | Repeat], older: list[Question | Repeat]) -> None:
    """Fold an older version's questions into the newer's: labels and order the newer's,
    options of both, a question only the older has after the others."""
    by_key = {(n.kind == "repeat", n.key): n for n in newer}
    for node in older:
        known = by_key.get((node.kind == "repeat", node.key))
        if known is None:
            newer.append(node)
            by_key[(node.kind == "repeat", node.key)] = node
            continue
        known.versions |= node.versions
        if isinstance(known, Repeat) and isinstance(node, Repeat):
            _merge_nodes(known.nodes, node.nodes)
        elif isinstance(known, Question) and isinstance(node, Question):
            codes = {code for code, _ in known.options}
            known.options += [(c, label) for c, label in node.options if c not in codes]


def merged_sections(schemas: dict[int, dict[str, Any]], lang: str) -> list[Section]:
    """The sections of several versions of a form, counted together (newest first)."""
    merged: list[Section] = []
    for version in sorted(schemas, reverse=True):
        for section in sections_of(schemas[version], version, lang):
            known = next((s for s in merged if s.key == section.key), None)
            if known is None:
                merged.append(section)
            else:
                _merge_nodes(known.nodes, section.nodes)
    return merged


# ---------------------------------------------------------------- counting


@cache
def _condition(schema_json: str) -> Any:
    return Draft202012Validator(json.loads(schema_json))


def _at(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _asked(conditions: tuple[tuple[tuple[str, ...], str, str], ...], row: Any) -> bool:
    for at, schema_json, when in conditions:
        holds = _condition(schema_json).is_valid(_at(row, at))
        if holds != (when == "then"):
            return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count_value(question: Question, value: Any) -> None:
    kind = question.kind
    if kind == "boolean":
        if isinstance(value, bool):
            question.counts["true" if value else "false"] += 1
        else:
            question.other += 1
    elif kind == "choice":  # a code none of the options is told apart when printed
        if isinstance(value, str | int | float):
            question.counts[str(value)] += 1
        else:
            question.other += 1
    elif kind == "choices":
        for chosen in value if isinstance(value, list) else [value]:
            if isinstance(chosen, str | int | float):
                question.counts[str(chosen)] += 1
            else:
                question.other += 1
    elif kind == "number":
        if _is_number(value):
            question.values.append(value)
        else:
            question.other += 1
    elif kind == "date":
        if isinstance(value, str) and len(value) == 10 and value[4] == "-":
            question.counts[value] += 1
        else:
            question.other += 1


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def count_row(nodes: list[Question | Repeat], row: Any, version: int) -> None:
    """Add one answer (or one item of a repeat group) to the tallies of `nodes`."""
    for node in nodes:
        if version not in node.versions:
            continue
        value = _at(row, node.path)
        if not _asked(node.conditions, row) and _empty(value):
            continue
        node.asked += 1
        if isinstance(node, Repeat):
            items = [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []
            node.per_row.append(len(items))
            for item in items:
                count_row(node.nodes, item, version)
            continue
        if _empty(value):
            continue
        node.answered += 1
        _count_value(node, value)


# ---------------------------------------------------------------- reading


@dataclass
class Summary:
    """The figures of one summary, ready to print."""

    form_id: str
    title: str
    sections: list[Section]
    versions: list[int]  # the versions counted (all the form has, or the one asked)
    versions_answered: list[int]  # the versions the counted answers were made with
    answers: int  # counted: the current answer of each household or village
    stored: int  # every answer in the area and period, earlier and corrected ones too
    subject: str  # household | village
    survey_span: tuple[str | None, str | None]
    request: SummaryRequest
    generated_at: str
    pages: int = 0  # once laid out


class UnknownForm(LookupError):
    """No version of this form (or not the version asked) is published."""


def _schemas(conn: sqlite3.Connection, form_id: str, version: int | None) -> dict[int, Any]:
    rows = conn.execute(
        "SELECT version, schema FROM form_versions"
        " WHERE form_id = ? AND (? IS NULL OR version = ?)",
        (form_id, version, version),
    ).fetchall()
    if not rows:
        raise UnknownForm(f"form {form_id!r}" + (f" version {version}" if version else ""))
    return {v: json.loads(s) for v, s in rows}


def _current_sql(request: SummaryRequest, village_versions: list[int]) -> str:
    """The rowids of the current answer of each household (village, or answer) among
    those `request.where` picks: not rejected, the latest survey, then the latest sent."""
    by_village = ",".join(str(int(v)) for v in village_versions) or "NULL"
    return f"""
        SELECT rid FROM (
            SELECT rowid AS rid, row_number() OVER (
                PARTITION BY CASE
                    WHEN household_id IS NOT NULL THEN 'h' || household_id
                    WHEN form_version IN ({by_village}) AND village_code IS NOT NULL
                        THEN 'v' || village_code
                    ELSE 'a' || id END
                ORDER BY survey_date DESC, received_at DESC, rowid DESC) AS n
            FROM submissions
            WHERE ({request.where})
              AND id NOT IN (SELECT submission_id FROM rejected_answers))
        WHERE n = 1"""


def build_summary(db_path: Path, request: SummaryRequest) -> Summary:
    """Count the summary's figures; raises UnknownForm for a form (or version) never published."""
    conn = connect_readonly(db_path)
    try:
        schemas = _schemas(conn, request.form_id, request.version)
        newest = schemas[max(schemas)]
        village_versions = [v for v, s in schemas.items() if form_subject(s) == "village"]
        sections = merged_sections(schemas, request.lang)
        nodes = [node for section in sections for node in section.nodes]
        conn.execute("DROP TABLE IF EXISTS temp.current")
        conn.execute(
            f"CREATE TEMP TABLE current AS {_current_sql(request, village_versions)}",
            request.params,
        )
        answered_versions: set[int] = set()
        answers = 0
        cursor = conn.execute(
            "SELECT s.form_version, s.answers FROM current c JOIN submissions s ON s.rowid = c.rid"
            " ORDER BY c.rid"
        )
        while batch := cursor.fetchmany(READ_BATCH):
            for version, text in batch:
                count_row(nodes, json.loads(text), version)
                answered_versions.add(version)
                answers += 1
        stored = conn.execute(
            f"SELECT count(*) FROM submissions WHERE {request.where}", request.params
        ).fetchone()[0]
        span = conn.execute(
            "SELECT min(s.survey_date), max(s.survey_date) FROM current c"
            " JOIN submissions s ON s.rowid = c.rid"
        ).fetchone()
    finally:
        conn.close()
    title = str(newest.get("title") or request.form_id)
    if request.lang == "en":
        title = str((newest.get("x-en") or {}).get("title") or title)
    return Summary(
        form_id=request.form_id,
        title=title,
        sections=sections,
        versions=sorted(schemas),
        versions_answered=sorted(answered_versions),
        answers=answers,
        stored=int(stored),
        subject=form_subject(newest),
        survey_span=(span[0], span[1]),
        request=request,
        generated_at=datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
    )


def cache_material(db_path: Path, request: SummaryRequest) -> list[Any]:
    """What a cached summary is keyed by besides the request: the answers it may count
    (their count, newest arrival and rowids), the reviews of the form's answers and its
    versions. Index reads, no answer is parsed."""
    conn = connect_readonly(db_path)
    try:
        answers = conn.execute(
            f"SELECT count(*), max(received_at), total(rowid) FROM submissions"
            f" WHERE {request.where}",
            request.params,
        ).fetchone()
        reviews = conn.execute(
            "SELECT count(*), max(r.id) FROM answer_reviews r"
            " JOIN submissions s ON s.id = r.submission_id WHERE s.form_id = ?",
            (request.form_id,),
        ).fetchone()
        versions = conn.execute(
            "SELECT group_concat(version || ':' || schema_hash, ',') FROM form_versions"
            " WHERE form_id = ?",
            (request.form_id,),
        ).fetchone()
    finally:
        conn.close()
    return [list(answers), list(reviews), versions[0], SUMMARY_VERSION]
