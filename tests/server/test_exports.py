"""Exports opened with the readers analysts use (openpyxl, csv, pandas) and compared,
cell by cell, with the stored answers; the expected values are read from the stored
records and the form's schema here, not from the code that wrote the file."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest

from forms.demo import demo_villages
from forms.schema import shipped_forms
from server import exports
from server.auth import system_principal
from server.cli import main
from server.exports import Export, ExportSpec
from server.form_versions import publish
from tests.world import COUNTY, OTHER_COUNTY, VILLAGE_A, VILLAGE_B, other_county_village

SCHEMA = shipped_forms()["household"]
DATES = {"A1": "2025-03-01", "A2": "2025-05-01", "B1": "2025-07-01", "C1": "2025-09-01"}
FORMULA = "=1+2"  # a text answer that a spreadsheet would run as a formula
URL = "/api/forms/household/export"
NAMES = {v["code"]: v["name"] for v in [*demo_villages(), other_county_village()]}
META = ("id", "version", "received_at", "village_code", "village_name", "household_id")


async def _store(client: Any, world: Any, key: str, answers: dict[str, Any], **more: Any) -> Any:
    response = await client.post(
        "/api/forms/household/submissions",
        json={
            "id": str(uuid.uuid4()),
            "version": 1,
            "answers": answers,
            "household_id": world.households[key],
            **more,
        },
        headers=world.as_("admin"),
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def stored(client: Any, world: Any) -> dict[str, Any]:
    """An answer for each of A1, A2, B1 (county 620523) and C1 (620524), surveyed on
    DATES; A2's surveyor unit looks like a formula."""
    records = {}
    for key, day in DATES.items():
        answers = world.answer(key)
        answers["survey"]["date"] = day
        if key == "A2":
            answers["survey"]["surveyor_unit"] = FORMULA
        records[key] = await _store(client, world, key, answers)
    return records


# ---------------------------------------------------------------- the oracle


def node(path: list[str], schema: dict[str, Any] = SCHEMA) -> dict[str, Any]:
    """The schema of the answer at `path`, conditional questions included."""
    here = schema
    for key in path:
        if here.get("type") == "array":
            here = here["items"]
        found = (here.get("properties") or {}).get(key)
        for entry in here.get("allOf") or []:
            for branch in ("then", "else"):
                found = found or ((entry.get(branch) or {}).get("properties") or {}).get(key)
        assert found is not None, path
        here = found
    return here


def title_of(question: dict[str, Any], value: Any) -> str:
    options = question.get("oneOf") or question.get("items", {}).get("oneOf")
    return next(o["title"] for o in options if o["const"] == value)


def expected(question: dict[str, Any], value: Any, labels: bool) -> Any:
    """The cell openpyxl reads back for a stored value."""
    if value is None:
        return None
    if question.get("format") == "date":
        return datetime.fromisoformat(value)
    if isinstance(value, bool):
        return ("是" if value else "否") if labels else value
    if isinstance(value, list):
        return "、".join(title_of(question, v) for v in value) if labels else ";".join(value)
    if labels and "oneOf" in question:
        return title_of(question, value)
    return value


def received(record: dict[str, Any]) -> datetime:
    moment = datetime.fromisoformat(record["received_at"])
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


def sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def check_answers_sheet(rows: list[tuple[Any, ...]], records: list[Any], labels: bool) -> None:
    """Every cell of the answers sheet (exported with field names as headers)."""
    header, body = rows[0], rows[1:]
    assert header[: len(META)] == META
    assert len(body) == len(records)
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    for record in records:
        row = by_id[record["id"]]
        assert row["version"] == record["version"]
        assert abs(row["received_at"] - received(record)) < timedelta(milliseconds=1)
        assert row["village_code"] == record["village_code"]
        assert row["village_name"] == NAMES[record["village_code"]]
        assert row["household_id"] == record["household_id"]
        assert row["submitted_by"] == record["submitted_by"]
        assert row["corrects"] == record["corrects"]
        for name in header[len(META) + 2 :]:
            if name.startswith("derived."):
                assert row[name] == record["derived"][name.removeprefix("derived.")], name
                continue
            path = name.split(".")
            value: Any = record["answers"]
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            assert row[name] == expected(node(path), value, labels), (record["id"], name)


