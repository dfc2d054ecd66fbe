"""A form's summary: every printed count and share is recounted from the stored answers.

The recount here is written apart from reports/summary.py: it reads the stored
answers with plain SQL, keeps each household's (or village's) current answer by
the rule the reports state (not corrected, not rejected, latest survey date, then
latest arrival) and counts with Counters. The PDF's text (poppler's pdftotext) must
print the same counts and percentages, and none of the answers' free text, names,
ID or phone numbers.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import statistics
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from forms.demo import demo_households, demo_villages, roster_entry
from forms.schema import shipped_forms
from reports.charts import percent
from reports.distributions import by_month, histogram, number_text
from reports.summary import Question, Repeat, Summary, build_summary
from reports.summary_pdf import render_summary
from server.auth import Principal, system_principal
from server.db import Database
from server.form_versions import publish
from server.households import upsert_households
from server.places import upsert_villages
from server.reviews import ReviewCreate, create_review
from server.submissions import SubmissionCreate, create_submission
from server.summaries import SummaryAsk, summary_request
from tests.reports.stored import pdf_text
from tests.reports.village_form import FORM_ID, VILLAGE_FORM, village_answers

ADMIN = system_principal("test")
VILLAGES = demo_villages()
COUNTY = VILLAGES[0]["county_code"]
TZ = "Asia/Shanghai"


# ---------------------------------------------------------------- stored answers


async def _submit(db: Database, form_id: str, answers: dict[str, Any], **about: Any) -> str:
    sid = str(uuid.uuid4())
    body = SubmissionCreate(id=uuid.UUID(sid), version=1, answers=answers, **about)
    await create_submission(db, form_id, body, principal=ADMIN)
    return sid


async def _stock(db_path: Path) -> None:
    """Households of two villages, with a re-survey, a correction and a rejected answer;
    the village form answered in every village, some villages twice."""
    db = await Database.open(db_path)
    try:
        await publish(db, "household", shipped_forms()["household"], actor="test")
        await publish(db, FORM_ID, VILLAGE_FORM, actor="test")
        await upsert_villages(db, VILLAGES, actor="test")
        answers = list(demo_households(31, VILLAGES[:2], per_village=9))
        entries = [roster_entry(51, i, a) for i, a in enumerate(answers)]
        await upsert_households(db, "test", entries)
        first = [
            await _submit(db, "household", a, household_id=e["id"])
            for a, e in zip(answers, entries, strict=True)
        ]
        later = list(demo_households(32, VILLAGES[:2], per_village=3))
        # households 0 and 1 surveyed again; 2's answer corrected; 3's re-survey rejected
        for index, again in ((0, later[0]), (1, later[1]), (3, later[2])):
            again["survey"]["date"] = "2026-11-20"
            sid = await _submit(db, "household", again, household_id=entries[index]["id"])
        corrected = json.loads(json.dumps(answers[2]))
        corrected["household"]["category"] = "tekun_poor"
        await _submit(
            db, "household", corrected, household_id=entries[2]["id"], corrects=uuid.UUID(first[2])
        )
        await create_review(
            db, sid, ReviewCreate(uuid.uuid4(), "rejected", "数字不对"), principal=ADMIN
        )
        for seed, village in enumerate(VILLAGES):
            for answer in village_answers(seed + 1, 2 if seed % 2 else 1):
                await _submit(db, FORM_ID, answer, village_code=village["code"])
    finally:
        await db.close()


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db_path = tmp_path_factory.mktemp("summary") / "minsheng.db"
    asyncio.run(_stock(db_path))
    return db_path


def _request(db_path: Path, principal: Principal = ADMIN, **ask: Any) -> Any:
    async def made() -> Any:
        db = await Database.open(db_path)
        try:
            return await summary_request(db, principal, SummaryAsk(**ask), TZ, "test")
        finally:
            await db.close()

    return asyncio.run(made())


# ---------------------------------------------------------------- the recount


def current_answers(
    db_path: Path,
    form_id: str,
    prefix: str = "",
    start: str | None = None,
    end: str | None = None,
) -> list[dict[str, Any]]:
    """Each household's (village's) current answer, recounted from the stored rows."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT rowid, * FROM submissions WHERE form_id = ? ORDER BY rowid", (form_id,)
        ).fetchall()
        reviews = conn.execute("SELECT submission_id, decision FROM answer_reviews ORDER BY id")
        latest = dict(reviews.fetchall())
    finally:
        conn.close()
    best: dict[str, tuple[tuple[str, str, int], sqlite3.Row]] = {}
    for row in rows:
        answers = json.loads(row["answers"])
        day = (answers.get("survey") or {}).get("date")
        if row["corrected_by"] or latest.get(row["id"]) == "rejected":
            continue
        if not (row["village_code"] or "").startswith(prefix):
            continue
        if (start and (day or "") < start) or (end and (day or "9") > end):
            continue
        entity = row["household_id"] or row["village_code"]
        order = (day or "", row["received_at"], row["rowid"])
        if entity not in best or order > best[entity][0]:
            best[entity] = (order, row)
    return [json.loads(row["answers"]) for _, row in best.values()]


