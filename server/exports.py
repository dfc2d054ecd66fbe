"""Exports: a form's stored answers as CSV, XLSX or JSON Lines, for analysts.

Officials open answers in Excel, statisticians in R or Stata, other systems read
them line by line. An export is read in keyset pages (by rowid, like the listing)
and written as it goes, so its memory does not grow with the data; its columns
come from the form's schemas (forms/table.py), so any published form exports.

Who: admins, and officials for their area. Cadres may not: they work one household
at a time and can read those answers in the app; a file of their households' ID
numbers on a field worker's phone would be a leak without an analysis to show for
it. Every row is narrowed by `area_sql`, whatever filters are asked; a place filter
outside one's area is 403. Each export is audited (`submission.export`).

An export covers the answers stored when it began: answers stored while it is
written are left for the next one, so a file is one moment's data. By default it
holds each answer's current revision; `all_revisions` adds the corrected ones.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

import aiosqlite

from forms.rules import DERIVED
from forms.table import (
    ANSWERS,
    Cell,
    Column,
    Sheet,
    Table,
    converter,
    form_table,
    items,
    merge_tables,
    value_at,
)
from server import audit
from server.auth import Principal
from server.authz import Place, area_sql, require
from server.db import Database
from server.errors import AppError, not_found, zh_en
from server.export_files import XlsxBook, csv_chunk, jsonl_line
from server.form_versions import FormVersion, get_version

FORMATS: tuple[str, ...] = ("csv", "xlsx", "jsonl")
PAGE = 500  # answers read at a time: a few MB of JSON at most
CODE = {"village_code": r"[0-9]{12}", "county_code": r"[0-9]{6}", "place": r"[0-9]{2,12}"}
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ExportSpec:
    """What to export and how; `check` says what is wrong with it (400)."""

    form_id: str
    format: str = "csv"
    village_code: str | None = None
    county_code: str | None = None
    place: str | None = None  # any code prefix: province, city, county, township, village
    start: date | None = None
    end: date | None = None
    by: str = "survey"  # the period is of survey dates, or of the days answers arrived
    version: int | None = None
    table: str = ANSWERS  # CSV holds one table: the answers or one repeat group
    names: bool = False  # headers are field names (survey.date), not labels
    codes: bool = False  # values are stored codes (ordinary_poor), not labels
    lang: str = "zh"
    all_revisions: bool = False

    def check(self) -> None:
        for name, pattern in CODE.items():
            value = getattr(self, name)
            if value is not None and not re.fullmatch(pattern, value):
                raise _bad(
                    "bad_place",
                    f"{name} 应为 {pattern} 位数字代码，而不是 {value[:20]!r}",
                    f"{name} must be digits {pattern}, not {value[:20]!r}",
                )
        if self.format not in FORMATS:
            raise _bad(
                "bad_format", "format 只能是 csv、xlsx 或 jsonl", "format is csv, xlsx or jsonl"
            )
        if self.by not in ("survey", "received"):
            raise _bad("bad_period", "by 只能是 survey 或 received", "by is survey or received")
        if self.start and self.end and self.start > self.end:
            raise AppError(  # well formed, but no day is in it: 422 like an unknown place
                422,
                "bad_period",
                zh_en("起始日期 from 不能晚于截止日期 to", "from must not be after to"),
            )

    @property
    def places(self) -> list[str]:
        return [p for p in (self.village_code, self.county_code, self.place) if p]

    def filename(self, today: date) -> str:
        where = "-".join(self.places) or "all"
        table = "" if self.format != "csv" or self.table == ANSWERS else f"-{self.table}"
        return f"{self.form_id}-{where}{table}-{today:%Y%m%d}.{self.format}"


def _bad(code: str, zh: str, en: str) -> AppError:
    return AppError(400, code, zh_en(zh, en))


@dataclass
class _Layout:
    """A sheet as written: its header and how each cell of a row is made."""

    sheet: Sheet
    header: list[str]
    cells: list[tuple[tuple[str, ...], Callable[[Any], Cell]]]  # path in answers, converter
    derived: list[tuple[str, Callable[[Any], Cell]]] = field(default_factory=list)


@dataclass
class Export:
    """An export ready to be read: its tables, its query, the answers it covers."""

    spec: ExportSpec
    table: Table
    where: str
    params: list[Any]
    upto: int  # the last rowid stored when it began
    villages: dict[str, str]
    zone: ZoneInfo
    layouts: dict[str, _Layout] = field(default_factory=dict)

    @classmethod
    async def prepare(
        cls, db: Database, principal: Principal, spec: ExportSpec, timezone: str
    ) -> Export:
        """Check the spec and who asks (400, 403, 404), find the columns and the rows."""
        spec.check()
        for place in spec.places:
            await require(db, principal, "export.read", Place(place))
        if not spec.places:
            await require(db, principal, "export.read")
        versions = [
            r[0]
            for r in await db.fetch_all(
                "SELECT version FROM form_versions WHERE form_id = ? ORDER BY version DESC",
                (spec.form_id,),
            )
        ]
        if not versions:
            raise not_found(f"调查表 {spec.form_id!r}", f"form {spec.form_id!r}")
        if spec.version is not None:
            await get_version(db, spec.form_id, spec.version)  # 404 for a version it lacks
            versions = [spec.version]
        tables = [_form_table(await get_version(db, spec.form_id, v), spec.lang) for v in versions]
        table = merge_tables(tables)
        if spec.format == "csv" and table.sheet(spec.table) is None:
            names = ", ".join(s.name for s in table.sheets)
            raise AppError(
                422,
                "bad_table",
                zh_en(
                    f"调查表没有 {spec.table[:40]!r} 这张表；可选：{names}",
                    f"the form has no table {spec.table[:40]!r}; it has: {names}",
                ),
            )
        zone = ZoneInfo(timezone)
        where, params = answers_where(principal, spec, zone)
        top = await db.fetch_one("SELECT coalesce(max(rowid), 0) FROM submissions")
        villages = {r[0]: r[1] for r in await db.fetch_all("SELECT code, name FROM villages")}
        export = cls(spec, table, where, params, top[0], villages, zone)
        export.layouts = {s.name: export._layout(s) for s in table.sheets}
        return export

    # ------------------------------------------------------------ reading

    async def count(self, db: Database) -> int:
        row = await db.fetch_one(
            f"SELECT count(*) FROM submissions WHERE {self.where} AND rowid <= ?",
            (*self.params, self.upto),
        )
        return int(row[0])

    async def pages(self, db: Database) -> AsyncIterator[list[Any]]:
        """The answers, PAGE at a time in stored order, each page on a fresh read."""
        position = 0
        while True:
            rows = await db.fetch_all(
                "SELECT rowid AS position, id, form_version, received_at, village_code,"
                " household_id, submitted_by, corrects, corrected_by, answers, derived"
                f" FROM submissions WHERE {self.where} AND rowid > ? AND rowid <= ?"
                " ORDER BY rowid LIMIT ?",
                (*self.params, position, self.upto, PAGE),
            )
            if not rows:
                return
            yield rows
            if len(rows) < PAGE:
                return
            position = rows[-1]["position"]

    # ------------------------------------------------------------ rows

    def _layout(self, sheet: Sheet) -> _Layout:
        spec, zh = self.spec, self.spec.lang == "zh"

        def head(column: Column) -> str:
            return column.name if spec.names else column.label

        def convert(column: Column) -> Callable[[Any], Cell]:
            return converter(column, spec.codes, spec.lang)

        if sheet.name == ANSWERS:
            header = [
                name if spec.names else (zh_label if zh else en_label)
                for name, zh_label, en_label in _ANSWER_FIELDS
            ]
            derived = [
                (key, converter(Column(key, (key,), kind, ""), spec.codes, spec.lang))
                for key, _, _, kind in DERIVED.get(spec.form_id, [])
            ]
            header += [head(c) for c in sheet.columns]
            header += [
                f"derived.{key}" if spec.names else (label_zh if zh else label_en)
                for key, label_zh, label_en, _ in DERIVED.get(spec.form_id, [])
            ]
            cells = [(c.path, convert(c)) for c in sheet.columns]
            return _Layout(sheet, header, cells, derived)
        header = ["answer_id" if spec.names else ("答案编号" if zh else "Answer id")]
        for group in sheet.groups:
            name = ".".join(group)
            outer = self.table.sheet(name)
            label = outer.label if outer else name
            header.append(f"{name}.index" if spec.names else f"{label}{'序号' if zh else ' index'}")
        header += [head(c) for c in sheet.columns]
        return _Layout(sheet, header, [(c.path, convert(c)) for c in sheet.columns])

    def header(self, sheet: str) -> list[str]:
        return self.layouts[sheet].header

    def rows(self, sheet: str, page: list[Any]) -> list[list[Cell]]:
        """The rows of one sheet for a page of stored answers (CPU only: run in a thread)."""
        layout = self.layouts[sheet]
        out: list[list[Cell]] = []
        for stored in page:
            answers = json.loads(stored["answers"])
            if sheet == ANSWERS:
                derived = json.loads(stored["derived"])
                row: list[Cell] = [
                    stored["id"],
                    stored["form_version"],
                    self._local(stored["received_at"]),
                    stored["village_code"],
                    self.villages.get(stored["village_code"] or ""),
                    stored["household_id"],
                    stored["submitted_by"],
                    stored["corrects"],
                ]
                row += [conv(value_at(answers, path)) for path, conv in layout.cells]
                row += [conv(derived.get(key)) for key, conv in layout.derived]
                out.append(row)
                continue
            for indexes, item in items(answers, layout.sheet.groups):
                out.append(
                    [stored["id"], *indexes, *(conv(value_at(item, p)) for p, conv in layout.cells)]
                )
        return out

    def _local(self, received_at: str) -> datetime | str:
        try:
            moment = datetime.fromisoformat(received_at)
        except ValueError:
            return received_at
        return moment.astimezone(self.zone).replace(tzinfo=None)

    # ------------------------------------------------------------ files

    async def csv(self, db: Database, progress: Progress | None = None) -> AsyncIterator[bytes]:
        table, done = self.spec.table, 0
        yield csv_chunk([self.header(table)], first=True)
        async for page in self.pages(db):
            yield await asyncio.to_thread(self._csv, table, page)
            done += len(page)
            if progress:
                progress(done)

    def _csv(self, table: str, page: list[Any]) -> bytes:
        return csv_chunk(self.rows(table, page))

    async def jsonl(self, db: Database, progress: Progress | None = None) -> AsyncIterator[bytes]:
        done = 0
        async for page in self.pages(db):
            yield await asyncio.to_thread(self._jsonl, page)
            done += len(page)
            if progress:
                progress(done)

    def _jsonl(self, page: list[Any]) -> bytes:
        lines = []
        for r in page:
            record = {
                "id": r["id"],
                "form_id": self.spec.form_id,
                "version": r["form_version"],
                "received_at": r["received_at"],
                "village_code": r["village_code"],
                "household_id": r["household_id"],
                "submitted_by": r["submitted_by"],
                "corrects": r["corrects"],
                "corrected_by": r["corrected_by"],
            }
            lines.append(jsonl_line(record, r["answers"], r["derived"]))
        return "".join(lines).encode("utf-8")

    async def xlsx(
        self, db: Database, target: str | IO[bytes], tmpdir: str, progress: Progress | None = None
    ) -> None:
        """Write the workbook to `target`: every sheet, rows as the pages arrive."""
        book = XlsxBook(target, tmpdir)
        try:
            for sheet in self.table.sheets:
                book.add_sheet(sheet.name, sheet.label, self.header(sheet.name))
            done = 0
            async for page in self.pages(db):
                await asyncio.to_thread(self._xlsx_page, book, page)
                done += len(page)
                if progress:
                    progress(done)
        finally:
            await asyncio.to_thread(book.close)

    def _xlsx_page(self, book: XlsxBook, page: list[Any]) -> None:
        for sheet in self.table.sheets:
            book.write(sheet.name, self.rows(sheet.name, page))


# (field name, zh, en) of what every stored answer has besides its answers
_ANSWER_FIELDS = (
    ("id", "答案编号", "Answer id"),
    ("version", "版本", "Version"),
    ("received_at", "接收时间", "Received"),
    ("village_code", "花名册村代码", "Roster village code"),
    ("village_name", "村名", "Village"),
    ("household_id", "花名册户编号", "Roster household id"),
    ("submitted_by", "提交人", "Submitted by"),
    ("corrects", "所更正的答案", "Corrects"),
)

_TABLES: dict[tuple[str, str], Table] = {}


def _form_table(version: FormVersion, lang: str) -> Table:
    """A version's table, made once per process (versions never change)."""
    key = (version.schema_hash, lang)
    if key not in _TABLES:
        if len(_TABLES) >= 64:
            _TABLES.clear()
        _TABLES[key] = form_table(version.schema, lang)
    return _TABLES[key]


