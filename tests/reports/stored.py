"""Answers stored the way the server stores them, and PDF text read back, for report tests.

Report tests recount every printed figure from the answers they stored: these
helpers store crafted households through the same validation as any answer
(`create_submission`), each on the roster, and read a rendered PDF's text.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

from forms.demo import demo_households, demo_villages, roster_entry
from reports import pdf as report_pdf
from reports.draw import Period, Scope
from reports.figures import Report, build_report
from server.auth import system_principal
from server.db import Database
from server.form_versions import publish
from server.households import upsert_households
from server.places import upsert_villages
from server.submissions import SubmissionCreate, create_submission
from tests.conftest import new_id

LINE = 2952.0
TESTER = system_principal("test")
VILLAGE = demo_villages()[0]
COUNTY = VILLAGE["county_code"]


def households(seed: int, count: int, village: dict[str, Any] = VILLAGE) -> list[dict[str, Any]]:
    """`count` valid demo answers of `village`, to be changed by a test."""
    return list(demo_households(seed, [village], per_village=count))


def set_income(answers: dict[str, Any], **income: float) -> None:
    """Set a household's income: the given fields, every other one (transfers too) 0."""
    transfers = {k: income.pop(k, 0) for k in ("dibao", "pension", "eco_compensation", "other")}
    answers["income"] = {
        "wages": 0,
        "business_income": 0,
        "business_expense": 0,
        "property_income": 0,
        **income,
        "transfers": transfers,
    }


async def _store(
    db_path: Path, answers: list[tuple[int, dict[str, Any]]], villages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Store (roster index, answers) pairs: answers with the same index are surveys of the
    same roster household (the first one names it)."""
    from forms.schema import shipped_forms

    db = await Database.open(db_path)
    try:
        version = await publish(db, "household", shipped_forms()["household"], actor="test")
        await upsert_villages(db, villages, actor="test")
        entries: dict[int, dict[str, Any]] = {}
        for index, household in answers:
            if index not in entries:
                entries[index] = roster_entry(41, index, household)
                await upsert_households(db, "test", [entries[index]])
            body = SubmissionCreate(
                id=new_id(),  # type: ignore[arg-type]
                version=version,
                answers=household,
                household_id=entries[index]["id"],
            )
            await create_submission(db, "household", body, principal=TESTER)
        return list(entries.values())
    finally:
        await db.close()


def store(
    db_path: Path,
    answers: list[dict[str, Any]],
    villages: list[dict[str, Any]] | None = None,
    rounds: list[list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Store each answer for a roster household of its own; returns the roster entries.

    `rounds` are earlier surveys stored first: the i-th answer of a round is about the
    same roster household as the i-th of `answers`.
    """
    pairs = [(i, a) for earlier in rounds or [] for i, a in enumerate(earlier)]
    pairs += list(enumerate(answers))
    return asyncio.run(_store(db_path, pairs, villages or demo_villages()))


def set_population(db_path: Path, populations: dict[str, int | None]) -> None:
    """Record villages' registered population, as a place import would."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        conn.executemany(
            "UPDATE places SET population_registered = ? WHERE code = ?",
            [(people, code) for code, people in populations.items()],
        )
        conn.commit()
    finally:
        conn.close()


def report(
    db_path: Path, kind: str = "village", code: str = VILLAGE["code"], period: Period | None = None
) -> Report:
    return build_report(db_path, Scope(kind, code), period or Period(), LINE)


def render(report: Report, out: Path, lang: str = "zh") -> str:
    """Write the report's PDF to `out` and return its text as laid out."""
    out.write_bytes(report_pdf.render_pdf(report, lang))
    return pdf_text(out)


def pdf_text(path: Path, *options: str) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", *options, str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def value(text: str, label: str) -> str:
    """The first figure printed after `label`."""
    found = re.search(r"(?:^|\s)" + re.escape(label) + r"\s+([\d无−-]\S*)", text, re.MULTILINE)
    assert found, f"{label!r} not in the PDF text"
    return found.group(1)


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    found = re.search(r"Pages:\s+(\d+)", info.stdout)
    assert found, info.stdout
    return int(found.group(1))