def _nodes(summary: Summary) -> Iterator[Question | Repeat]:
    def walk(nodes: list[Question | Repeat], prefix: str) -> Iterator[Question | Repeat]:
        for node in nodes:
            yield node
            if isinstance(node, Repeat):
                yield from walk(node.nodes, f"{prefix}{node.key}.")

    for section in summary.sections:
        yield from walk(section.nodes, "")


def question(summary: Summary, key: str, within: str = "") -> Question:
    for node in _nodes(summary):
        wanted = isinstance(node, Question) and node.key == key
        if wanted and (not within or node in _inside(summary, within)):
            return node  # type: ignore[return-value]
    raise AssertionError(f"no question {key}")


def _inside(summary: Summary, repeat: str) -> list[Question | Repeat]:
    found = next(n for n in _nodes(summary) if isinstance(n, Repeat) and n.key == repeat)
    return found.nodes


def at(answer: dict[str, Any], key: str) -> Any:
    value: Any = answer
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# ---------------------------------------------------------------- figures


def test_household_figures_equal_a_recount_of_the_current_answers(stocked: Path) -> None:
    request = _request(stocked, form_id="household", county=COUNTY)
    summary = build_summary(stocked, request)
    current = current_answers(stocked, "household", COUNTY)
    assert summary.answers == len(current) == 18  # a re-survey replaces, not adds
    assert summary.stored == 18 + 3  # the corrected answer is not in the period's count

    category = question(summary, "household.category")
    assert category.asked == 18
    assert dict(category.counts) == Counter(a["household"]["category"] for a in current)
    assert category.counts["tekun_poor"] >= 1  # the correction counts, not what it corrected

    special = question(summary, "household.special")
    chosen = [a["household"].get("special") or [] for a in current]
    assert special.answered == sum(1 for c in chosen if c)
    assert dict(special.counts) == Counter(code for c in chosen for code in c)

    wages = question(summary, "income.wages")
    assert sorted(wages.values) == sorted(a["income"]["wages"] for a in current)

    members = next(n for n in _nodes(summary) if isinstance(n, Repeat) and n.key == "members")
    assert members.items == sum(len(a["members"]) for a in current)
    assert sorted(members.per_row) == sorted(len(a["members"]) for a in current)
    sex = question(summary, "sex", within="members")
    assert dict(sex.counts) == Counter(m["sex"] for a in current for m in a["members"])

    # asked only of members whose health says so: asked = those members
    disability = question(summary, "disability_type", within="members")
    disabled = [m for a in current for m in a["members"] if "disability_type" in m]
    assert disability.conditional and disability.answered == len(disabled)
    assert disability.asked >= len(disabled)