def answers_where(principal: Principal, spec: ExportSpec, zone: ZoneInfo) -> tuple[str, list[Any]]:
    """The WHERE clause (on `submissions`) of the answers `spec` asks for that `principal`
    may read: the form, their area, the places, version, revisions and period asked.
    A form's summary (server/summaries.py) picks its answers with it too."""
    area, params = area_sql(principal, "village_code", "household_id")
    where = ["form_id = ?", area]
    params = [spec.form_id, *params]
    for prefix in spec.places:
        where.append("village_code >= ? AND village_code < ?")
        params += [prefix, prefix + ":"]  # ':' sorts just after '9'
    if spec.version is not None:
        where.append("form_version = ?")
        params.append(spec.version)
    if not spec.all_revisions:
        where.append("corrected_by IS NULL")
    if spec.by == "survey":
        if spec.start:
            where.append("survey_date >= ?")
            params.append(spec.start.isoformat())
        if spec.end:
            where.append("survey_date <= ?")
            params.append(spec.end.isoformat())
    else:  # the days answers arrived, in the surveys' time zone; stored times are UTC
        if spec.start:
            where.append("received_at >= ?")
            params.append(_utc(spec.start, zone))
        if spec.end and spec.end < date.max:
            where.append("received_at < ?")
            params.append(_utc(spec.end + timedelta(days=1), zone))
    return " AND ".join(where), params


def _utc(day: date, zone: ZoneInfo) -> str:
    try:
        moment = datetime.combine(day, time(0), zone).astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of Greenwich is in year 0, which Python lacks
        return "0000-01-01T00:00:00.000Z"
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


async def record_export(db: Database, principal: Principal, spec: ExportSpec) -> None:
    """Audit an export: who took which answers out, and how."""

    async def work(conn: aiosqlite.Connection) -> None:
        await audit.record(
            conn,
            principal.actor,
            "submission.export",
            f"form:{spec.form_id}",
            format=spec.format,
            places=spec.places,
            period=[spec.by, _day(spec.start), _day(spec.end)],
            version=spec.version,
            **({"table": spec.table} if spec.format == "csv" else {}),
        )

    await db.write(work)
