"""`minsheng report batch county CODE`: every village of a small county rendered by the
server's worker processes, with a line per village, the failures named and counted,
the cache reused, and nothing half-written when the batch is stopped."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report_bench import COUNTY, build_db, county_villages
from server.cli import main

VILLAGES = county_villages(3)
BROKEN = VILLAGES[1]


@pytest.fixture(scope="module")
def _county_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("county") / "county.db"
    build_db(db, VILLAGES, per_village=12)
    return db


@pytest.fixture
def county_db(_county_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of a 3-village county of 12 households each, with its own report cache."""
    db = tmp_path / "county.db"
    shutil.copyfile(_county_db, db)
    monkeypatch.setenv("MINSHENG_REPORT_CACHE", str(tmp_path / "cache"))
    return db


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _batch(db: Path, out: Path, *more: str) -> list[str]:
    return ["report", "batch", "county", COUNTY, "--db", str(db), "-o", str(out), *more]


def test_batch_renders_every_village_of_the_county_with_a_line_each(
    county_db, tmp_path, capsys
) -> None:
    out = tmp_path / "out"
    assert main(_batch(county_db, out, "--workers", "2")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"county {COUNTY}: 3 villages, 2 workers, into {out}"
    progress = lines[1:4]
    for village in VILLAGES:
        assert any(
            re.fullmatch(rf"\[[123]/3\] {village['code']} {village['name']} \d+\.\d s", line)
            for line in progress
        ), progress
        pdf = out / f"village_{village['code']}_zh.pdf"
        assert _pages(pdf) > 0
        assert village["name"] in _text(pdf)
    assert sorted(line[:5] for line in progress) == ["[1/3]", "[2/3]", "[3/3]"]
    assert re.fullmatch(rf"county {COUNTY}: 3 rendered, 0 cached, 0 failed, in \d+\.\d s", lines[4])
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"village_{v['code']}_zh.pdf" for v in VILLAGES
    )


def test_a_village_that_fails_is_named_and_the_others_are_rendered(
    county_db, tmp_path, capsys
) -> None:
    conn = sqlite3.connect(county_db)
    # Valid JSON (the table checks that) in a shape the report cannot read.
    conn.execute(
        "UPDATE submissions SET answers = json_set(answers, '$.members', 'oops')"
        " WHERE village_code = ?",
        (BROKEN["code"],),
    )
    conn.commit()
    conn.close()
    out = tmp_path / "out"
    assert main(_batch(county_db, out, "--workers", "1", "--lang", "en")) == 1
    captured = capsys.readouterr()
    failed = [line for line in captured.out.splitlines() if "FAILED" in line]
    assert len(failed) == 1
    assert re.fullmatch(
        rf"\[\d/3\] {BROKEN['code']} {BROKEN['name']} FAILED: OperationalError: malformed JSON",
        failed[0],
    )
    assert "1 of 3 villages failed" in captured.err
    assert "2 rendered, 0 cached, 1 failed" in captured.out
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(
        f"village_{v['code']}_en.pdf" for v in VILLAGES if v["code"] != BROKEN["code"]
    )
    assert all(_pages(out / name) > 0 for name in written)


def test_a_second_batch_reuses_the_cached_reports(county_db, tmp_path, capsys) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(_batch(county_db, first, "--workers", "2")) == 0
    capsys.readouterr()
    assert main(_batch(county_db, second, "--workers", "2")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(line.endswith(" cached") for line in lines[1:4]), lines
    assert "0 rendered, 3 cached, 0 failed" in lines[4]
    for village in VILLAGES:
        name = f"village_{village['code']}_zh.pdf"
        assert (second / name).read_bytes() == (first / name).read_bytes()

    conn = sqlite3.connect(county_db)  # one village's data changes: only it is rendered
    conn.execute(
        "UPDATE places SET households_registered = 301 WHERE code = ?", (VILLAGES[0]["code"],)
    )
    conn.commit()
    conn.close()
    assert main(_batch(county_db, second, "--workers", "2")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "1 rendered, 2 cached, 0 failed" in lines[4]
    assert not any(line.endswith(" cached") and VILLAGES[0]["code"] in line for line in lines)


def test_an_unknown_county_is_one_line(county_db, tmp_path, capsys) -> None:
    args = ["report", "batch", "county", "620599", "--db", str(county_db), "-o", str(tmp_path)]
    assert main(args) == 1
    assert capsys.readouterr().err.strip() == (
        "minsheng: county 620599: no villages in the places table"
    )


def test_a_stopped_batch_leaves_only_whole_pdfs(county_db, tmp_path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "MINSHENG_REPORT_CACHE": str(tmp_path / "cache")}
    with subprocess.Popen(
        [sys.executable, "-m", "server.cli", *_batch(county_db, out, "--workers", "1")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as batch:
        assert batch.stdout is not None
        try:
            assert batch.stdout.readline().startswith(f"county {COUNTY}: 3 villages")
            assert batch.stdout.readline().startswith("[1/3] ")
            batch.send_signal(signal.SIGINT)  # Ctrl-C while the second village renders
            rest, err = batch.communicate(timeout=60)
        finally:
            if batch.poll() is None:
                batch.kill()
    assert batch.returncode == 130, err
    assert "stopped after 1 of 3 villages" in err
    assert "[3/3]" not in rest
    written = list(out.iterdir())
    assert len(written) == 1 and written[0].suffix == ".pdf"
    assert _pages(written[0]) > 0
    assert not [p for p in out.iterdir() if ".part" in p.name]
    for cached in (tmp_path / "cache").glob("*.pdf"):  # a stopped render left no PDF there
        assert _pages(cached) > 0
