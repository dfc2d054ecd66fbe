"""The village report's PDF: figures read back equal figures recounted from the raw answers."""

from __future__ import annotations

import asyncio
import copy
import re
import statistics
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages, roster_entry
from reports import draw as report_draw
from reports import pdf as report_pdf
from reports.draw import Period, Scope
from reports.figures import UnknownScope, build_report
from server.auth import system_principal
from server.db import Database
from server.form_versions import publish
from server.households import upsert_households
from server.needs import Overdue
from server.places import upsert_villages
from server.submissions import SubmissionCreate, create_submission
from tests.conftest import new_id

POOR = {"ordinary_poor", "dibao_poor", "tekun_poor"}
INJECTION = (
    '需要修房 <img src="file:///etc/passwd"> 详见 http://example.com/evil.png '
    '<link rel="stylesheet" href="http://example.com/x.css">'
)
LINE = 2952.0
TESTER = system_principal("test")
LATER = Overdue(30, 90, date.today())  # steps may be recorded up to today


def _village() -> dict[str, Any]:
    return demo_villages()[0]


async def _store(db_path: Path) -> list[dict[str, Any]]:
    """Store eight households (one surveyed twice) and return the answers a report must use."""
    from forms.schema import shipped_forms

    db = await Database.open(db_path)
    try:
        version = await publish(db, "household", shipped_forms()["household"], actor="test")
        await upsert_villages(db, demo_villages(), actor="test")
        households = list(demo_households(3, [_village()], per_village=8))
        households[0]["needs"] = [
            {
                "category": "infrastructure_housing",
                "item": "housing_renovation",
                "description": INJECTION,
                "urgency": "urgent",
            }
        ]
        # The second household was visited again later and is now out of poverty's
        # registry: only the later answer may count.
        earlier = copy.deepcopy(households[1])
        earlier["survey"]["date"] = (
            date.fromisoformat(households[1]["survey"]["date"]) - timedelta(days=30)
        ).isoformat()
        earlier["household"]["category"] = "tekun_poor"
        roster = [roster_entry(3, i, a) for i, a in enumerate(households)]
        await upsert_households(db, "test", roster)
        ids = [r["id"] for r in roster]
        for answers, household_id in [(earlier, ids[1]), *zip(households, ids, strict=True)]:
            body = SubmissionCreate(
                id=new_id(),  # type: ignore[arg-type]
                version=version,
                answers=answers,
                household_id=household_id,
            )
            await create_submission(db, "household", body, principal=TESTER)
        return households
    finally:
        await db.close()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    db_path = tmp_path_factory.mktemp("village") / "minsheng.db"
    return db_path, asyncio.run(_store(db_path))


@pytest.fixture(scope="module")
def rendered(stored, tmp_path_factory) -> dict[str, Any]:
    db_path, _ = stored
    report = build_report(db_path, Scope("village", _village()["code"]), Period(), LINE)
    fetcher = report_pdf.asset_fetcher()
    out = tmp_path_factory.mktemp("pdf") / "village.pdf"
    out.write_bytes(report_pdf.render_pdf(report, "zh", url_fetcher=fetcher))
    return {"report": report, "path": out, "fetcher": fetcher}


def _text(path: Path, *options: str) -> str:
    return subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _value(text: str, label: str) -> str:
    found = re.search(r"(?:^|\s)" + re.escape(label) + r"\s+([\d无−-]\S*)", text, re.MULTILINE)
    assert found, f"{label!r} not in the PDF text"
    return found.group(1)


def _per_capita(answers: dict[str, Any]) -> float:
    income = answers["income"]
    net = (
        income["wages"]
        + income["business_income"]
        - income["business_expense"]
        + income["property_income"]
        + sum(income["transfers"].values())
    )
    return round(net / len(answers["members"]), 2)