def check_group_sheet(
    rows: list[tuple[Any, ...]], group: str, records: list[Any], labels: bool
) -> None:
    """Every row of a repeat group's sheet is one item, linked by answer id and index."""
    header, body = rows[0], rows[1:]
    assert header[:2] == ("answer_id", f"{group}.index")
    want = {
        (r["id"], i): item for r in records for i, item in enumerate(r["answers"].get(group, []))
    }
    got = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in body}
    assert len(got) == len(body) and got.keys() == want.keys()
    for at, item in want.items():
        for name in header[2:]:
            question = node([group, name])
            assert got[at][name] == expected(question, item.get(name), labels), (at, name)


# ---------------------------------------------------------------- XLSX


async def test_xlsx_holds_every_stored_answer_cell_by_cell(client, world, stored) -> None:
    for values in ("codes", "labels"):
        response = await client.get(
            f"{URL}?format=xlsx&headers=names&values={values}", headers=world.as_("admin")
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert 'attachment; filename="household-all-' in response.headers["content-disposition"]
        found = sheets(response.content)
        assert list(found) == ["答案", "家庭成员", "需求与诉求"]
        records = list(stored.values())
        labels = values == "labels"
        check_answers_sheet(found["答案"], records, labels)
        check_group_sheet(found["家庭成员"], "members", records, labels)
        check_group_sheet(found["需求与诉求"], "needs", records, labels)


async def test_xlsx_types_numbers_dates_and_text_and_runs_no_formula(client, world, stored):
    response = await client.get(f"{URL}?format=xlsx", headers=world.as_("admin"))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    answers = book["答案"]
    header = [c.value for c in answers[1]]
    assert header[:3] == ["答案编号", "版本", "接收时间"]
    column = {title: i for i, title in enumerate(header)}
    assert {"调查日期", "工资性收入", "贫困户属性", "人均纯收入"} <= column.keys()
    for row in answers.iter_rows(min_row=2):
        assert row[column["调查日期"]].is_date
        assert row[column["调查日期"]].number_format == "yyyy-mm-dd"
        assert row[column["工资性收入"]].data_type == "n"
        assert row[column["贫困户属性"]].value in {
            "一般贫困户",
            "低保贫困户",
            "特困供养贫困户",
            "一般农户",
        }
        if row[0].value == stored["A2"]["id"]:
            assert row[column["调查人单位"]].value == FORMULA
            assert row[column["调查人单位"]].data_type == "s"
    frame = pd.read_excel(io.BytesIO(response.content), sheet_name="答案")
    assert pd.api.types.is_datetime64_any_dtype(frame["调查日期"])
    assert pd.api.types.is_numeric_dtype(frame["工资性收入"])
    assert pd.api.types.is_numeric_dtype(frame["人均纯收入"])
    members = pd.read_excel(io.BytesIO(response.content), sheet_name="家庭成员")
    assert pd.api.types.is_datetime64_any_dtype(members["出生日期"])
    assert set(members["答案编号"]) == {r["id"] for r in stored.values()}


# ---------------------------------------------------------------- CSV and JSON Lines


def csv_cell(question: dict[str, Any], value: Any) -> str:
    """The CSV text of a stored value exported as codes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return str(value)


async def test_csv_is_utf8_with_a_bom_and_holds_every_cell(client, world, stored) -> None:
    response = await client.get(f"{URL}?headers=names&values=codes", headers=world.as_("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == len(stored)
    by_id = {row["id"]: row for row in rows}
    for record in stored.values():
        row = by_id[record["id"]]
        assert row["received_at"] == received(record).isoformat(sep=" ", timespec="seconds")
        for name, text in row.items():
            if name in (*META, "submitted_by", "corrects") or name.startswith("derived."):
                continue
            value: Any = record["answers"]
            for key in name.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            assert text == csv_cell(node(name.split(".")), value), (record["id"], name)
    frame = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    assert pd.api.types.is_numeric_dtype(frame["income.wages"])
    assert pd.api.types.is_bool_dtype(frame["living.electricity"])
    assert list(pd.to_datetime(frame["survey.date"]).dt.date) == [
        date.fromisoformat(DATES[k]) for k in stored
    ]


async def test_csv_of_a_repeat_group_links_each_item_to_its_answer(client, world, stored) -> None:
    response = await client.get(f"{URL}?table=members&headers=names", headers=world.as_("admin"))
    assert response.status_code == 200
    assert "-members-" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    want = [
        (r["id"], str(i), m["name"])
        for r in stored.values()
        for i, m in enumerate(r["answers"]["members"])
    ]
    assert [(row["answer_id"], row["members.index"], row["name"]) for row in rows] == want
    assert (await client.get(f"{URL}?table=nope", headers=world.as_("admin"))).json()[
        "code"
    ] == "bad_table"


async def test_jsonl_is_one_stored_answer_a_line(client, world, stored) -> None:
    response = await client.get(f"{URL}?format=jsonl", headers=world.as_("admin"))
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = response.content.decode("utf-8").splitlines()
    one_by_one = [
        (await client.get(f"/api/submissions/{r['id']}", headers=world.as_("admin"))).json()
        for r in stored.values()
    ]
    # The stored answer as the API gives one; an official's review is not part of it.
    assert [json.loads(line) for line in lines] == [
        {k: v for k, v in answer.items() if k != "review"} for answer in one_by_one
    ]


# ---------------------------------------------------------------- who and which


async def _ids(client: Any, world: Any, persona: str, query: str = "") -> set[str]:
    response = await client.get(f"{URL}?format=jsonl{query}", headers=world.as_(persona))
    assert response.status_code == 200, response.text
    return {json.loads(line)["id"] for line in response.content.splitlines()}


async def test_each_official_exports_their_own_area_only(client, world, stored) -> None:
    ids = {key: r["id"] for key, r in stored.items()}
    assert await _ids(client, world, "official") == {ids["A1"], ids["A2"], ids["B1"]}
    assert await _ids(client, world, "official_other") == {ids["C1"]}
    # asking for the whole province is narrowed to one's county
    assert await _ids(client, world, "official_other", "&place=62") == {ids["C1"]}
    outside = await client.get(f"{URL}?county_code={COUNTY}", headers=world.as_("official_other"))
    assert outside.status_code == 403
    village = await client.get(
        f"{URL}?village_code={VILLAGE_A}", headers=world.as_("official_other")
    )
    assert village.status_code == 403
    audited = await client.app.state.db.fetch_all(
        "SELECT actor, target, detail FROM audit_log WHERE action = 'submission.export'"
    )
    assert len(audited) == 3  # the three exports made, not the two refused
    assert json.loads(audited[-1]["detail"])["places"] == ["62"]


async def test_cadres_designers_households_and_nobody_may_not_export(client, world, stored):
    for persona, status in (
        ("cadre_a", 403),
        ("designer", 403),
        ("household", 403),
        ("anonymous", 401),
    ):
        response = await client.get(URL, headers=world.as_(persona))
        assert response.status_code == status, persona
        assert "answers" not in response.text


async def test_place_filters_keep_one_village_township_or_county(client, world, stored) -> None:
    ids = {key: r["id"] for key, r in stored.items()}
    assert await _ids(client, world, "admin", f"&village_code={VILLAGE_A}") == {
        ids["A1"],
        ids["A2"],
    }
    assert await _ids(client, world, "admin", f"&place={VILLAGE_B[:9]}") == {ids["B1"]}
    assert await _ids(client, world, "admin", f"&county_code={OTHER_COUNTY}") == {ids["C1"]}
    bad = await client.get(f"{URL}?county_code=62", headers=world.as_("admin"))
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"


async def test_period_filters_by_survey_date_or_day_received(client, world, settings, stored):
    ids = {key: r["id"] for key, r in stored.items()}
    period = "&from=2025-04-01&to=2025-07-01"
    assert await _ids(client, world, "admin", period) == {ids["A2"], ids["B1"]}
    assert await _ids(client, world, "admin", "&to=2025-03-01") == {ids["A1"]}
    today = settings.today()
    received = f"&by=received&from={today}&to={today}"
    assert await _ids(client, world, "admin", received) == set(ids.values())
    yesterday = today - timedelta(days=1)
    assert await _ids(client, world, "admin", f"&by=received&to={yesterday}") == set()
    backwards = await client.get(f"{URL}?from=2025-05-01&to=2025-04-01", headers=world.as_("admin"))
    assert backwards.status_code == 422 and backwards.json()["code"] == "bad_period"


async def test_an_answer_corrected_since_is_left_out_unless_asked(client, world, stored) -> None:
    corrected = world.answer("A2")
    corrected["survey"]["date"] = DATES["A2"]
    correction = await _store(client, world, "A2", corrected, corrects=stored["A2"]["id"])
    current = await _ids(client, world, "admin")
    assert correction["id"] in current and stored["A2"]["id"] not in current
    every = await _ids(client, world, "admin", "&all_revisions=true")
    assert {correction["id"], stored["A2"]["id"]} <= every


async def test_versions_share_one_table_and_filter_by_version(client, world, stored) -> None:
    db = client.app.state.db
    newer = copy.deepcopy(SCHEMA)
    newer["properties"]["survey"]["properties"]["weather"] = {
        "type": "string",
        "title": "天气",
        "description": "调查当天的天气。",
        "x-en": {"title": "Weather", "description": "The weather that day."},
    }
    assert await publish(db, "household", newer, actor="test") == 2
    answers = world.answer("B1")
    answers["survey"]["weather"] = "晴"
    second = await _store(client, world, "B1", answers, version=2)
    response = await client.get(f"{URL}?format=xlsx&headers=names", headers=world.as_("admin"))
    rows = sheets(response.content)["答案"]
    weather = rows[0].index("survey.weather")
    assert {row[0]: row[weather] for row in rows[1:]}[second["id"]] == "晴"
    assert len(rows) == 1 + len(stored) + 1
    first_only = await client.get(
        f"{URL}?format=xlsx&headers=names&version=1", headers=world.as_("admin")
    )
    rows = sheets(first_only.content)["答案"]
    assert "survey.weather" not in rows[0] and len(rows) == 1 + len(stored)
    missing = await client.get(f"{URL}?version=3", headers=world.as_("admin"))
    assert missing.status_code == 404
    assert (
        await client.get("/api/forms/nope/export", headers=world.as_("admin"))
    ).status_code == 404


# ---------------------------------------------------------------- reading in pages


async def test_pages_read_every_answer_once_and_not_those_stored_after(
    client, world, settings, stored, monkeypatch
) -> None:
    monkeypatch.setattr(exports, "PAGE", 3)
    for _ in range(4):  # 8 answers: two full pages and a short one
        await _store(client, world, "A1", world.answer("A1"))
    db = client.app.state.db
    export = await Export.prepare(db, system_principal("test"), ExportSpec("household"), "UTC")
    late = await _store(client, world, "A1", world.answer("A1"))
    seen = [row["id"] for page in [p async for p in export.pages(db)] for row in page]
    assert len(seen) == len(set(seen)) == 8 == await export.count(db)
    assert late["id"] not in seen


# ---------------------------------------------------------------- the command line


async def test_the_command_writes_the_file_with_a_progress_line(
    client, world, settings, stored, tmp_path, capsys
) -> None:
    out = tmp_path / "out.xlsx"
    argv = ["export", "household", "--format", "xlsx", "--county", COUNTY, "--headers", "names"]
    code = await asyncio.to_thread(main, [*argv, "-o", str(out), "--db", str(settings.db_path)])
    assert code == 0
    printed = capsys.readouterr()
    assert "export: 3 of 3 answers (100%)" in printed.err
    assert f"{out}: 3 answers of household as xlsx" in printed.out
    found = sheets(out.read_bytes())
    records = [stored[k] for k in ("A1", "A2", "B1")]
    check_answers_sheet(found["答案"], records, labels=True)
    check_group_sheet(found["家庭成员"], "members", records, labels=True)
    assert not list(tmp_path.glob(".*part"))

    bad = ["export", "household", "--format", "csv", "--village", "1"]
    code = await asyncio.to_thread(
        main, [*bad, "-o", str(tmp_path / "x.csv"), "--db", str(settings.db_path)]
    )
    assert code == 2 and "village_code must be" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
