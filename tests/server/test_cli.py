"""The command line and the real server process, started the way the README does."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from server.cli import main
from server.testing import free_port, live_server
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


# ---------------------------------------------------------------- unusable database files


def _not_sqlite(path: Path) -> bytes:
    path.write_bytes(b"minutes of the village meeting, not a database\n" * 100)
    return path.read_bytes()


def _damaged(path: Path) -> bytes:
    """A database with rows and an index, then some of its pages scribbled over."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.execute("CREATE INDEX t_x ON t(x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(f"{i:08}" * 40,) for i in range(3000)])
    conn.close()
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 3, len(data) - 4096, 4096 * 7):
        data[offset + 100 : offset + 400] = b"\xff" * 300
    path.write_bytes(bytes(data))
    return bytes(data)


def _minsheng(*args: str) -> subprocess.CompletedProcess[str]:
    # The real command in its own process; the timeout catches one that never exits.
    minsheng = Path(sys.executable).with_name("minsheng")
    command = [str(minsheng)] if minsheng.exists() else [sys.executable, "-m", "server.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=15)


@pytest.mark.e2e
@pytest.mark.parametrize("make", [_not_sqlite, _damaged], ids=["not-sqlite", "damaged"])
def test_serve_refuses_an_unusable_database_in_one_line(tmp_path, make) -> None:
    db = tmp_path / "x.db"
    before = make(db)
    done = _minsheng("serve", "--db", str(db), "--port", str(free_port()))
    assert done.returncode == 1
    assert done.stdout == ""  # nothing was served, not even the "serving ..." line
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"minsheng: {db}: not a usable SQLite database (")
    assert db.read_bytes() == before  # nothing was written to it


@pytest.mark.e2e
def test_init_db_refuses_a_damaged_database_in_one_line(tmp_path) -> None:
    db = tmp_path / "x.db"
    before = _damaged(db)
    done = _minsheng("init-db", "--db", str(db))
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"minsheng: {db}: not a usable SQLite database (damaged: ")
    assert db.read_bytes() == before


@pytest.mark.parametrize("make", [_not_sqlite, _damaged], ids=["not-sqlite", "damaged"])
def test_load_demo_and_report_refuse_an_unusable_database(tmp_path, make, capsys) -> None:
    db = tmp_path / "x.db"
    before = make(db)
    out = tmp_path / "county.pdf"
    for argv in (
        ["load-demo", "--db", str(db)],
        ["report", "county", "620523", "-o", str(out), "--db", str(db)],
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"minsheng: {db}: not a usable SQLite database ("), err
        assert len(err.splitlines()) == 1
    assert db.read_bytes() == before
    assert not out.exists()


def test_report_names_a_database_that_is_not_there(tmp_path, capsys) -> None:
    db = tmp_path / "missing.db"
    assert (
        main(["report", "village", "620523100200", "-o", str(tmp_path / "v.pdf"), "--db", str(db)])
        == 1
    )
    assert capsys.readouterr().err == f"minsheng: {db}: no such database file\n"
    assert not db.exists()  # not created empty by asking for a report
