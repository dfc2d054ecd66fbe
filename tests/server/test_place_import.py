"""Importing places: levels from codes, parents that must exist, re-imports that change nothing."""

from __future__ import annotations

from typing import Any

from server.place_import import parse_places
from server.places import get_place
from server.roster_store import import_file
from tests.roster_files import places_file, to_csv

GANSU = {"620000000000": "甘肃省", "620500000000": "天水市", "620523000000": "甘谷县"}


def _csv(rows: list[dict[str, str]]) -> bytes:
    return to_csv(rows).encode("gb18030")


def test_the_level_and_parent_follow_from_the_code() -> None:
    parsed = parse_places(
        _csv(
            [
                {"区划代码": "620523102000", "名称": "磐安镇"},
                {"区划代码": "620523102201", "名称": "石家窑村", "户数": "236"},
                {"区划代码": "６２０５２３１０６", "名称": "大石镇"},  # 9 digits, full width
            ]
        ),
        GANSU,
    )
    assert parsed.problems == []
    assert [(r.code, r.level, r.households_registered) for r in parsed.rows] == [
        ("620523102000", "township", None),
        ("620523106000", "township", None),
        ("620523102201", "village", 236),
    ]


def test_a_parent_may_come_anywhere_in_the_file_but_must_exist_somewhere() -> None:
    parsed = parse_places(
        _csv(
            [
                {"区划代码": "620523102201", "名称": "石家窑村"},
                {"区划代码": "620523102000", "名称": "磐安镇"},
                {"区划代码": "620523106203", "名称": "南坪村"},
            ]
        ),
        GANSU,
    )
    assert [r.code for r in parsed.rows] == ["620523102000", "620523102201"]
    [problem] = parsed.problems
    assert (problem.line, problem.column, problem.code) == (4, "区划代码", "unknown_parent")
    assert "上级乡镇 620523106000 不在地区名录中" in problem.zh
    assert "乡镇" in problem.zh  # says which column would name it


def test_a_missing_parent_is_created_only_when_the_file_names_it() -> None:
    parsed = parse_places(
        _csv(
            [
                {"县": "甘谷县", "乡镇": "磐安镇", "代码": "620523102201", "名称": "石家窑村"},
                {"县": "甘谷县", "乡镇": "磐安镇", "代码": "620523102204", "名称": "刘家墩村"},
                {"县": "甘谷县", "乡镇": "磐安", "代码": "620523102209", "名称": "王家庄村"},
            ]
        ),
        GANSU,
    )
    assert [(r.code, r.name) for r in parsed.rows] == [
        ("620523102000", "磐安镇"),
        ("620523102201", "石家窑村"),
        ("620523102204", "刘家墩村"),
    ]
    [problem] = parsed.problems
    assert (problem.line, problem.column, problem.code) == (4, "乡镇", "parent_name_differs")


def test_a_place_whose_parent_line_was_refused_is_refused_too() -> None:
    parsed = parse_places(
        _csv(
            [
                {"代码": "620523102000", "名称": "磐安镇", "级别": "村"},
                {"代码": "620523102201", "名称": "石家窑村", "级别": "村"},
            ]
        ),
        GANSU,
    )
    assert parsed.rows == []
    assert [(p.line, p.column, p.code) for p in parsed.problems] == [
        (2, "级别", "level_mismatch"),
        (3, "代码", "parent_refused"),
    ]
    assert parsed.problems[1].zh == "上级乡镇 620523102000 所在的第 2 行有错，本行也未导入"