def test_figures_in_pdf_equal_figures_recounted_from_answers(rendered, stored) -> None:
    _, households = stored
    text = _text(rendered["path"], "-layout")
    population = sum(len(h["members"]) for h in households)
    poor = [h for h in households if h["household"]["category"] in POOR]
    still_poor = [h for h in poor if h["household"]["status"] != "out"]
    poor_people = sum(len(h["members"]) for h in still_poor)
    incomes = [_per_capita(h) for h in households]

    assert _value(text, "调查户数") == str(len(households))
    assert _value(text, "调查人口") == str(population)
    assert _value(text, "贫困户数") == str(len(still_poor))
    assert _value(text, "贫困人口") == str(poor_people)
    registered = _village()["population_registered"]
    assert _value(text, "贫困发生率") == f"{100 * poor_people / registered:.1f}%"
    assert _value(text, "人均纯收入平均值（按户）") == f"{statistics.mean(incomes):,.0f}"
    assert _value(text, "人均纯收入中位数（按户）") == f"{statistics.median(incomes):,.0f}"
    for cause, label in (("illness", "因病"), ("capital", "缺资金"), ("labour", "缺劳力")):
        expected = sum(1 for h in poor if h.get("causes", {}).get("main_cause") == cause)
        # The main-cause table is the first with these labels after the chart.
        table = text[text.index("主要致贫原因      ") :]
        assert _value(table, label) == str(expected), cause
    registered = _village()["households_registered"]
    assert _value(text, "调查覆盖率") == f"{100 * len(households) / registered:.1f}%"
    assert rendered["report"].submissions_in_period == len(households) + 1
    # A household without other causes is not an option of its own.
    assert "None" not in text


def _ages(answers: dict[str, Any]) -> list[int]:
    """Each member's age in whole years on the survey date."""
    surveyed = date.fromisoformat(answers["survey"]["date"])
    ages = []
    for member in answers["members"]:
        born = date.fromisoformat(member["birth_date"])
        before_birthday = (surveyed.month, surveyed.day) < (born.month, born.day)
        ages.append(surveyed.year - born.year - before_birthday)
    return ages


def _age_figures(households: list[dict[str, Any]]) -> dict[str, int]:
    ages = [_ages(h) for h in households]
    every = [a for household in ages for a in household]
    return {
        "elderly": sum(a >= 60 for a in every),
        "elderly_alone": sum(len(a) == 1 and a[0] >= 60 for a in ages),
        "0-15": sum(a < 16 for a in every),
        "16-59": sum(16 <= a <= 59 for a in every),
        "60+": sum(a >= 60 for a in every),
    }


def test_ages_in_pdf_equal_ages_recounted_from_birth_dates(rendered, stored) -> None:
    _, households = stored
    text = _text(rendered["path"], "-layout")
    expected = _age_figures(households)
    assert expected["elderly_alone"] > 0  # the drawn households include someone old living alone
    assert _value(text, "60岁及以上老人") == str(expected["elderly"])
    assert _value(text, "独居老人户") == str(expected["elderly_alone"])
    for band in ("0-15", "16-59", "60+"):
        assert _value(text, band) == str(expected[band]), band


def test_reordering_member_fields_does_not_change_ages(stored, monkeypatch) -> None:
    db_path, households = stored
    monkeypatch.setattr(report_draw, "MEMBER_FIELDS", report_draw.MEMBER_FIELDS[::-1])
    report = build_report(db_path, Scope("village", _village()["code"]), Period(), LINE)
    expected = _age_figures(households)
    vulnerable = report.figures.vulnerable
    assert vulnerable["elderly"] == expected["elderly"]
    assert vulnerable["elderly_alone"] == expected["elderly_alone"]
    assert dict(report.figures.people["age"].rows) == {
        band: expected[band] for band in ("0-15", "16-59", "60+")
    }


def test_missing_figures_say_no_data_not_zero(rendered, stored) -> None:
    text = _text(rendered["path"], "-layout")
    assert _value(text, "留守儿童") == "无数据"
    # No follow-up is recorded: every need counts as open, and the report says so.
    needs = sum(len(h.get("needs") or []) for h in stored[1])
    assert _value(text, "尚无办理记录的需求") == str(needs)
    assert _value(text, "平均办结天数") == "无数据"


def test_pages_have_numbers_header_and_contents(rendered) -> None:
    text = _text(rendered["path"], "-layout")
    pages = text.count("\f")
    assert f"第 2 页 共 {pages} 页" in text and f"第 {pages} 页 共 {pages} 页" in text
    village = _village()
    assert f"{village['name']} {village['code']}" in text  # running header
    toc = text.split("\f")[1]
    assert re.search(r"1\. 村情概况\s*\.+\s*\d+", toc), toc[:400]


