"""`minsheng form check`: every problem of every file, one line each, with pointer and line."""

from __future__ import annotations

import json
from pathlib import Path

from server.cli import main
from tests.forms.small_forms import form, group, text

SURVEY = Path(__file__).resolve().parents[2] / "forms" / "surveys" / "household.json"


def test_form_check_prints_every_problem_of_every_file(tmp_path: Path, capsys) -> None:
    typo = tmp_path / "typo.json"
    typo.write_text('{\n  "type": "object",\n  "properties": {,}\n}')
    broken = tmp_path / "broken.json"
    section = group(q=text(pattern="^(a+)+$"), r={"type": "string"})
    section["required"] = ["qq"]
    broken.write_text(json.dumps(form(s=section), indent=2, ensure_ascii=False))
    too_big = tmp_path / "big.json"
    too_big.write_text(" " * 3_000_000)

    assert main(["form", "check", str(typo), str(broken), str(SURVEY), str(too_big)]) == 1

    out, err = capsys.readouterr()
    assert out == f"{SURVEY}: ok (8 sections)\n"
    lines = err.splitlines()
    assert (
        lines[0] == f"{typo}: line 3 column 18: Expecting property name enclosed in double quotes"
    )
    assert [line.split(": ")[1] for line in lines[1:4]] == [
        "/properties/s/properties/r",
        "/properties/s/properties/q/pattern",
        "/properties/s/required/0",
    ]
    assert all(line.startswith(f"{broken}: /") for line in lines[1:4])
    text_lines = broken.read_text().splitlines()
    for line in lines[1:4]:
        number = int(line.rsplit("(line ", 1)[1].rstrip(")"))
        assert text_lines[number - 1].strip().startswith(('"r"', '"pattern"', '"qq"'))
    assert lines[4] == f"{too_big}: /: 3,000,000 bytes is over the limit of 2 MB"
    assert len(lines) == 5


def test_form_check_passes_the_shipped_form(capsys) -> None:
    assert main(["form", "check", str(SURVEY)]) == 0
    assert capsys.readouterr().err == ""
