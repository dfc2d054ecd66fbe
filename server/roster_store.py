"""Importing a place list or a roster file: parse, check against the database, store, report.

One path for the command line, the admin page and the API. A file with any
refused line stores nothing, unless the person asked for the good lines (a
household with a bad line is refused whole). A dry run works out what the good
lines would create and change without writing. Writes go through the
places and roster upserts, which audit them (`place.upsert`, `household.import`),
in one transaction: a file is imported whole or not at all.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import msgspec

from server import audit
from server.db import Database
from server.errors import AppError, zh_en
from server.households import upsert_households
from server.place_import import PlaceIndex, VillagePath, parse_places
from server.places import store_places
from server.roster_csv import FileRefused, Problem, Table
from server.roster_import import HouseholdRow, parse_households

KINDS = ("places", "households")
MAX_LISTED = 1000  # problems listed in a report; `errors_total` counts them all


class ImportProblem(msgspec.Struct):
    """A refused line: its number (0 for the whole file), the column as the file names it."""

    line: int
    column: str
    code: str
    zh: str
    en: str


class ImportColumn(msgspec.Struct):
    header: str  # as the file writes it
    field: str
    zh: str
    en: str
    kept: bool  # False: understood, not stored


class ImportReport(msgspec.Struct):
    """What an import found in a file and did (or, for a dry run, would do) with it."""

    kind: str
    dry_run: bool
    imported: bool
    encoding: str
    delimiter: str
    lines: int  # data lines read
    columns: list[ImportColumn]
    unknown_columns: list[str]
    skipped_lines: list[int]
    found: int  # places, or households, in the file
    people: int  # roster: people (lines) in the file
    good: int
    rejected: int
    created: int
    changed: int
    unchanged: int
    errors: list[ImportProblem]
    errors_total: int
    code: str = "imported"  # "imported", "dry_run" or "rows_refused" (nothing stored)
    detail: str = ""  # the summary, in the request's language (set by the API)

    def summary(self, lang: str = "zh") -> str:
        what = {"places": ("处地点", "places"), "households": ("户", "households")}[self.kind]
        if lang == "en":
            found = f"{self.found} {what[1]} in the file, {self.rejected} refused"
            if self.errors_total:
                found += f" ({self.errors_total} problems)"
            counts = f"{self.created} created, {self.changed} changed, {self.unchanged} unchanged"
            if self.imported:
                return f"{found}; {counts}"
            if self.dry_run:
                return f"{found}; importing would give {counts}"
            return f"{found}; nothing imported"
        found = f"文件中 {self.found} {what[0]}，其中 {self.rejected} {what[0]}有错"
        if self.errors_total:
            found += f"（共 {self.errors_total} 处）"
        counts = f"新增 {self.created}，修改 {self.changed}，未变 {self.unchanged}"
        if self.imported:
            return f"{found}；{counts}"
        if self.dry_run:
            return f"{found}；如导入：{counts}"
        return f"{found}；未导入任何内容"


def refused(problem: Problem) -> AppError:
    """The AppError a file refused as a whole answers with."""
    status = 413 if problem.code in ("too_large", "too_many_rows") else 422
    return AppError(status, problem.code, zh_en(problem.zh, problem.en))


async def known_places(db: Database) -> dict[str, str]:
    rows = await db.fetch_all("SELECT code, name FROM places")
    return {r["code"]: r["name"] for r in rows}


async def place_index(db: Database) -> PlaceIndex:
    rows = await db.fetch_all(
        "SELECT v.code, v.name, v.township_name, v.county_name, v.city_name,"
        " p.name AS province_name FROM villages v"
        " JOIN places p ON p.code = substr(v.code, 1, 2) || '0000000000'"
    )
    return PlaceIndex(
        VillagePath(
            r["code"],
            r["name"],
            r["township_name"],
            r["county_name"],
            r["city_name"],
            r["province_name"],
        )
        for r in rows
    )


async def import_file(
    db: Database,
    actor: audit.Actor | str,
    kind: str,
    data: bytes,
    *,
    good_rows: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import a place list (`kind` "places") or a roster export ("households").

    Raises AppError 413/422 when the file cannot be read as a table at all
    (too large, not CSV, no header we know, a required column missing).
    """
    if kind not in KINDS:
        raise AppError(404, "not_found", zh_en(f"没有 {kind} 这种导入", f"no import of {kind!r}"))
    try:
        if kind == "places":
            known = await known_places(db)
            parsed_places = await asyncio.to_thread(parse_places, data, known)
            table, problems = parsed_places.table, parsed_places.problems
            found, rejected, people = parsed_places.found, parsed_places.rejected, 0
        else:
            index = await place_index(db)
            parsed = await asyncio.to_thread(parse_households, data, index)
            conflicts = await _head_conflicts(db, parsed.table, parsed.households)
            problems = sorted([*parsed.problems, *conflicts.values()], key=lambda p: p.line)
            households = [h for h in parsed.households if h.roster_no not in conflicts]
            table, found, people = parsed.table, parsed.found, parsed.people
            rejected = parsed.rejected + len(parsed.households) - len(households)
    except FileRefused as exc:
        raise refused(exc.problem) from exc

    report = _report(kind, table, problems, dry_run, found, rejected, people)
    if problems and not good_rows and not dry_run:
        report.code = "rows_refused"
        return report
    try:
        if kind == "places":
            counts = await store_places(db, actor, parsed_places.rows, dry_run=dry_run)
        else:
            counts = await upsert_households(
                db, actor, [h.values for h in households], dry_run=dry_run
            )
    except sqlite3.IntegrityError as exc:
        # Another write changed the roster between our checks and this one.
        raise AppError(
            409,
            "roster_changed",
            zh_en(
                "导入期间花名册被其他操作修改，未导入任何内容，请重新导入",
                "the roster changed while importing; nothing was imported, import again",
            ),
        ) from exc
    report.created, report.changed, report.unchanged = counts
    report.imported = not dry_run
    report.code = "dry_run" if dry_run else "imported"
    return report


