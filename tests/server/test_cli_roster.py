"""`minsheng place import`, `minsheng household import` and `minsheng household link`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages
from server import cli_roster
from server.cli import main
from tests.roster_files import export_rows, national_export, places_file, to_csv

SEED = 5


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    answers = list(demo_households(SEED, demo_villages()[:2], per_village=3))
    rows = export_rows(SEED, answers)
    rows[1]["证件号码"] = rows[1]["证件号码"][:-1] + (
        "0" if rows[1]["证件号码"][-1] != "0" else "1"
    )
    made = {
        "places": places_file(),
        "roster": national_export(SEED, answers),
        "bad": to_csv(rows).encode("gb18030"),
    }
    for name, data in made.items():
        (tmp_path / f"{name}.csv").write_bytes(data)
    return {name: tmp_path / f"{name}.csv" for name in made}


def test_places_then_the_roster_import_and_a_second_time_change_nothing(
    tmp_path: Path, files: dict[str, Path], capsys: Any
) -> None:
    db = str(tmp_path / "roster.db")
    assert main(["household", "import", str(files["roster"]), "--db", db]) == 1
    out, err = capsys.readouterr()
    assert "「行政村」：地区名录中没有「甘肃省天水市甘谷县磐安镇石家窑村」" in out
    assert "(6 households in the file, 6 refused (6 problems); nothing imported)" in out
    assert "add --good-rows" in err

    assert main(["place", "import", str(files["places"]), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "GB18030 (GBK), comma-separated, 10 lines, 10 places" in out
    assert "(10 places in the file, 0 refused; 10 created, 0 changed, 0 unchanged)" in out

    assert main(["household", "import", str(files["roster"]), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "understood, not kept: 民族, 文化程度, 健康状况, 帮扶责任人, 帮扶单位" in out
    assert "新增 6，修改 0，未变 0 (6 households in the file, 0 refused; 6 created" in out
    assert main(["household", "import", str(files["roster"]), "--db", db]) == 0
    assert "0 created, 0 changed, 6 unchanged" in capsys.readouterr().out


def test_a_file_with_refused_lines_imports_only_with_good_rows(
    tmp_path: Path, files: dict[str, Path], capsys: Any
) -> None:
    db = str(tmp_path / "roster.db")
    assert main(["place", "import", str(files["places"]), "--db", db]) == 0
    capsys.readouterr()
    assert main(["household", "import", str(files["bad"]), "--db", db, "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "refused lines (1):\n    第 3 行「证件号码」：证件号码校验位应为" in out
    assert "importing would give 5 created" in out
    assert main(["household", "import", str(files["bad"]), "--db", db]) == 1
    assert "nothing imported" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM households").fetchone() == (0,)
    assert main(["household", "import", str(files["bad"]), "--db", db, "--good-rows"]) == 0
    assert "5 created, 0 changed, 0 unchanged" in capsys.readouterr().out


def test_a_file_too_large_or_missing_or_not_csv_is_refused_clearly(
    tmp_path: Path, files: dict[str, Path], capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "roster.db")
    monkeypatch.setattr(cli_roster, "MAX_BYTES", 1000)
    assert main(["household", "import", str(files["roster"]), "--db", db]) == 2
    assert "at most 0 MB at a time: split it by township" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(["place", "import", str(tmp_path / "none.csv"), "--db", db]) == 2
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04rest")
    assert main(["place", "import", str(tmp_path / "book.xlsx"), "--db", db]) == 2
    assert "另存为" in capsys.readouterr().err


def test_household_link_reports_then_links_the_answers_stored_before_the_roster(
    tmp_path: Path, capsys: Any
) -> None:
    db = str(tmp_path / "demo.db")
    assert main(["load-demo", "--db", db, "--seed", "3"]) == 0
    capsys.readouterr()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE submissions SET household_id = NULL")
        total = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
        stray, village = conn.execute(
            "SELECT id, village_code FROM submissions ORDER BY id LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE submissions SET answers = json_set(answers, '$.household.head_name', '无此人',"
            " '$.members[0].id_number', '62052319010101001X') WHERE id = ?",
            (stray,),
        )
    assert main(["household", "link", "--report", "--db", db]) == 0
    out = capsys.readouterr().out
    assert f"{stray:37} {village:13} 无此人" in out and "花名册中没有此户" in out
    assert f"{total} answers not linked to the roster: {total - 1} (" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT count(*) FROM submissions WHERE household_id IS NULL"
        ).fetchone() == (total,)

    assert main(["household", "link", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"linked {total - 1} ({total - 1} by the head's ID number, 0 by")
    assert "1 cannot be linked (minsheng household link --report lists them)" in out
    with sqlite3.connect(db) as conn:
        left = conn.execute("SELECT id FROM submissions WHERE household_id IS NULL").fetchall()
        assert left == [(stray,)]
        entries = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'submission.link'"
        ).fetchall()
        assert len(entries) == total - 1 and json.loads(entries[0][0])["by"] == "head_id"
