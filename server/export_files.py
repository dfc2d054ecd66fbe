"""The three files an export is written as: CSV, XLSX and JSON Lines, each written as
rows arrive so that memory stays the same however many answers there are.

- CSV is one table (the answers, or one repeat group), UTF-8 with a byte-order mark:
  Excel on a Chinese Windows reads a file without it as GBK and garbles every
  label. A text cell that starts like a formula (= + - @) is written with a leading
  apostrophe, so a crafted answer cannot run as a formula in an official's Excel.
- XLSX has every table, one sheet each, with numbers, dates and booleans typed as
  such. It is written by XlsxWriter in constant_memory mode: each row goes to a
  temporary file as it is written and strings are stored inline, so memory stays
  flat (openpyxl's write-only mode keeps every distinct string in memory for the
  shared-strings table: ID numbers and names are all distinct), and it writes
  several times faster. A sheet that reaches Excel's row limit goes on in another.
- JSON Lines is one stored answer a line, as the API gives it: its answers are the
  stored JSON itself, never parsed and written again.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter

from forms.table import Cell

CSV_MEDIA_TYPE = "text/csv"  # litestar adds "; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSONL_MEDIA_TYPE = "application/x-ndjson"
BOM = "\ufeff"
EXCEL_MAX_ROWS = 1_048_576
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


# ---------------------------------------------------------------- CSV


def csv_text(cell: Cell) -> str:
    """A cell as CSV text: ISO dates, true/false, numbers as JSON writes them."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ", timespec="seconds")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, str):
        return "'" + cell if cell.startswith(_FORMULA_START) else cell
    return repr(cell)


def csv_chunk(rows: Sequence[Sequence[Cell]], *, first: bool = False) -> bytes:
    """Rows as CSV bytes; the first chunk of a file starts with the byte-order mark."""
    out = io.StringIO()
    if first:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([csv_text(c) for c in row] for row in rows)
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------- JSON Lines


def jsonl_line(record: dict[str, Any], answers_json: str, derived_json: str) -> str:
    """One stored answer as a line: its fields, then its answers and derived figures as
    the JSON text stored (a line break in it would split the line: parsed again then)."""
    if "\n" in answers_json or "\r" in answers_json:
        answers_json = json.dumps(json.loads(answers_json), ensure_ascii=False)
    if "\n" in derived_json or "\r" in derived_json:
        derived_json = json.dumps(json.loads(derived_json), ensure_ascii=False)
    head = json.dumps(record, ensure_ascii=False)
    return f'{head[:-1]}, "answers": {answers_json}, "derived": {derived_json}}}\n'


# ---------------------------------------------------------------- XLSX


def sheet_name(label: str, taken: set[str]) -> str:
    """A name Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    base = _SHEET_NAME_BAD.sub("_", label).strip("'") or "sheet"
    name, n = base[:31], 1
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


class XlsxBook:
    """A workbook written row by row: `add_sheet` each table, then `write` rows to them
    in any order between sheets (in order within one), then `close`."""

    def __init__(self, target: str | IO[bytes], tmpdir: str | None = None) -> None:
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "tmpdir": tmpdir,
                # Answers are data, never formulas, links or numbers in disguise.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.bold = self.book.add_format({"bold": True})
        self.day = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.moment = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._names: set[str] = set()
        self._sheets: dict[str, _Sheet] = {}

    def add_sheet(self, key: str, label: str, header: Sequence[str]) -> None:
        self._sheets[key] = _Sheet(self, label, list(header))

    def write(self, key: str, rows: Sequence[Sequence[Cell]]) -> None:
        sheet = self._sheets[key]
        for row in rows:
            sheet.write(row)

    def close(self) -> None:
        self.book.close()


class _Sheet:
    def __init__(self, book: XlsxBook, label: str, header: list[str]) -> None:
        self.book, self.label, self.header = book, label, header
        self.parts = 0
        self._next_part()

    def _next_part(self) -> None:
        self.parts += 1
        label = self.label if self.parts == 1 else f"{self.label} ({self.parts})"
        self.sheet = self.book.book.add_worksheet(sheet_name(label, self.book._names))
        self.sheet.set_column(0, max(len(self.header) - 1, 0), 14)
        self.sheet.freeze_panes(1, 0)
        self.sheet.write_row(0, 0, self.header, self.book.bold)
        self.row = 1

    def write(self, cells: Sequence[Cell]) -> None:
        if self.row >= EXCEL_MAX_ROWS:
            self._next_part()
        sheet, row, book = self.sheet, self.row, self.book
        for col, cell in enumerate(cells):
            if cell is None:
                continue
            if isinstance(cell, str):
                sheet.write_string(row, col, cell)
            elif isinstance(cell, bool):
                sheet.write_boolean(row, col, cell)
            elif isinstance(cell, int | float):
                sheet.write_number(row, col, cell)
            elif isinstance(cell, datetime):
                sheet.write_datetime(row, col, cell, book.moment)
            else:  # a date
                sheet.write_datetime(row, col, datetime(cell.year, cell.month, cell.day), book.day)
        self.row = row + 1