def test_only_the_cjk_font_is_embedded_as_a_subset(rendered) -> None:
    listing = subprocess.run(
        ["pdffonts", str(rendered["path"])], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listing, "no fonts at all"
    for line in listing:
        name, *_ = line.split()
        assert re.fullmatch(r"[A-Z]{6}\+Noto-Sans-CJK-SC(-Bold)?", name), line
        assert " yes yes " in line, line  # embedded, subset


def test_every_page_renders_to_an_image(rendered, tmp_path) -> None:
    info = subprocess.run(
        ["pdfinfo", str(rendered["path"])], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    assert found, info
    pages = int(found.group(1))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "12", str(rendered["path"]), str(tmp_path / "p")],
        check=True,
        capture_output=True,
    )
    assert len(list(tmp_path.glob("p-*.png"))) == pages > 5


def test_typed_markup_and_urls_are_printed_as_text_and_never_fetched(rendered) -> None:
    raw = "".join(_text(rendered["path"]).split())
    assert '<imgsrc="file:///etc/passwd">' in raw  # whitespace removed, as from `raw`
    assert "http://example.com/evil.png" in raw
    fetcher = rendered["fetcher"]
    assert fetcher.refused == []
    assert [u.rsplit("/", 1)[-1] for u in fetcher.served] == ["report.css"]