def test_village_form_counts_one_current_answer_per_village(stocked: Path) -> None:
    summary = build_summary(stocked, _request(stocked, form_id=FORM_ID))
    current = current_answers(stocked, FORM_ID)
    assert summary.subject == "village"
    assert summary.answers == len(current) == len(VILLAGES)
    assert summary.stored > summary.answers  # villages answered twice count once

    road = question(summary, "facilities.road")
    assert dict(road.counts) == Counter(a["facilities"]["road"] for a in current)
    doctors = question(summary, "facilities.doctors")
    with_clinic = [a for a in current if a["facilities"]["clinic"]]
    assert doctors.conditional and doctors.asked == len(with_clinic)
    assert sorted(doctors.values) == sorted(a["facilities"]["doctors"] for a in with_clinic)
    days = question(summary, "days", within="cadres")
    assert sorted(days.values) == sorted(c["days"] for a in current for c in a.get("cadres", []))
    visit = question(summary, "facilities.visit_date")
    assert sum(visit.counts.values()) == len(current)


def test_period_and_place_narrow_the_answers(stocked: Path) -> None:
    village = VILLAGES[1]["code"]
    request = _request(
        stocked, form_id="household", village=village, start=date(2026, 1, 1), end=date(2026, 9, 30)
    )
    summary = build_summary(stocked, request)
    current = current_answers(stocked, "household", village, "2026-01-01", "2026-09-30")
    assert summary.answers == len(current)
    assert dict(question(summary, "household.category").counts) == Counter(
        a["household"]["category"] for a in current
    )
    # The village form has no survey date: its period is of the days answers arrived.
    today = datetime.now(ZoneInfo(TZ)).date()  # the day in MINSHENG_TZ, not the machine's
    arrived = build_summary(stocked, _request(stocked, form_id=FORM_ID, start=today, end=today))
    assert arrived.answers == len(VILLAGES)
    gone = build_summary(stocked, _request(stocked, form_id=FORM_ID, end=date(2000, 1, 1)))
    assert gone.answers == 0
    pdf, _ = render_summary(stocked, _request(stocked, form_id=FORM_ID, end=date(2000, 1, 1)))
    assert pdf.startswith(b"%PDF-")


def test_histogram_and_months_hold_every_value() -> None:
    values = [0, 1.5, 2952, 2952.01, 10_000, 68_870]
    bins = histogram(values)
    assert sum(n for _, n in bins) == len(values)
    assert [label for label, _ in histogram([1, 2, 2, 5])] == ["1", "2", "3", "4", "5"]
    assert histogram([2.5, 2.5]) == [("2.50", 2)]
    unit, months = by_month(Counter({"2026-01-31": 2, "2026-03-01": 1}))
    assert unit == "month" and months == [("2026-01", 2), ("2026-02", 0), ("2026-03", 1)]
    unit, years = by_month(Counter({"1934-02-16": 1, "2025-12-28": 3}))
    assert unit == "years" and sum(n for _, n in years) == 4
    assert number_text(2952.0) == "2,952" and number_text(170.5) == "170.50"


# ---------------------------------------------------------------- the PDF


def _flat(text: str) -> str:
    return " ".join(text.split())


def _after(text: str, title: str) -> str:
    """The text from question `title`'s block on (its line, then 询问 ...)."""
    found = re.search(re.escape(title) + r" (条件题\S* )?询问 ", text)
    assert found, f"{title!r} not in the PDF text"
    return text[found.start() :]


def _row(block: str, label: str, count: int, base: int) -> None:
    expected = f"{label} {count} {percent(count, base)}"
    head = block[:2500]
    assert expected in head, f"{expected!r} not printed: {head[:400]!r}"


