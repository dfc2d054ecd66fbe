"""Reading the spreadsheets county offices keep: CSV in UTF-8 or GBK, columns named their way.

Rosters and place lists come from the national system or from someone's Excel,
saved as CSV in whatever encoding that machine used: UTF-8 (with or without a
BOM), GBK/GB18030, or Excel's "Unicode text" (UTF-16, tab-separated). Column
names vary by county and year (证件号码, 身份证号, 公民身份号码 ...) and their order
is free. This module turns the bytes into rows keyed by what each column means,
and says exactly what it did: the encoding, the delimiter, which header it took
for which field, which columns it understood but does not keep, and which it
did not understand at all (those are reported, never guessed at). No I/O here.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 10  # title lines above the header that are skipped (and said so)


@dataclass(frozen=True)
class Problem:
    """Why one line (0: the whole file) was refused, at which column as the file names it."""

    line: int
    column: str
    code: str
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        where = f"第 {self.line} 行" if lang == "zh" else f"line {self.line}"
        if self.line == 0:
            where = "文件" if lang == "zh" else "file"
        if self.column:
            where += f"「{self.column}」" if lang == "zh" else f" ({self.column})"
        return f"{where}：{self.zh}" if lang == "zh" else f"{where}: {self.en}"


class FileRefused(Exception):
    """The file as a whole cannot be read as a table: nothing in it is imported."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.problem = Problem(0, "", code, zh, en)


@dataclass(frozen=True)
class Column:
    """A column we understand: its key, its name in both languages, the headers it goes by."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    kept: bool = True  # False: understood, and deliberately not stored

    def names(self) -> tuple[str, ...]:
        return (self.zh, *self.aliases)


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]  # column key -> the cell, stripped ("" when blank)


@dataclass
class Table:
    """A file read as rows, with an account of how it was read."""

    encoding: str
    delimiter: str
    headers: dict[str, str]  # column key -> the header as the file writes it
    mapping: list[tuple[str, Column]]  # (header, column) for every understood header
    unknown: list[str]  # headers not understood (their values are not imported)
    skipped: list[int]  # lines above the header row
    rows: list[Row] = field(default_factory=list)
    blank_lines: int = 0
    problems: list[Problem] = field(default_factory=list)  # lines that are not rows at all
    # Those lines as far as they can be read: what they belonged to is refused with them.
    broken: list[Row] = field(default_factory=list)

    def header(self, key: str) -> str:
        """The header the file gives the column `key` ("" when it has no such column)."""
        return self.headers.get(key, "")


def header_key(text: str) -> str:
    """A header as compared: full-width folded, no spaces, no required-field stars."""
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s*＊\"']", "", folded)


def clean(value: str) -> str:
    """A cell without the spaces (ideographic too) around it, nor Excel's text markers."""
    value = value.strip().strip("\u3000").strip()
    if value.startswith('="') and value.endswith('"'):  # Excel's ="0123" keeps leading zeros
        value = value[2:-1]
    return value.lstrip("'\t").strip()