def test_fetcher_refuses_files_and_urls_outside_the_assets(tmp_path) -> None:
    fetcher = report_pdf.asset_fetcher()
    for url in (
        "file:///etc/passwd",
        "http://example.com/x.png",
        (report_pdf.STATIC / ".." / "pdf.py").resolve().as_uri(),
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 3


def test_english_report_has_english_headings(stored, tmp_path) -> None:
    db_path, _ = stored
    report = build_report(db_path, Scope("village", _village()["code"]), Period(), LINE)
    out = tmp_path / "en.pdf"
    out.write_bytes(report_pdf.render_pdf(report, "en"))
    text = _text(out, "-layout")
    for heading in (
        "Contents",
        "Profile",
        "Income",
        "Causes of poverty",
        "Living conditions",
        "Needs ledger",
        "Household appendix",
        "Data quality",
        "Page 2 of",
    ):
        assert heading in text, heading
    assert "Illness" in text  # option labels come from the schema's x-en titles


def test_period_limits_the_households_drawn(stored) -> None:
    db_path, households = stored
    first = min(h["survey"]["date"] for h in households)
    report = build_report(
        db_path, Scope("village", _village()["code"]), Period(end=date.fromisoformat(first)), LINE
    )
    assert report.drawn == sum(1 for h in households if h["survey"]["date"] == first) + (
        1 if households[1]["survey"]["date"] != first and _earlier_in(households, first) else 0
    )


def _earlier_in(households: list[dict[str, Any]], first: str) -> bool:
    earlier = date.fromisoformat(households[1]["survey"]["date"]) - timedelta(days=30)
    return earlier.isoformat() <= first


def test_unknown_village_raises(stored) -> None:
    with pytest.raises(UnknownScope):
        build_report(stored[0], Scope("village", "620523999999"), Period(), LINE)


def test_without_a_cjk_font_no_pdf_is_made(rendered, monkeypatch) -> None:
    monkeypatch.setattr(report_pdf, "CJK_FAMILIES", ("No Such Font SC",))
    report_pdf.find_cjk_font.cache_clear()
    try:
        with pytest.raises(report_pdf.CJKFontMissing, match="fonts-noto-cjk"):
            report_pdf.render_pdf(rendered["report"])
    finally:
        report_pdf.find_cjk_font.cache_clear()


# ---------------------------------------------------------------- the needs ledger

LEDGER_END = date(2026, 8, 31)
_NEED = {
    "urgent": ("infrastructure_housing", "water", "吃水困难，希望接通自来水。"),
    "normal": ("employment", "skills_training", "想学电焊，希望参加技能培训。"),
    "long_term": ("development", "industry_support", "想扩大肉牛养殖，缺少启动资金。"),
}
# (household, need) -> its steps (status, day, satisfaction), in the order they are recorded.
STEPS: dict[tuple[int, int], list[tuple[str, str, str | None]]] = {
    (0, 0): [
        ("referred", "2026-04-05", None),
        ("solved", "2026-05-10", "satisfied"),
        ("in_progress", "2026-04-20", None),  # recorded late: the day orders steps
    ],
    (1, 0): [("solved_on_spot", "2026-04-02", "satisfied")],
    (1, 1): [("referred", "2026-04-10", None), ("cannot_solve", "2026-06-01", "dissatisfied")],
    (2, 0): [("referred", "2026-04-10", None), ("solved", "2026-09-15", "satisfied")],
    (2, 1): [("in_progress", "2026-05-01", None)],
    (3, 0): [("solved", "2026-07-01", None)],
    (3, 1): [("solved", "2026-05-01", None), ("in_progress", "2026-06-01", None)],  # reopened
}
# household -> (survey day, urgencies of its needs); (0, 1), (4, *) and (5, *) get no steps.
LEDGER_HOUSEHOLDS = [
    ("2026-04-01", ["urgent", "urgent"]),
    ("2026-04-02", ["normal", "urgent"]),
    ("2026-04-03", ["urgent", "normal"]),
    ("2026-04-04", ["long_term", "normal"]),
    ("2026-07-20", ["urgent", "normal"]),
    ("2026-08-30", ["urgent"]),
]


async def need_ids(db: Database, submission_id: str) -> list[int]:
    """The items an answer's needs became, in the order it lists them."""
    rows = await db.fetch_all(
        "SELECT need_id FROM need_listings WHERE submission_id = ?"
        " ORDER BY CAST(substr(path, 8) AS INTEGER)",
        (submission_id,),
    )
    return [r["need_id"] for r in rows]


async def _store_ledger(db_path: Path) -> None:
    from forms.schema import shipped_forms
    from server.need_steps import NeedStepCreate, create_step

    db = await Database.open(db_path)
    try:
        version = await publish(db, "household", shipped_forms()["household"], actor="test")
        await upsert_villages(db, demo_villages(), actor="test")
        answers = list(demo_households(5, [_village()], per_village=len(LEDGER_HOUSEHOLDS)))
        for index, (surveyed, urgencies) in enumerate(LEDGER_HOUSEHOLDS):
            household = answers[index]
            household["survey"]["date"] = surveyed
            household["needs"] = [
                dict(zip(("category", "item", "description"), _NEED[u], strict=True), urgency=u)
                for u in urgencies
            ]
            sid = new_id()
            entry = roster_entry(5, index, household)
            await upsert_households(db, "test", [entry])
            body = SubmissionCreate(
                id=sid,  # type: ignore[arg-type]
                version=version,
                answers=household,
                household_id=entry["id"],
            )
            await create_submission(db, "household", body, principal=TESTER)
            items = await need_ids(db, sid)
            for (h, need), steps in STEPS.items():
                for status, day, satisfaction in steps if h == index else []:
                    step = NeedStepCreate(
                        id=new_id(),  # type: ignore[arg-type]
                        status=status,
                        happened_on=day,
                        satisfaction=satisfaction,
                        responsible_unit="甘谷县水务局" if status == "referred" else None,
                    )
                    await create_step(db, items[need], step, principal=TESTER, overdue=LATER)
    finally:
        await db.close()


def _recount() -> dict[str, Any]:
    """The ledger's figures on LEDGER_END, counted from STEPS without SQL."""
    end = LEDGER_END.isoformat()
    status: dict[tuple[int, int], str] = {}
    days_to_close = []
    overdue = 0
    for h, (surveyed, urgencies) in enumerate(LEDGER_HOUSEHOLDS):
        for need, urgency in enumerate(urgencies):
            steps = [s for s in STEPS.get((h, need), []) if s[1] <= end]
            ordered = sorted(enumerate(steps), key=lambda p: (p[1][1], p[0]))
            current = ordered[-1][1][0] if ordered else "open"
            status[h, need] = current
            if current in ("solved", "solved_on_spot", "cannot_solve"):
                closed = min(
                    s[1] for s in steps if s[0] in ("solved", "solved_on_spot", "cannot_solve")
                )
                days = date.fromisoformat(closed) - date.fromisoformat(surveyed)
                days_to_close.append(days.days)
            elif urgency != "long_term":
                open_for = (LEDGER_END - date.fromisoformat(surveyed)).days
                overdue += open_for > {"urgent": 30, "normal": 90}[urgency]
    solved = sum(s in ("solved", "solved_on_spot") for s in status.values())
    codes = ("open", "solved_on_spot", "referred", "in_progress", "solved", "cannot_solve")
    return {
        "total": len(status),
        "solved": solved,
        "by_status": [sum(s == c for s in status.values()) for c in codes],
        "mean_days": statistics.mean(days_to_close),
        "without": sum(
            1 for (h, need) in status if not [s for s in STEPS.get((h, need), []) if s[1] <= end]
        ),
        "overdue": overdue,
    }


@pytest.fixture(scope="module")
def ledger_pdf(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("ledger")
    asyncio.run(_store_ledger(folder / "minsheng.db"))
    report = build_report(
        folder / "minsheng.db", Scope("village", _village()["code"]), Period(end=LEDGER_END), LINE
    )
    out = folder / "ledger.pdf"
    out.write_bytes(report_pdf.render_pdf(report, "zh"))
    return {"report": report, "text": _text(out, "-layout"), "db": folder / "minsheng.db"}


def test_ledger_in_pdf_equals_ledger_recounted_from_follow_ups(ledger_pdf) -> None:
    expected = _recount()
    assert expected["without"] == 4 and expected["overdue"] > 0  # the data covers the cases
    text = ledger_pdf["text"]
    total, solved = expected["total"], expected["solved"]
    rate = re.search(r"解决率\s+(\d+) / (\d+)（([\d.]+)%）", text)
    assert rate, "resolution rate not in the PDF"
    assert rate.groups() == (str(solved), str(total), f"{100 * solved / total:.1f}")
    assert _value(text, "平均办结天数") == f"{expected['mean_days']:.1f}"
    assert _value(text, "尚无办理记录的需求") == str(expected["without"])
    assert _value(text, "逾期未办结") == str(expected["overdue"])
    totals = re.search(r"^\s*合计((?:\s+\d+){7})\s*$", text, re.MULTILINE)
    assert totals, "status totals row not in the PDF"
    assert [int(k) for k in totals.group(1).split()] == [*expected["by_status"], total]
    assert "截至 2026-08-31" in text


def test_a_step_after_the_period_end_does_not_count(ledger_pdf) -> None:
    needs = ledger_pdf["report"].figures.needs
    # Household 2's urgent need was solved on 2026-09-15, after the period: still referred.
    overdue = ledger_pdf["report"].overdue_needs
    listed = [(n["raised_on"], n["status"], n["days_open"]) for n in overdue]
    assert ("2026-04-03", "referred", (LEDGER_END - date(2026, 4, 3)).days) in listed
    assert needs["solved"] == _recount()["solved"]
    # Long-term needs are never overdue; the overdue list is longest-open first.
    assert all(n["urgency"] != "long_term" for n in overdue)
    days = [n["days_open"] for n in overdue]
    assert days == sorted(days, reverse=True)


def test_without_a_period_end_the_late_step_counts(ledger_pdf) -> None:
    report = build_report(ledger_pdf["db"], Scope("village", _village()["code"]), Period(), LINE)
    assert report.figures.needs["solved"] == _recount()["solved"] + 1


def test_urgent_needs_list_leaves_out_closed_needs(ledger_pdf) -> None:
    listed = {n["raised_on"] for n in ledger_pdf["report"].urgent_needs}
    # Household 0's first urgent need is solved, its second is open; household 1's is closed.
    assert "2026-04-01" in listed and "2026-04-02" not in listed


def test_a_new_step_changes_the_cache_fingerprint(ledger_pdf) -> None:
    from server.need_steps import NeedStepCreate, create_step

    scope, period = Scope("village", _village()["code"]), Period()
    conn = report_draw.connect_readonly(ledger_pdf["db"])
    try:
        before = report_draw.fingerprint_row(conn, scope, period)
        sid = conn.execute("SELECT id FROM submissions WHERE survey_date = '2026-08-30'").fetchone()
    finally:
        conn.close()

    async def add() -> None:
        db = await Database.open(ledger_pdf["db"])
        try:
            step = NeedStepCreate(id=new_id(), status="in_progress", happened_on="2026-09-01")  # type: ignore[arg-type]
            items = await need_ids(db, sid[0])
            await create_step(db, items[0], step, principal=TESTER, overdue=LATER)
        finally:
            await db.close()

    asyncio.run(add())
    conn = report_draw.connect_readonly(ledger_pdf["db"])
    try:
        assert report_draw.fingerprint_row(conn, scope, period) != before
    finally:
        conn.close()


def test_appendix_rows_count_each_households_solved_needs(ledger_pdf) -> None:
    end = LEDGER_END.isoformat()
    expected = []
    for h, (_, urgencies) in enumerate(LEDGER_HOUSEHOLDS):
        solved = 0
        for need in range(len(urgencies)):
            steps = sorted(
                enumerate(s for s in STEPS.get((h, need), []) if s[1] <= end),
                key=lambda p: (p[1][1], p[0]),
            )
            solved += bool(steps) and steps[-1][1][0] in ("solved", "solved_on_spot")
        expected.append((len(urgencies), urgencies.count("urgent"), solved))
    appendix = ledger_pdf["text"][ledger_pdf["text"].index("户明细\n") :]
    rows = re.findall(r"(\d+) ?/ ?(\d+) ?/ ?(\d+)\s*$", appendix, re.M)
    found = [tuple(map(int, row)) for row in rows]
    assert sorted(found) == sorted(expected)


def _open_needs(kind: str) -> list[tuple[Any, ...]]:
    """Needs not closed on LEDGER_END, recounted from STEPS: (raised, urgency, status,
    unit, days open), for `kind` "urgent" (every open urgent need) or "overdue"."""
    end = LEDGER_END.isoformat()
    found = []
    for h, (surveyed, urgencies) in enumerate(LEDGER_HOUSEHOLDS):
        for need, urgency in enumerate(urgencies):
            steps = sorted(
                enumerate(s for s in STEPS.get((h, need), []) if s[1] <= end),
                key=lambda p: (p[1][1], p[0]),
            )
            status = steps[-1][1][0] if steps else "open"
            if status in ("solved", "solved_on_spot", "cannot_solve"):
                continue
            days = (LEDGER_END - date.fromisoformat(surveyed)).days
            unit = "甘谷县水务局" if any(s[0] == "referred" for _, s in steps) else None
            overdue = urgency != "long_term" and days > {"urgent": 30, "normal": 90}[urgency]
            if (kind == "urgent" and urgency == "urgent") or (kind == "overdue" and overdue):
                found.append((surveyed, urgency, status, unit, days))
    return found


def _listed(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["raised_on"], r["urgency"], r["status"], r["unit"], r["days_open"]) for r in rows]


def test_village_lists_give_unit_status_and_days_recounted(ledger_pdf) -> None:
    report = ledger_pdf["report"]
    assert sorted(_listed(report.urgent_needs)) == sorted(_open_needs("urgent"))
    assert sorted(_listed(report.overdue_needs)) == sorted(_open_needs("overdue"))
    assert all(r["village_code"] == _village()["code"] for r in report.urgent_needs)
    urgent = ledger_pdf["text"][ledger_pdf["text"].index("急需事项清单（未办结）") :]
    assert "已转办 · 甘谷县水务局" in " ".join(urgent.split())


@pytest.fixture(scope="module")
def county_ledger(ledger_pdf, tmp_path_factory) -> dict[str, Any]:
    county = _village()["code"][:6]
    report = build_report(ledger_pdf["db"], Scope("county", county), Period(end=LEDGER_END), LINE)
    out = tmp_path_factory.mktemp("county") / "county.pdf"
    out.write_bytes(report_pdf.render_pdf(report, "zh"))
    return {"report": report, "text": _text(out, "-layout")}


def test_county_lists_open_urgent_and_longest_overdue_needs_recounted(county_ledger) -> None:
    report = county_ledger["report"]
    urgent, overdue = _open_needs("urgent"), _open_needs("overdue")
    assert sorted(_listed(report.urgent_needs)) == sorted(urgent)
    assert sorted(_listed(report.overdue_needs)) == sorted(overdue)
    # Open longest first, each with its village.
    for rows in (report.urgent_needs, report.overdue_needs):
        days_open = [r["days_open"] for r in rows]
        assert days_open == sorted(days_open, reverse=True)
        assert {r["village_name"] for r in rows} == {_village()["name"]}
    assert report.figures.needs["urgent_open"] == len(urgent)
    text = " ".join(county_ledger["text"].split())
    assert "未办结的急需事项" in text and "逾期未办结需求" in text
    days = max(d for *_, d in overdue)
    assert f"{_village()['name']} · " in text and f" {days} " in text


def test_needs_read_from_items_equal_needs_recounted_from_steps(ledger_pdf) -> None:
    """Without a period end a report reads each need's status from its item; up to today
    it recounts it from the steps. Both must say the same."""
    scope, today = Scope("village", _village()["code"]), date.today()
    now = build_report(ledger_pdf["db"], scope, Period(), LINE, today=today)
    recounted = build_report(ledger_pdf["db"], scope, Period(end=today), LINE, today=today)
    assert now.figures.needs == recounted.figures.needs
    assert now.overdue_needs == recounted.overdue_needs
    assert now.urgent_needs == recounted.urgent_needs
    assert now.households == recounted.households