def _private(answers: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for a in answers:
        found |= {a["household"]["head_name"], a["survey"]["surveyor"]}
        found |= {m["id_number"] for m in a["members"]} | {m["name"] for m in a["members"]}
        if a["household"].get("phone"):
            found.add(a["household"]["phone"])
        found |= {n["description"] for n in a.get("needs", []) if n.get("description")}
    return found


def test_household_pdf_prints_the_recount_and_nothing_private(
    stocked: Path, tmp_path: Path
) -> None:
    request = _request(stocked, form_id="household", county=COUNTY)
    pdf, summary = render_summary(stocked, request)
    (tmp_path / "s.pdf").write_bytes(pdf)
    text = _flat(pdf_text(tmp_path / "s.pdf"))
    current = current_answers(stocked, "household", COUNTY)
    n = len(current)
    assert f"计入的答复 {n}" in text

    block = _after(text, "贫困户属性")
    labels = dict(question(summary, "household.category").options)
    for code, count in Counter(a["household"]["category"] for a in current).items():
        _row(block, labels[code], count, n)
    _row(block, "未答", 0, n)

    block = _after(text, "特殊户")
    chosen = [a["household"].get("special") or [] for a in current]
    answered = sum(1 for c in chosen if c)
    labels = dict(question(summary, "household.special").options)
    for code, count in Counter(code for c in chosen for code in c).items():
        _row(block, labels[code], count, answered)  # shares of those who answered

    wages = [a["income"]["wages"] for a in current]
    block = _after(text, "工资性收入")
    spread = (
        f"最小 {number_text(min(wages))} 元 · 中位数 {number_text(statistics.median(wages))} 元"
        f" · 平均 {number_text(statistics.fmean(wages))} 元 · 最大 {number_text(max(wages))} 元"
    )
    assert spread in block[:300]

    members = [m for a in current for m in a["members"]]
    assert f"共 {len(members)} 项" in text
    block = _after(text, "性别")
    for label, code in (("男", "male"), ("女", "female")):
        _row(block, label, sum(1 for m in members if m["sex"] == code), len(members))

    stored = current_answers(stocked, "household") + _all_household_answers(stocked)
    leaked = {value for value in _private(stored) if value in text}
    assert not leaked
    assert not re.search(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])", text)  # no ID number at all


def _all_household_answers(db_path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT answers FROM submissions WHERE form_id = 'household'")
        return [json.loads(r[0]) for r in rows]
    finally:
        conn.close()


def test_village_form_pdf_prints_its_figures_and_no_free_text(
    stocked: Path, tmp_path: Path
) -> None:
    pdf, summary = render_summary(stocked, _request(stocked, form_id=FORM_ID, lang="zh"))
    (tmp_path / "v.pdf").write_bytes(pdf)
    text = _flat(pdf_text(tmp_path / "v.pdf"))
    current = current_answers(stocked, FORM_ID)
    n = len(current)
    assert "村级基础设施调查" in text and f"计入的答复 {n}" in text

    block = _after(text, "通村道路")
    for code, label, _ in (
        ("paved", "硬化路", ""),
        ("gravel", "砂石路", ""),
        ("earth", "土路", ""),
    ):
        _row(block, label, sum(1 for a in current if a["facilities"]["road"] == code), n)
    block = _after(text, "有村卫生室")
    clinics = sum(1 for a in current if a["facilities"]["clinic"])
    _row(block, "是", clinics, n)
    _row(block, "否", n - clinics, n)
    assert _after(text, "村医人数").startswith("村医人数 条件题")
    assert f"询问 {clinics} · 作答 {clinics}" in _after(text, "村医人数")[:200]

    problems = [a["facilities"].get("problems") or [] for a in current]
    block = _after(text, "主要困难")
    for code, label in (("water", "饮水难"), ("road", "出行难")):
        count = sum(1 for p in problems if code in p)
        _row(block, label, count, sum(1 for p in problems if p))

    cadres = [c for a in current for c in a.get("cadres", [])]
    assert f"共 {len(cadres)} 项" in text
    block = _after(text, "职务")
    _row(block, "第一书记", sum(1 for c in cadres if c["role"] == "first_secretary"), len(cadres))

    conn = sqlite3.connect(stocked)
    try:
        rows = conn.execute("SELECT answers FROM submissions WHERE form_id = ?", (FORM_ID,))
        everything = [json.loads(r[0]) for r in rows]
    finally:
        conn.close()
    assert "秘" not in text  # no remark, no cadre's name
    phones = {c["phone"] for a in everything for c in a.get("cadres", [])}
    assert not {p for p in phones if p in text}
    assert summary.pages >= 1
