"""Reading an XLSForm workbook's sheets into rows of text, within bounds.

An .xlsx file is a zip of XML: a small upload can unpack to gigabytes, and a
sheet Excel once formatted to its last row holds a million empty rows. So the
file's size, what it unpacks to, the rows and the columns read are bounded
before and while openpyxl (read-only, streaming) reads it, and a workbook past
a bound is refused naming it. Everything below is text: a number cell `1` is
"1", a TRUE cell "true", a date cell "2024-05-01".

Columns are found by their header as XLSForm spells it (`label::中文 (zh)`,
`label::English (en)`, `label`, `constraint_message::Chinese`, `bind::relevant`
...); a column in a language minsheng does not show is reported by the caller.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Protocol

from forms.limits import MAX_FIELDS, MAX_SCHEMAS

MAX_FILE_BYTES = 5_000_000  # the .xlsx as uploaded
MAX_UNPACKED_BYTES = 50_000_000  # what its zip holds once unpacked
MAX_SURVEY_ROWS = 2 * MAX_FIELDS  # questions, and the begin and end rows of groups
MAX_CHOICE_ROWS = MAX_SCHEMAS  # every option is a schema of the form
MAX_COLUMNS = 100
MAX_ROWS_READ = 20_000  # rows of one sheet, empty ones included (Excel keeps formatted ones)
MAX_CELL_CHARACTERS = 10_000
SHEETS = ("survey", "choices", "settings")  # the sheets XLSForm reads


class XLSFormError(Exception):
    """A workbook that cannot be read as an XLSForm, with where (sheet, row, column)."""

    def __init__(
        self, zh: str, en: str, sheet: str = "", row: int | None = None, column: str = ""
    ) -> None:
        super().__init__(en)
        self.zh, self.en, self.sheet, self.row, self.column = zh, en, sheet, row, column

    def text(self, lang: str = "zh") -> str:
        return where(self.sheet, self.row, self.column, lang) + (
            self.en if lang == "en" else self.zh
        )


def where(sheet: str, row: int | None, column: str | None, lang: str) -> str:
    """`survey 表第 12 行「relevant」：` or `survey row 12, relevant: `; empty for none."""
    if not sheet:
        return ""
    if lang == "en":
        at = f"{sheet}" + (f" row {row}" if row else "") + (f", {column}" if column else "")
        return at + ": "
    at = f"{sheet} 表" + (f"第 {row} 行" if row else "") + (f"「{column}」" if column else "")
    return at + "："


class NoteTaker(Protocol):
    """Where what is not converted is written down (forms/xlsform.py's notes)."""

    def add(self, sheet: str, row: int | None, column: str | None, zh: str, en: str) -> None: ...


@dataclass
class Row:
    number: int  # as Excel numbers it, the header being 1
    cells: dict[str, str]  # header -> text, non-empty cells only


@dataclass
class Sheet:
    name: str
    headers: list[str]  # as written, in order
    rows: list[Row] = field(default_factory=list)


ZH_NAMES = {"chinese", "中文", "汉语", "简体中文", "普通话", "zh", "zh-cn", "zh_cn", "zh-hans"}
EN_NAMES = {"english", "英文", "英语", "en", "en-us", "en-gb"}
CJK = re.compile(r"[\u3400-\u9fff]")
TEXT_COLUMNS = ("label", "hint", "constraint_message")  # in Chinese and English columns
_CODE = re.compile(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\)\s*$")
# Other spellings of a column, as pyxform reads them.
ALIASES = {
    "relevance": "relevant",
    "bind::relevant": "relevant",
    "bind::required": "required",
    "bind::constraint": "constraint",
    "bind::calculate": "calculation",
    "calculate": "calculation",
    "constraint message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "bind::jr:constraintmsg": "constraint_message",
    "required message": "required_message",
    "jr:requiredmsg": "required_message",
    "bind::jr:requiredmsg": "required_message",
    "list name": "list_name",
    "read only": "read_only",
    "repeat count": "repeat_count",
    "choice filter": "choice_filter",
    "default_language": "default_language",
}


def language(text: str) -> str | None:
    """zh or en for a language as a column names it (`中文 (zh)`, `English`), else None."""
    text = text.strip()
    code = _CODE.search(text)
    if code:
        return {"zh": "zh", "en": "en"}.get(code.group(1).lower())
    name = text.lower()
    return "zh" if name in ZH_NAMES else "en" if name in EN_NAMES else None


def column(header: str) -> tuple[str, str | None]:
    """(the column's base name, the language after `::` or None): `label::中文 (zh)` is
    ("label", "中文 (zh)")."""
    text = header.strip()
    lowered = text.lower()
    if lowered in ALIASES:
        return ALIASES[lowered], None
    if "::" in text and not lowered.startswith(("bind::", "media::", "instance::", "body::")):
        base, _, lang = text.partition("::")
        base = ALIASES.get(base.strip().lower(), base.strip().lower())
        return base.replace(" ", "_"), lang.strip()
    if lowered.startswith("media::") and lowered.count("::") > 1:
        base, _, lang = text.rpartition("::")
        return base.lower(), lang.strip()
    return lowered.replace(" ", "_") if "::" not in lowered else lowered, None


def cell_text(value: Any) -> str:
    """A cell's value as the text XLSForm means by it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def read_workbook(data: bytes) -> dict[str, Sheet]:
    """The workbook's sheets by lower-case name (survey, choices, settings; others too).

    XLSFormError for a file that is not an .xlsx workbook or passes a bound."""
    if len(data) > MAX_FILE_BYTES:
        raise XLSFormError(
            f"文件 {len(data):,} 字节，超过 {MAX_FILE_BYTES // 1_000_000} MB 的上限",
            f"the file is {len(data):,} bytes, over the limit of {MAX_FILE_BYTES // 1_000_000} MB",
        )
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise XLSFormError(
            "这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入",
            "this is an old Excel (.xls) file: save it as .xlsx in Excel and import that",
        )
    if data[:4] != b"PK\x03\x04":
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_xlsx() from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise XLSFormError(
            f"文件解压后 {unpacked:,} 字节，超过 {MAX_UNPACKED_BYTES // 1_000_000} MB 的上限",
            f"the file unpacks to {unpacked:,} bytes, over the limit of "
            f"{MAX_UNPACKED_BYTES // 1_000_000} MB",
        )
    if "xl/workbook.xml" not in names:
        raise _not_xlsx()
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise _not_xlsx() from exc
    try:
        return {
            name.strip().lower(): _sheet(name.strip(), book[name])
            if name.strip().lower() in SHEETS
            else Sheet(name.strip(), [])  # not read: the caller lists it
            for name in book.sheetnames
        }
    finally:
        book.close()


def _not_xlsx() -> XLSFormError:
    return XLSFormError(
        "不是 Excel 工作簿（.xlsx），无法读取",
        "not an Excel workbook (.xlsx): it cannot be read",
    )


def _sheet(name: str, worksheet: Any) -> Sheet:
    limit = {"survey": MAX_SURVEY_ROWS, "choices": MAX_CHOICE_ROWS}.get(name.lower(), 100)
    rows = worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    sheet: Sheet | None = None
    read = 0
    for number, values in enumerate(rows, start=1):
        read += 1
        if read > MAX_ROWS_READ:
            raise XLSFormError(
                f"超过 {MAX_ROWS_READ:,} 行（含空行）；请删去表格下方的空行",
                f"more than {MAX_ROWS_READ:,} rows (empty ones included); delete the empty rows"
                " below the form",
                name,
            )
        texts = [cell_text(v) for v in values]
        if sheet is None:
            if not any(texts):
                continue  # blank lines above the header
            if len(texts) > MAX_COLUMNS and texts[MAX_COLUMNS]:
                raise XLSFormError(
                    f"超过 {MAX_COLUMNS} 列", f"more than {MAX_COLUMNS} columns", name, number
                )
            sheet = Sheet(name, texts[:MAX_COLUMNS])
            _check_headers(sheet, number)
            continue
        cells: dict[str, str] = {}
        for index, text in enumerate(texts[:MAX_COLUMNS]):
            if not text:
                continue
            header = sheet.headers[index] if index < len(sheet.headers) else ""
            if len(text) > MAX_CELL_CHARACTERS:
                raise XLSFormError(
                    f"单元格超过 {MAX_CELL_CHARACTERS:,} 个字",
                    f"a cell longer than {MAX_CELL_CHARACTERS:,} characters",
                    name,
                    number,
                    header,
                )
            cells[header or f"#{index + 1}"] = text
        if cells:
            sheet.rows.append(Row(number, cells))
            if len(sheet.rows) > limit:
                raise XLSFormError(
                    f"超过 {limit:,} 行，一份表单在手机上填不完这么多",
                    f"more than {limit:,} rows: too many for a form filled on a phone",
                    name,
                    number,
                )
    return sheet or Sheet(name, [])


def _check_headers(sheet: Sheet, number: int) -> None:
    seen: set[str] = set()
    for header in sheet.headers:
        if not header:
            continue
        if header in seen:
            raise XLSFormError("表头重复", "a header appears twice", sheet.name, number, header)
        seen.add(header)


@dataclass
class Texts:
    """Which columns hold which language of labels, hints and constraint messages."""

    columns: dict[str, dict[str, list[str]]]  # base -> zh/en -> headers

    @classmethod
    def of(cls, sheet: Sheet, default_language: str, notes: NoteTaker) -> Texts:
        """The columns of `sheet`; a column without a language is in `default_language`
        (as the settings sheet names it), or, when that is not Chinese or English, in the
        language its content is written in."""
        plain = language(default_language) if default_language else None
        columns: dict[str, dict[str, list[str]]] = {b: {"zh": [], "en": []} for b in TEXT_COLUMNS}
        for header in sheet.headers:
            base, lang = column(header)
            if base not in columns:
                continue
            code = plain or _by_content(sheet, header) if lang is None else language(lang)
            if code is None:
                notes.add(
                    sheet.name,
                    None,
                    header,
                    "此列未转换：minsheng 只显示中文和英文",
                    "this column is not converted: minsheng shows Chinese and English only",
                )
                continue
            columns[base][code].append(header)
        return cls(columns)

    def pick(self, row: Row, base: str) -> tuple[str, str]:
        """(Chinese, English) of a row's label, hint or constraint message."""
        found = []
        for lang in ("zh", "en"):
            texts = (row.cells.get(h, "") for h in self.columns[base][lang])
            found.append(next((t for t in texts if t), ""))
        return found[0], found[1]

    def has(self, base: str, lang: str) -> bool:
        return bool(self.columns[base][lang])

    def used(self) -> set[str]:
        return {h for langs in self.columns.values() for hs in langs.values() for h in hs}


def _by_content(sheet: Sheet, header: str) -> str:
    return "zh" if any(CJK.search(r.cells.get(header, "")) for r in sheet.rows) else "en"
