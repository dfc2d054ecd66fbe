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
from tests.world import A1, seed_file

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
    for role, user, password in (
        ("admin", "admin", "demo-admin-2026"),
        ("designer", "designer", "demo-designer-2026"),
        ("official", "official", "demo-official-2026"),
        ("cadre", "cadre", "demo-cadre-2026"),
    ):
        assert f"{role:9} {user:9} {password}" in first
    assert "household link" in first and "/h/h_" in first
    assert main(["load-demo", "--db", str(db), "--seed", "3"]) == 0
    again = capsys.readouterr().out
    assert " 0 answers stored" in again and "(already set)" in again


def test_user_commands_add_a_person_a_token_and_a_pairing(tmp_path, capsys, monkeypatch) -> None:
    import io

    db = str(tmp_path / "people.db")
    assert main(["load-demo", "--db", db, "--seed", "3"]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("a-good-password\n"))
    args = ["user", "add", "zhangsan", "--name", "张三", "--role", "cadre", "--password-stdin"]
    assert main([*args, "--db", db]) == 0
    assert "cadre zhangsan (张三) added" in capsys.readouterr().out
    assert main(["user", "pair", "zhangsan", "--village", "620523102201", "--db", db]) == 0
    assert "zhangsan paired with village 620523102201" in capsys.readouterr().out
    assert main(["user", "token", "zhangsan", "phone-sync", "--db", db]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert token.startswith("mst_")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "passwd", "zhangsan", "--password-stdin", "--db", db]) == 1
    assert "至少 8 个字符" in capsys.readouterr().err
    assert main(["user", "list", "--db", db]) == 0
    assert "zhangsan" in capsys.readouterr().out


def _request(
    url: str, body: dict | None = None, token: str | None = None
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.e2e
def test_real_server_stores_an_answer_over_http(tmp_path, household) -> None:
    world, _ = seed_file(tmp_path / "e2e.db", household)
    token = world.tokens["cadre_a"]
    with live_server(tmp_path / "e2e.db") as live:
        status, health = _request(f"{live.base}/healthz")
        assert status == 200 and health["published_forms"] == 1
        sid = new_id()
        url = f"{live.base}/api/forms/household/submissions"
        body = {"id": sid, "version": 1, "answers": household, "household_id": A1}
        status, refused = _request(url, body)
        assert (status, refused["code"]) == (401, "login_required")
        status, stored = _request(url, body, token)
        assert status == 201, stored
        status, again = _request(url, body, token)
        assert status == 200 and again == stored
        status, read = _request(f"{live.base}/api/submissions/{sid}", token=token)
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
