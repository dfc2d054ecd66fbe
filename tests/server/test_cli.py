"""The command line and the real server process, started the way the README does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from server.cli import main
from server.testing import live_server
from tests.conftest import new_id

SURVEY = Path(__file__).resolve().parents[2] / "forms" / "surveys" / "household.json"


def test_form_check_accepts_the_shipped_form(capsys) -> None:
    assert main(["form", "check", str(SURVEY)]) == 0
    assert "ok" in capsys.readouterr().out


def test_form_check_names_the_pointer_of_a_broken_schema(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {"a": {"maxLength": "ten"}},
            }
        )
    )
    assert main(["form", "check", str(bad)]) == 1
    assert f"{bad}: /properties/a/maxLength:" in capsys.readouterr().err


def test_load_demo_is_reproducible_and_idempotent(tmp_path, capsys) -> None:
    db = tmp_path / "demo.db"
    assert main(["load-demo", "--db", str(db), "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert " 0 already there" in first
    assert main(["load-demo", "--db", str(db), "--seed", "3"]) == 0
    assert " 0 households stored" in capsys.readouterr().out


def _request(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.e2e
def test_real_server_stores_an_answer_over_http(tmp_path, household) -> None:
    with live_server(tmp_path / "e2e.db") as live:
        status, health = _request(f"{live.base}/healthz")
        assert status == 200 and health["published_forms"] == 1
        sid = new_id()
        url = f"{live.base}/api/forms/household/submissions"
        status, stored = _request(url, {"id": sid, "version": 1, "answers": household})
        assert status == 201, stored
        status, again = _request(url, {"id": sid, "version": 1, "answers": household})
        assert status == 200 and again == stored
        status, read = _request(f"{live.base}/api/submissions/{sid}")
        assert status == 200 and read["answers"] == household
    # uvicorn re-raises SIGTERM after a graceful shutdown, so the exit status is -15.
    assert "Application shutdown complete" in live.log()
    assert f"open {live.base}/ " in live.log()


def test_form_check_lists_every_construct_the_phone_cannot_show(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {
                    "a": {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
                    "b": {"$ref": "#/$defs/b"},
                },
                "$defs": {"b": {"type": "string"}},
            }
        )
    )
    assert main(["form", "check", str(bad)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert f"{bad}: /properties/a/patternProperties: " in lines[0]
    assert any(line.startswith(f"{bad}: /properties/b") for line in lines[1:]), lines
