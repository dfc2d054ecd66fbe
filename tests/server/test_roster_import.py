"""Importing the roster from the national system's per-person export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages, roster_entry
from forms.rules import id_number_check_digit
from server import roster_csv
from server.errors import AppError
from server.places import PlaceRow, store_places
from server.roster_import import category_of
from server.roster_store import ImportReport, import_file
from tests.roster_files import EXPORT_HEADERS, export_rows, national_export, to_csv

SEED = 5


@pytest.fixture(scope="module")
def answers() -> list[dict[str, Any]]:
    """Six households, three in each of two villages of 磐安镇."""
    return list(demo_households(SEED, demo_villages()[:2], per_village=3))


def _file(rows: list[dict[str, str]], encoding: str = "gb18030", headers: Any = None) -> bytes:
    return to_csv(rows, headers or EXPORT_HEADERS).encode(encoding)


def _lines(rows: list[dict[str, str]], roster_no: str) -> list[int]:
    return [i + 2 for i, r in enumerate(rows) if r["户编号"] == roster_no]


async def _import(client: Any, data: bytes, **options: Any) -> ImportReport:
    return await import_file(client.app.state.db, "test", "households", data, **options)


async def _roster(client: Any, roster_nos: list[str]) -> dict[str, Any]:
    marks = ",".join("?" * len(roster_nos))
    rows = await client.app.state.db.fetch_all(
        f"SELECT * FROM households WHERE roster_no IN ({marks})", tuple(roster_nos)
    )
    return {r["roster_no"]: r for r in rows}


async def test_a_gbk_export_gives_one_household_per_roster_number_and_again_changes_nothing(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    data = national_export(SEED, answers)
    report = await _import(client, data)
    people = sum(len(a["members"]) for a in answers)
    assert report.encoding == "GB18030 (GBK)"
    assert (report.found, report.people, report.errors_total) == (6, people, 0)
    assert (report.imported, report.created, report.changed, report.unchanged) == (True, 6, 0, 0)
    assert {c.header for c in report.columns if not c.kept} == {
        "民族", "文化程度", "健康状况", "帮扶责任人", "帮扶单位"
    }  # fmt: skip
    expected = [roster_entry(SEED, i, a) for i, a in enumerate(answers)]
    stored = await _roster(client, [e["roster_no"] for e in expected])
    for entry in expected:
        row = stored[entry["roster_no"]]
        for field in ("village_code", "group_name", "head_name", "head_id_number", "category"):
            assert row[field] == entry[field], field
        assert row["phone"] == entry["phone"]
        assert json.loads(row["members"]) == entry["members"]
    again = await _import(client, data)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 6)
    assert again.summary("en") == (
        "6 households in the file, 0 refused; 0 created, 0 changed, 6 unchanged"
    )
    audits = await client.app.state.db.fetch_all(
        "SELECT actor, detail FROM audit_log WHERE action = 'household.import'"
    )
    assert [(a["actor"], a["detail"]) for a in audits][-1] == (
        "test",
        '{"created": 6, "changed": 0}',
    )  # the unchanged re-import wrote no audit entry


async def test_utf8_with_bom_and_other_spellings_of_the_columns_in_another_order(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    spelled = {
        "户编号": "户号",
        "证件号码": "身份证号",
        "与户主关系": "与户主的关系",
        "乡镇": "乡（镇）",
        "村民小组": "组",
        "脱贫状态": "脱贫情况",
        "联系电话": "手机号码",
    }
    rows = [
        {spelled.get(k, k): v for k, v in row.items() if k not in ("省", "市")}
        for row in export_rows(SEED, answers)
    ]
    data = to_csv(rows, reversed(list(rows[0]))).encode("utf-8-sig")
    report = await _import(client, data)
    assert report.encoding == "UTF-8 (BOM)"
    assert (report.created, report.errors_total) == (6, 0)
    mapping = {c.header: c.field for c in report.columns}
    assert mapping["身份证号"] == "id_number" and mapping["乡（镇）"] == "township_name"
    stored = await _roster(client, [roster_entry(SEED, 0, answers[0])["roster_no"]])
    assert len(stored) == 1


async def test_columns_not_understood_are_reported_and_not_imported(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    rows = [{**row, "家庭住址": "某某路 1 号", "身份证": "x"} for row in export_rows(SEED, answers)]
    report = await _import(client, _file(rows, headers=[*EXPORT_HEADERS, "家庭住址", "身份证"]))
    assert report.unknown_columns == ["家庭住址", "身份证"]
    assert report.created == 6


async def test_bad_lines_refuse_the_file_with_line_column_and_why_unless_good_rows_asked(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    rows = export_rows(SEED, answers)
    numbers = [roster_entry(SEED, i, a)["roster_no"] for i, a in enumerate(answers)]
    # household 1: a member's ID number mistyped (the rest of the household is fine)
    member = next(r for r in rows if r["户编号"] == numbers[1] and r["与户主关系"] != "户主")
    wrong = "0" if member["证件号码"][-1] != "0" else "1"
    member["证件号码"] = member["证件号码"][:-1] + wrong
    bad_id_line = rows.index(member) + 2
    # household 2: a relation the national system does not use; household 3: sex unknown
    rows[_lines(rows, numbers[2])[0] - 2]["与户主关系"] = "表哥"
    rows[_lines(rows, numbers[3])[-1] - 2]["性别"] = "未知"
    data = _file(rows)

    refused = await _import(client, data)
    assert (refused.imported, refused.code) == (False, "rows_refused")
    assert (refused.found, refused.rejected, refused.good) == (6, 3, 3)
    found = {(e.line, e.column, e.code) for e in refused.errors}
    assert (bad_id_line, "证件号码", "bad_id_number") in found
    assert (_lines(rows, numbers[2])[0], "与户主关系", "bad_relation") in found
    assert (_lines(rows, numbers[3])[-1], "性别", "bad_sex") in found
    by_line = {e.line: e for e in refused.errors}
    assert by_line[bad_id_line].zh.startswith("证件号码校验位应为")
    assert "check digit" in by_line[bad_id_line].en
    assert await _roster(client, numbers) == {}  # nothing at all

    good = await _import(client, data, good_rows=True)
    assert (good.imported, good.created) == (True, 3)
    stored = await _roster(client, numbers)
    assert sorted(stored) == sorted([numbers[0], numbers[4], numbers[5]])  # whole households


async def test_a_new_head_is_the_same_household(client: Any, answers: list[dict[str, Any]]) -> None:
    await _import(client, national_export(SEED, answers))
    index = next(
        i for i, a in enumerate(answers) if any(m["relation"] == "spouse" for m in a["members"])
    )
    number = roster_entry(SEED, index, answers[index])["roster_no"]
    before = (await _roster(client, [number]))[number]
    rows = export_rows(SEED, answers)
    head = next(r for r in rows if r["户编号"] == number and r["与户主关系"] == "户主")
    spouse = next(r for r in rows if r["户编号"] == number and r["与户主关系"] == "配偶")
    rows.remove(head)  # the head died; the spouse heads the household now
    spouse["与户主关系"] = "户主"
    report = await _import(client, _file(rows))
    assert (report.created, report.changed, report.unchanged) == (0, 1, 5)
    after = (await _roster(client, [number]))[number]
    assert after["id"] == before["id"]
    assert (after["head_name"], after["head_id_number"]) == (spouse["姓名"], spouse["证件号码"])
    assert after["member_count"] == before["member_count"] - 1


async def test_an_unknown_or_ambiguous_village_refuses_its_household(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    db = client.app.state.db
    rows = export_rows(SEED, answers)
    number = rows[0]["户编号"]
    for row in rows:
        if row["户编号"] == number:
            row["行政村"] = "不存在村"
    report = await _import(client, _file(rows), dry_run=True)
    [error] = report.errors
    assert (error.line, error.column, error.code) == (2, "行政村", "village")
    assert error.zh.startswith("地区名录中没有「甘肃省天水市甘谷县磐安镇不存在村」")

    # Another 石家窑村, in 大石镇: the village's name alone no longer says which.
    await store_places(db, "test", [PlaceRow("620523106299", "village", "石家窑村")])
    rows = [{k: v for k, v in r.items() if k != "乡镇"} for r in export_rows(SEED, answers)]
    report = await _import(client, _file(rows, headers=[h for h in EXPORT_HEADERS if h != "乡镇"]))
    assert report.rejected == 3  # the three households of 石家窑村
    assert report.errors[0].zh.startswith("「甘肃省天水市甘谷县石家窑村」不止一个村")
    with_township = await _import(client, national_export(SEED, answers))
    assert with_township.created == 6


async def test_a_village_code_column_is_used_and_checked_against_the_names(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    rows = [
        {**r, "村代码": roster_entry(SEED, 0, answers[0])["village_code"]}
        for r in export_rows(SEED, answers)[:1]
    ]
    ok = await _import(client, _file(rows, headers=[*EXPORT_HEADERS, "村代码"]), dry_run=True)
    assert ok.errors_total == 0 and ok.created == 1
    rows[0]["村代码"] = "620523102299"
    unknown = await _import(client, _file(rows, headers=[*EXPORT_HEADERS, "村代码"]), dry_run=True)
    assert [(e.column, e.code) for e in unknown.errors] == [("村代码", "village")]
    rows[0]["村代码"] = "620523102204"  # 刘家墩村, while 行政村 says 石家窑村
    mismatch = await _import(client, _file(rows, headers=[*EXPORT_HEADERS, "村代码"]), dry_run=True)
    assert [e.column for e in mismatch.errors] == ["行政村"]
    assert "620523102204" in mismatch.errors[0].zh


@pytest.mark.parametrize(
    ("status", "attribute", "category", "column"),
    [
        ("未脱贫", "一般贫困户", "not_out", ""),
        ("预脱贫", "低保贫困户", "not_out", ""),
        ("已脱贫（享受政策）", "低保贫困户", "out", ""),
        ("稳定脱贫", "", "out", ""),
        ("返贫", "特困供养贫困户", "monitored", ""),
        ("边缘易致贫户", "一般农户", "monitored", ""),
        ("", "特困供养贫困户", "not_out", ""),
        ("", "一般户", "general", ""),
        ("一般农户", "", "general", ""),
        ("已脱贫", "一般农户", None, "attribute"),
        ("", "", None, "status"),
        ("脱贫了", "", None, "status"),
        ("", "富裕户", None, "attribute"),
    ],
)
def test_category_follows_status_then_attribute(
    status: str, attribute: str, category: str | None, column: str
) -> None:
    found, where, zh, en = category_of(status, attribute)
    assert bool(en) == bool(zh)
    assert (found, where) == (category, column)
    assert bool(zh) == (category is None)


def _with_check_x(id17_start: str) -> str:
    for tail in range(1000):
        id17 = f"{id17_start}{tail:03d}"
        if id_number_check_digit(id17) == "X":
            return id17 + "X"
    raise AssertionError("no such number")


async def test_id_numbers_are_trimmed_made_ascii_and_upper_case(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    rows = export_rows(SEED, answers[:1])
    idn = _with_check_x("62052319650704")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in idn[:17])
    rows[0]["证件号码"] = f" {full_width}x\u3000"
    report = await _import(client, _file(rows))
    assert report.created == 1, report.errors
    stored = await _roster(client, [rows[0]["户编号"]])
    assert stored[rows[0]["户编号"]]["head_id_number"] == idn


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("6.20523E+17", "科学计数法"),
        ("620523650704123", "15 位"),
        ("62052319650704123", "18 位"),
        ("620523196513041230", "出生日期"),
    ],
)
async def test_an_id_number_says_what_is_wrong_with_it(
    client: Any, answers: list[dict[str, Any]], given: str, words: str
) -> None:
    rows = export_rows(SEED, answers[:1])
    rows[0]["证件号码"] = given
    if words == "出生日期":  # a 13th month, with the right check digit
        rows[0]["证件号码"] = given[:17] + id_number_check_digit(given[:17])
    report = await _import(client, _file(rows))
    assert words in report.errors[0].zh and report.errors[0].column == "证件号码"


async def test_one_person_in_two_households_refuses_both(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    rows = export_rows(SEED, answers[:2])
    first, second = rows[0]["户编号"], rows[-1]["户编号"]
    rows[-1]["证件号码"] = rows[0]["证件号码"]
    report = await _import(client, _file(rows), dry_run=True)
    assert report.rejected == 2
    assert {e.code for e in report.errors} == {"id_in_two_households"}
    assert f"户编号 {second}" in report.errors[0].zh and f"户编号 {first}" in report.errors[1].zh


async def test_a_head_who_heads_another_roster_household_is_refused(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    await _import(client, national_export(SEED, answers[:2]))
    rows = export_rows(SEED, answers[:2])
    first, second = rows[0], next(r for r in rows if r["户编号"] != rows[0]["户编号"])
    only_second = [r for r in rows if r["户编号"] == second["户编号"]]
    only_second[0]["证件号码"] = first["证件号码"]  # its head "becomes" the other's head
    report = await _import(client, _file(only_second))
    assert [e.code for e in report.errors] == ["head_on_another_household"]
    assert report.imported is False


async def test_a_file_far_too_large_is_refused_before_reading_it(
    client: Any, monkeypatch: pytest.MonkeyPatch, answers: list[dict[str, Any]]
) -> None:
    monkeypatch.setattr(roster_csv, "MAX_BYTES", 1000)
    with pytest.raises(AppError) as refused:
        await _import(client, national_export(SEED, answers))
    assert (refused.value.status, refused.value.code) == (413, "too_large")
    assert "拆成几个文件" in refused.value.detail_in("zh")


async def test_a_problem_names_the_column_the_file_has(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    rows = [{k: v for k, v in r.items() if k != "脱贫状态"} for r in export_rows(SEED, answers[:1])]
    for row in rows:
        row["贫困户属性"] = ""
    headers = [h for h in EXPORT_HEADERS if h != "脱贫状态"]
    report = await _import(client, _file(rows, headers=headers), dry_run=True)
    assert [(e.line, e.column, e.code) for e in report.errors] == [(2, "贫困户属性", "category")]
    assert report.errors[0].zh == "脱贫状态和贫困户属性都为空，无法确定户类别"


async def test_a_line_that_cannot_be_read_refuses_its_household(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    rows = export_rows(SEED, answers[:3])
    number = next(r["户编号"] for r in rows if len(_lines(rows, r["户编号"])) > 1)
    last = max(_lines(rows, number))
    rows[last - 2]["帮扶单位"] += ",甘谷县"  # an unquoted comma, as a hand-made file has it
    text = to_csv(rows, EXPORT_HEADERS).replace('"', "")
    report = await _import(client, text.encode("gb18030"), dry_run=True)
    assert [(e.line, e.code) for e in report.errors] == [
        (min(_lines(rows, number)), "member_unreadable"),
        (last, "extra_cells"),
    ]
    assert (report.found, report.rejected, report.created) == (3, 1, 2)


async def test_a_household_whose_lines_disagree_is_refused_with_one_problem_a_column(
    client: Any, answers: list[dict[str, Any]]
) -> None:
    rows = export_rows(SEED, answers)
    number = next(r["户编号"] for r in rows if len(_lines(rows, r["户编号"])) > 2)
    lines = _lines(rows, number)
    rows[lines[1] - 2]["村民小组"] = "九组"
    report = await _import(client, _file(rows), dry_run=True)
    [error] = report.errors
    assert (error.line, error.column, error.code) == (lines[1], "村民小组", "differs_in_household")
    first = rows[lines[0] - 2]["村民小组"]
    assert error.zh == f"本户各行不一致：第 {lines[0]} 行为「{first}」，第 {lines[1]} 行为「九组」"