def ascii_digits(value: str) -> str:
    """Full-width digits and letters as ASCII (NFKC), spaces removed: for codes and numbers."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value))


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: UTF-8 (BOM or not) strictly, else GB18030."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            "not_csv",
            "这是 Excel 工作簿（xls/xlsx），请在 Excel 中“另存为”CSV 文件后再导入",
            "this is an Excel workbook (xls/xlsx); save it as CSV in Excel and import that",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise _undecodable(exc) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as exc:
            raise _undecodable(exc) from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030 (GBK)"
    except UnicodeDecodeError as exc:
        raise _undecodable(exc) from exc


def _undecodable(exc: UnicodeDecodeError) -> FileRefused:
    return FileRefused(
        "bad_encoding",
        f"文件编码无法识别：既不是 UTF-8，也不是 GBK/GB18030（第 {exc.start} 字节处）",
        f"cannot read the file: neither UTF-8 nor GBK/GB18030 (at byte {exc.start})",
    )


def _delimiter(text: str) -> str:
    head = text[:20_000]
    return "\t" if head.count("\t") > head.count(",") else ","


def read_table(
    data: bytes, columns: tuple[Column, ...], required: tuple[tuple[str, ...], ...]
) -> Table:
    """Decode `data`, find its header row and map it to `columns`.

    `required` lists, for each thing the import cannot do without, the column
    keys any one of which will do (a village code, or the village's name).
    Raises FileRefused for a file too large, not text, without a header row we
    recognise, missing a required column, or with two columns meaning the same.
    """
    if len(data) > MAX_BYTES:
        raise FileRefused(
            "too_large",
            f"文件过大（{len(data) / 1048576:.1f} MB），一次最多导入 {MAX_BYTES // 1048576} MB；"
            "请按乡镇拆成几个文件",
            f"the file is too large ({len(data) / 1048576:.1f} MB); at most "
            f"{MAX_BYTES // 1048576} MB at a time: split it by township",
        )
    text, encoding = decode(data)
    if "\x00" in text:
        raise FileRefused(
            "not_csv",
            "文件中有二进制内容，不是 CSV 文本文件",
            "the file holds binary content; it is not a CSV text file",
        )
    delimiter = _delimiter(text)
    records = _records(text, delimiter)
    by_name = {header_key(name): c for c in columns for name in c.names()}

    skipped: list[int] = []
    for line, cells in records:
        known = [header_key(c) in by_name for c in cells]
        if sum(known) >= 2:
            break
        if any(c.strip() for c in cells):
            skipped.append(line)
        if len(skipped) >= HEADER_SEARCH_ROWS:
            cells = []
            break
    else:
        cells = []
    if not cells:
        expected = "、".join(c.zh for c in columns if c.kept)
        raise FileRefused(
            "no_header",
            f"找不到表头：前 {HEADER_SEARCH_ROWS} 行中没有一行写着我们认识的列名（如 {expected}）",
            f"no header row: none of the first {HEADER_SEARCH_ROWS} lines names the columns"
            f" we know (such as {', '.join(c.en for c in columns if c.kept)})",
        )

    headers: dict[str, str] = {}
    where: dict[str, int] = {}
    index_of: dict[str, int] = {}
    mapping: list[tuple[str, Column]] = []
    unknown: list[str] = []
    unnamed: dict[int, str] = {}  # columns without a header; reported only if they hold data
    for i, raw in enumerate(cells):
        name = raw.strip()
        column = by_name.get(header_key(name))
        if not name:
            unnamed[i] = f"第 {i + 1} 列（无表头）"
            continue
        if column is None:
            unknown.append(name)
            continue
        mapping.append((name, column))
        if column.key in index_of and column.kept:
            raise FileRefused(
                "duplicate_column",
                f"有两列都表示「{column.zh}」：第 {where[column.key] + 1} 列「"
                f"{headers[column.key]}」和第 {i + 1} 列「{name}」，请删去一列",
                f"two columns both mean {column.en}: column {where[column.key] + 1}"
                f" ({headers[column.key]}) and column {i + 1} ({name}); remove one",
            )
        if column.kept:
            headers[column.key], where[column.key], index_of[column.key] = name, i, i

    missing = [keys for keys in required if not any(k in index_of for k in keys)]
    if missing:
        by_key = {c.key: c for c in columns}
        zh = "；".join("或".join(_named(by_key[k]) for k in keys) for keys in missing)
        en = "; ".join(" or ".join(by_key[k].en for k in keys) for keys in missing)
        raise FileRefused(
            "missing_column", f"缺少必需的列：{zh}", f"a required column is missing: {en}"
        )

    table = Table(encoding, delimiter, headers, mapping, unknown, skipped)
    width = len(cells)
    used_unnamed: set[int] = set()
    for line, row in records:
        if not any(c.strip() for c in row):
            table.blank_lines += 1
            continue
        if len(table.rows) >= MAX_ROWS:
            raise FileRefused(
                "too_many_rows",
                f"文件超过 {MAX_ROWS:,} 行，请按乡镇拆成几个文件",
                f"the file has more than {MAX_ROWS:,} rows; split it by township",
            )
        extra = [c for c in row[width:] if c.strip()]
        if extra:
            table.problems.append(
                Problem(
                    line,
                    "",
                    "extra_cells",
                    f"本行比表头多出 {len(row) - width} 个值（可能有未加引号的逗号），整行未导入",
                    f"this line has {len(row) - width} more cells than the header (an unquoted"
                    " comma?); it was not imported",
                )
            )
            table.broken.append(Row(line, _values(row, index_of)))
            continue
        used_unnamed.update(i for i in unnamed if i < len(row) and row[i].strip())
        table.rows.append(Row(line, _values(row, index_of)))
    table.unknown += [unnamed[i] for i in sorted(used_unnamed)]
    return table


def _values(row: list[str], index_of: dict[str, int]) -> dict[str, str]:
    return {key: clean(row[i]) if i < len(row) else "" for key, i in index_of.items()}


def _named(column: Column) -> str:
    aliases = "、".join(a for a in column.aliases if not a.isascii())[:40]
    return f"{column.zh}（{aliases}）" if aliases else column.zh


class _Records:
    """The CSV records of a text, each with the line it starts on; iterable in two passes
    (the header search stops part-way, the rows go on from there)."""

    def __init__(self, text: str, delimiter: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self

    def __next__(self) -> tuple[int, list[str]]:
        line = self._reader.line_num + 1
        try:
            return line, next(self._reader)
        except csv.Error as exc:
            raise FileRefused(
                "bad_csv",
                f"第 {line} 行不是有效的 CSV：{exc}",
                f"line {line} is not valid CSV: {exc}",
            ) from exc


def _records(text: str, delimiter: str) -> _Records:
    return _Records(text, delimiter)
