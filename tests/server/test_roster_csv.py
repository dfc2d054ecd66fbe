"""Reading officials' CSV files: encodings, header rows, column names; refusing the unreadable."""

from __future__ import annotations

import pytest

from server import roster_csv
from server.roster_csv import Column, FileRefused, decode, read_table

COLUMNS = (
    Column("code", "代码", "code", ("区划代码", "code")),
    Column("name", "名称", "name", ("单位名称",)),
    Column("count", "户数", "households", ("总户数",)),
    Column("note", "备注", "note", (), kept=False),
)
REQUIRED = (("code",), ("name",))


def test_utf8_with_and_without_bom_gbk_and_utf16_are_each_named() -> None:
    text = "代码,名称\n620523000000,甘谷县\n"
    assert decode(text.encode("utf-8")) == (text, "UTF-8")
    assert decode(text.encode("utf-8-sig")) == (text, "UTF-8 (BOM)")
    assert decode(text.encode("gb18030")) == (text, "GB18030 (GBK)")
    assert decode(text.encode("gbk")) == (text, "GB18030 (GBK)")
    assert decode(text.encode("utf-16")) == (text, "UTF-16")


def test_excel_tab_separated_unicode_text_is_read() -> None:
    table = read_table("代码\t名称\r\n620523000000\t甘谷县\r\n".encode("utf-16"), COLUMNS, REQUIRED)
    assert table.delimiter == "\t"
    assert [r.values for r in table.rows] == [{"code": "620523000000", "name": "甘谷县"}]


def test_headers_are_matched_in_any_order_with_full_width_brackets_spaces_and_stars() -> None:
    data = " 名 称 ,＊区划代码,总户数\n甘谷县,620523000000,1\n".encode("gb18030")
    table = read_table(data, COLUMNS, REQUIRED)
    assert table.headers == {"name": "名 称", "code": "＊区划代码", "count": "总户数"}
    assert table.rows[0].values == {"name": "甘谷县", "code": "620523000000", "count": "1"}


def test_title_lines_above_the_header_are_skipped_and_said_so() -> None:
    data = "甘谷县行政区划表,,\n,,\n代码,名称,备注\n620523000000,甘谷县,x\n".encode()
    table = read_table(data, COLUMNS, REQUIRED)
    assert table.skipped == [1]
    assert [(r.line, r.values["code"]) for r in table.rows] == [(4, "620523000000")]
    assert [(h, c.key, c.kept) for h, c in table.mapping] == [
        ("代码", "code", True),
        ("名称", "name", True),
        ("备注", "note", False),
    ]


def test_unknown_columns_are_reported_and_never_guessed() -> None:
    data = "代码,名称,村名,,\n620523000000,甘谷县,石家窑,,\n620523100000,x,,,有值\n".encode()
    table = read_table(data, COLUMNS, REQUIRED)
    assert table.unknown == ["村名", "第 5 列（无表头）"]  # an empty column is not worth a word
    assert "village" not in table.headers


def test_cells_are_trimmed_of_ideographic_spaces_and_excel_text_markers() -> None:
    data = '代码,名称\n"=""620523000000""",\u3000甘谷县 \n\'620523100000,x\n'.encode()
    table = read_table(data, COLUMNS, REQUIRED)
    assert [r.values for r in table.rows] == [
        {"code": "620523000000", "name": "甘谷县"},
        {"code": "620523100000", "name": "x"},
    ]


def test_line_numbers_count_lines_of_the_file_across_quoted_newlines_and_blank_lines() -> None:
    data = '代码,名称\n620523000000,"甘谷\n县"\n\n620523100000,x\n'.encode()
    table = read_table(data, COLUMNS, REQUIRED)
    assert [r.line for r in table.rows] == [2, 5]
    assert table.blank_lines == 1


def test_a_line_with_more_cells_than_the_header_is_refused_not_shifted() -> None:
    data = "代码,名称\n620523000000,甘谷,县\n620523100000,x\n".encode()
    table = read_table(data, COLUMNS, REQUIRED)
    assert [r.line for r in table.rows] == [3]
    assert [(p.line, p.code) for p in table.problems] == [(2, "extra_cells")]


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"PK\x03\x04rest", "not_csv", "另存为"),
        (b"\xd0\xcf\x11\xe0rest", "not_csv", "Excel"),
        (b"\xff\xfe\x00\xd8", "bad_encoding", "编码"),
        ("名称,其他\n甘谷县,1\n".encode(), "no_header", "表头"),
        ("代码,备注\n620523000000,1\n".encode(), "missing_column", "名称"),
        ("代码,户数\n620523000000,1\n".encode(), "missing_column", "名称（单位名称）"),
        ("代码,区划代码,名称\n1,2,3\n".encode(), "duplicate_column", "第 1 列「代码」和第 2 列"),
        ('代码,名称\n"620523000000,甘谷县\n'.encode(), "bad_csv", "第 2 行"),
    ],
)
def test_files_that_are_not_a_table_we_know_are_refused_whole(
    data: bytes, code: str, words: str
) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(data, COLUMNS, REQUIRED)
    assert refused.value.problem.code == code
    assert words in refused.value.problem.zh


def test_a_file_too_large_or_too_long_is_refused_with_what_to_do(monkeypatch) -> None:
    data = ("代码,名称\n" + "620523000000,甘谷县\n" * 20).encode()
    monkeypatch.setattr(roster_csv, "MAX_ROWS", 10)
    with pytest.raises(FileRefused) as refused:
        read_table(data, COLUMNS, REQUIRED)
    assert refused.value.problem.code == "too_many_rows"
    assert "拆成" in refused.value.problem.zh
    monkeypatch.setattr(roster_csv, "MAX_BYTES", 100)
    with pytest.raises(FileRefused) as refused:
        read_table(data, COLUMNS, REQUIRED)
    assert refused.value.problem.code == "too_large"