def _report(
    kind: str,
    table: Table,
    problems: list[Problem],
    dry_run: bool,
    found: int,
    rejected: int,
    people: int,
) -> ImportReport:
    return ImportReport(
        kind=kind,
        dry_run=dry_run,
        imported=False,
        encoding=table.encoding,
        delimiter="tab" if table.delimiter == "\t" else "comma",
        lines=len(table.rows) + len(table.problems),
        columns=[ImportColumn(h, c.key, c.zh, c.en, c.kept) for h, c in table.mapping],
        unknown_columns=table.unknown,
        skipped_lines=table.skipped,
        found=found,
        people=people,
        good=found - rejected,
        rejected=rejected,
        created=0,
        changed=0,
        unchanged=0,
        errors=[ImportProblem(p.line, p.column, p.code, p.zh, p.en) for p in problems[:MAX_LISTED]],
        errors_total=len(problems),
    )


async def _head_conflicts(
    db: Database, table: Table, households: list[HouseholdRow]
) -> dict[str, Problem]:
    """A household found by its 户编号 whose new head's ID number is another roster household's
    head: storing it would make two households of one head, so it is refused."""
    numbers = [h.values["head_id_number"] for h in households if h.values["head_id_number"]]
    holders: dict[str, Any] = {}
    by_roster_no: dict[str, str] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in await db.fetch_all(
            "SELECT id, roster_no, head_id_number FROM households WHERE head_id_number IN"
            f" ({marks}) AND status IN ('active', 'proposed')",
            tuple(chunk),
        ):
            holders[row["head_id_number"]] = row
    roster_nos = [h.roster_no for h in households if h.values["head_id_number"] in holders]
    for start in range(0, len(roster_nos), 500):
        chunk = roster_nos[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in await db.fetch_all(
            f"SELECT id, roster_no FROM households WHERE roster_no IN ({marks})", tuple(chunk)
        ):
            by_roster_no[row["roster_no"]] = row["id"]
    problems = {}
    for household in households:
        holder = holders.get(household.values["head_id_number"])
        mine = by_roster_no.get(household.roster_no)
        if holder is not None and mine is not None and holder["id"] != mine:
            problems[household.roster_no] = Problem(
                household.head_line,
                table.header("id_number"),
                "head_on_another_household",
                f"户主证件号码 {household.values['head_id_number']} 已是花名册中另一户"
                f"（户编号 {holder['roster_no'] or '无'}）的户主",
                f"the head's ID number {household.values['head_id_number']} is the head of"
                f" another roster household (number {holder['roster_no'] or 'none'})",
            )
    return problems
