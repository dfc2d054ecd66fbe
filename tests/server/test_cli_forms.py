"""`minsheng form draft|publish|retire|restore|diff|versions`, run in this process."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from forms.schema import SURVEYS_DIR
from server.cli import main


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "m.db"
    assert main(["init-db", "--db", str(path)]) == 0
    return str(path)


def _narrowed(tmp_path: Path) -> Path:
    schema = json.loads((SURVEYS_DIR / "household.json").read_text(encoding="utf-8"))
    schema["properties"]["household"]["properties"]["category"]["oneOf"].pop()
    path = tmp_path / "household.json"
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _audit(db: str) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT actor, action FROM audit_log WHERE action LIKE 'form.%' ORDER BY id"
        ).fetchall()


def test_draft_saves_a_file_and_prints_it_back(db, tmp_path, capsys: Any) -> None:
    file = _narrowed(tmp_path)
    assert main(["form", "draft", "household", str(file), "--db", db]) == 0
    capsys.readouterr()
    assert main(["form", "draft", "household", "--db", db]) == 0
    assert capsys.readouterr().out == file.read_text(encoding="utf-8")
    assert ("cli", "form.draft.save") in _audit(db)


def test_draft_of_a_broken_file_is_kept_and_its_problems_listed(db, tmp_path, capsys) -> None:
    file = tmp_path / "typo.json"
    file.write_text('{"type": "object",,}', encoding="utf-8")
    assert main(["form", "draft", "water", str(file), "--db", db]) == 0
    err = capsys.readouterr().err
    assert "line 1" in err and "1 problems to fix before publishing" in err


def test_publish_refuses_a_breaking_change_until_acknowledged(db, tmp_path, capsys) -> None:
    file = _narrowed(tmp_path)
    assert main(["form", "publish", "household", str(file), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "! 「贫困户属性」删除了选项" in err and "--acknowledge" in err
    assert main(["form", "publish", "household", "--acknowledge", "--db", db]) == 0
    assert "published as version 2" in capsys.readouterr().out
    assert ("cli", "form.version.publish") in _audit(db)


def test_publish_refuses_a_broken_schema_with_its_problems(db, tmp_path, capsys) -> None:
    file = tmp_path / "water.json"
    file.write_text('{\n  "type": "object"\n}', encoding="utf-8")
    assert main(["form", "publish", "water", str(file), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "/$schema" in err


def test_retire_restore_and_versions(db, capsys) -> None:
    assert main(["form", "retire", "household", "1", "--reason", "换版", "--db", db]) == 0
    assert main(["form", "versions", "household", "--db", db]) == 0
    assert "retired" in capsys.readouterr().out
    assert main(["form", "retire", "household", "1", "--db", db]) == 1
    assert "第 1 版已经停用" in capsys.readouterr().err
    assert main(["form", "restore", "household", "1", "--db", db]) == 0
    assert "in use again" in capsys.readouterr().out
    actions = [a for _, a in _audit(db)]
    assert actions[-2:] == ["form.version.retire", "form.version.restore"]


def test_diff_between_a_version_and_a_file_reads_as_changes(db, tmp_path, capsys) -> None:
    file = _narrowed(tmp_path)
    assert main(["form", "diff", "household", "1", str(file), "--lang", "en", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "! 'Household category': options removed: Non-poor household (non_poor)"
        "  /properties/household/properties/category"
    )
    assert out[-1].startswith("1 changes from 1 to")


def test_diff_of_an_unknown_version_fails_clearly(db, capsys) -> None:
    assert main(["form", "diff", "household", "1", "9", "--db", db]) == 1
    assert "9" in capsys.readouterr().err


# ---------------------------------------------------------------- import-xlsform


def _draft(db: str, form_id: str) -> Any:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT text FROM form_drafts WHERE form_id = ?", (form_id,)).fetchone()
    return None if row is None else json.loads(row[0])


def test_import_xlsform_saves_the_draft_and_lists_what_is_not_converted(
    db, tmp_path, capsys
) -> None:
    from tests.forms.xlsform_files import village_survey

    file = tmp_path / "village.xlsx"
    file.write_bytes(village_survey())
    assert main(["form", "import-xlsform", str(file), "--db", db, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "survey row 36, type: not converted: minsheng has no audio recordings" in out
    assert "survey row 33, relevant:" in out
    assert "11 things not converted as written" in out
    assert "draft of village_needs saved" in out  # the form id of the settings sheet
    draft = _draft(db, "village_needs")
    assert draft["title"] == "村级需求调查表" and "x-rules" in draft["properties"]["basic"]
    assert ("cli", "form.draft.save") in _audit(db)
    # The draft publishes as it is: it passed the check.
    assert main(["form", "publish", "village_needs", "--db", db]) == 0
    assert "published as version 1" in capsys.readouterr().out


def test_import_xlsform_under_another_form_id(db, tmp_path, capsys) -> None:
    from tests.forms.xlsform_files import HEADER, q, workbook

    file = tmp_path / "small.xlsx"
    file.write_bytes(workbook([HEADER, q("integer", "age", "年龄", "Age")]))
    assert main(["form", "import-xlsform", str(file), "--db", db]) == 1
    assert "--form" in capsys.readouterr().err  # no settings sheet, no form id
    assert main(["form", "import-xlsform", str(file), "--form", "ages", "--db", db]) == 0
    assert "survey 表第 2 行：" in capsys.readouterr().out  # the loose question's page
    assert list(_draft(db, "ages")["properties"]["part_1"]["properties"]) == ["age"]


def test_import_xlsform_refuses_a_broken_workbook_and_stores_nothing(db, tmp_path, capsys) -> None:
    from tests.forms.xlsform_files import HEADER, q, workbook

    file = tmp_path / "broken.xlsx"
    file.write_bytes(workbook([HEADER, q("begin_group", "g", "组"), q("text", "a", "甲")]))
    assert main(["form", "import-xlsform", str(file), "--form", "broken", "--db", db]) == 1
    err = capsys.readouterr().err
    assert "survey 表第 2 行「type」：第 2 行的 begin_group 没有结束" in err
    assert _draft(db, "broken") is None
    (tmp_path / "notes.csv").write_text("type,name\n", encoding="utf-8")
    assert (
        main(["form", "import-xlsform", str(tmp_path / "notes.csv"), "--form", "x", "--db", db])
        == 1
    )
    assert "不是 Excel 工作簿" in capsys.readouterr().err