def test_each_bad_line_says_its_column_and_why() -> None:
    parsed = parse_places(
        _csv(
            [
                {"代码": "62052310220", "名称": "x", "户数": "", "上级代码": ""},
                {"代码": "620500102000", "名称": "x", "户数": "", "上级代码": ""},
                {"代码": "620523102000", "名称": "", "户数": "", "上级代码": ""},
                {"代码": "620523106000", "名称": "大石镇", "户数": "很多", "上级代码": ""},
                {"代码": "620523106000", "名称": "大石镇", "户数": "", "上级代码": ""},
                {"代码": "620523107000", "名称": "x", "户数": "", "上级代码": "620524000000"},
            ]
        ),
        GANSU,
    )
    found = [(p.line, p.column, p.code) for p in parsed.problems]
    assert found == [
        (2, "代码", "bad_code"),
        (3, "代码", "bad_code"),
        (4, "名称", "bad_name"),
        (5, "户数", "bad_count"),
        (6, "代码", "duplicate_code"),
        (7, "上级代码", "parent_mismatch"),
    ]
    assert parsed.rejected == 6 and parsed.rows == []


async def test_importing_places_twice_changes_nothing_the_second_time(client: Any) -> None:
    db = client.app.state.db
    extra = [
        {
            "code": "620523110201",
            "name": "新村",
            "township_code": "620523110",
            "township_name": "新兴镇",
            "county_code": "620523",
            "county_name": "甘谷县",
            "city_name": "天水市",
            "households_registered": 90,
        }
    ]
    data = places_file(extra)
    first = await import_file(db, "test", "places", data)
    assert (first.created, first.changed, first.unchanged) == (2, 0, 3)
    again = await import_file(db, "test", "places", data)
    assert (again.imported, again.created, again.changed, again.unchanged) == (True, 0, 0, 5)
    place = await get_place(db, "620523110201")
    assert place is not None and (place.level, place.parent_code) == ("village", "620523110000")
    renamed = data.replace("新村".encode("gb18030"), "新庄村".encode("gb18030"))
    changed = await import_file(db, "test", "places", renamed)
    assert (changed.created, changed.changed, changed.unchanged) == (0, 1, 4)
    rows = await db.fetch_all("SELECT detail FROM audit_log WHERE action = 'place.upsert'")
    assert rows[-1]["detail"] == '{"created": 0, "changed": 1}'


def test_the_registered_population_is_read_under_its_usual_headers() -> None:
    for header in ("户籍人口", "人口", "总人口"):
        parsed = parse_places(
            _csv(
                [
                    {"区划代码": "620523102000", "名称": "磐安镇"},
                    {"区划代码": "620523102201", "名称": "石家窑村", "户数": "236", header: "803"},
                ]
            ),
            GANSU,
        )
        assert parsed.problems == [], header
        assert parsed.table.headers["population_registered"] == header
        village = parsed.rows[-1]
        assert (village.households_registered, village.population_registered) == (236, 803)


def test_a_population_that_is_not_a_whole_number_is_refused() -> None:
    parsed = parse_places(
        _csv([{"区划代码": "620523102201", "名称": "石家窑村", "户籍人口": "约八百"}]), GANSU
    )
    [problem] = parsed.problems
    assert (problem.line, problem.column, problem.code) == (2, "户籍人口", "bad_count")
    assert "户籍人口" in problem.zh and "population" in problem.en


async def test_an_imported_population_is_kept_until_a_file_gives_another(client: Any) -> None:
    db = client.app.state.db
    rows = [
        {"区划代码": "620523110000", "名称": "新兴镇"},
        {"区划代码": "620523110201", "名称": "新村", "户数": "90", "户籍人口": "301"},
    ]
    first = await import_file(db, "test", "places", _csv(rows))
    assert first.imported and first.created == 2
    village = await get_place(db, "620523110201")
    assert village is not None and village.population_registered == 301
    # A file without the column leaves the figure as it was; one with another changes it.
    again = await import_file(db, "test", "places", _csv([{**r, "户籍人口": ""} for r in rows]))
    assert (again.created, again.changed) == (0, 0)
    more = [rows[0], {**rows[1], "户籍人口": "305"}]
    changed = await import_file(db, "test", "places", _csv(more))
    assert changed.changed == 1
    found = await db.fetch_one(
        "SELECT population_registered FROM villages WHERE code = '620523110201'"
    )
    assert found is not None and found["population_registered"] == 305
