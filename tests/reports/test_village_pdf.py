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

from forms.demo import demo_households, demo_villages
from reports import draw as report_draw
from reports import pdf as report_pdf
from reports.draw import Period, Scope
from reports.figures import UnknownScope, build_report
from server.db import Database
from server.form_versions import publish
from server.submissions import SubmissionCreate, create_submission
from server.villages import upsert_villages
from tests.conftest import new_id

POOR = {"ordinary_poor", "dibao_poor", "tekun_poor"}
INJECTION = (
    '需要修房 <img src="file:///etc/passwd"> 详见 http://example.com/evil.png '
    '<link rel="stylesheet" href="http://example.com/x.css">'
)
LINE = 2952.0


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
        for answers in [earlier, *households]:
            body = SubmissionCreate(id=new_id(), version=version, answers=answers)  # type: ignore[arg-type]
            await create_submission(db, "household", body, actor="test")
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
    poor_people = sum(len(h["members"]) for h in poor)
    incomes = [_per_capita(h) for h in households]

    assert _value(text, "调查户数") == str(len(households))
    assert _value(text, "人口") == str(population)
    assert _value(text, "贫困户数") == str(len(poor))
    assert _value(text, "贫困人口") == str(poor_people)
    assert _value(text, "贫困发生率") == f"{100 * poor_people / population:.1f}%"
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


def test_missing_figures_say_no_data_not_zero(rendered) -> None:
    text = _text(rendered["path"], "-layout")
    assert _value(text, "留守儿童") == "无数据"
    assert _value(text, "解决率") == "无数据"
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
