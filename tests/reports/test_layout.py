"""What a report looks like on paper: long text stays on the page, an empty village gets
one page that says so, running headers name the chapter the page is in, English has no
Chinese of the template's own, and the sign-off has lines for 填报人 and 审核人."""

from __future__ import annotations

import dataclasses
import html
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reports import pdf as report_pdf
from reports.figures import Report
from reports.labels import Labels
from tests.reports.stored import (
    COUNTY,
    VILLAGE,
    households,
    pages,
    pdf_text,
    render,
    report,
    set_income,
    store,
)

LONG = "W" * 500  # no space, no break opportunity: only wrapping anywhere keeps it in


def _unbroken(length: int) -> str:
    return "W" * length


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("layout")
    answers = households(71, 10)
    first = answers[0]
    first["needs"] = [
        {"category": "infrastructure_housing", "item": "housing_renovation",
         "description": LONG, "urgency": "urgent"}
    ]  # fmt: skip
    first["household"]["head_name"] = _unbroken(20)
    first["household"]["group"] = _unbroken(20)
    first["survey"]["surveyor"] = _unbroken(20)
    # On the red-flag lists too: a non-poor household below the line.
    first["household"]["category"] = "non_poor"
    first["household"].pop("status", None)
    first.pop("causes", None)
    set_income(first, wages=100 * len(first["members"]))
    db = folder / "minsheng.db"
    store(db, answers)
    return {"db": db, "folder": folder}


def _words(path: Path) -> list[tuple[int, float, float, str]]:
    """(page, right edge, page width, text) of every word pdftotext finds."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", out, re.S), 1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        for x_max, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"'
                                      r' yMax="[\d.]+">(.*?)</word>', page):  # fmt: skip
            words.append((number, float(x_max), width, html.unescape(word)))
    return words


@pytest.mark.parametrize("kind", ["village", "county"])
def test_long_unbroken_text_wraps_inside_the_page(stored, kind: str) -> None:
    built = report(stored["db"], kind, VILLAGE["code"] if kind == "village" else COUNTY)
    out = stored["folder"] / f"{kind}.pdf"
    render(built, out)
    words = _words(out)
    long_words = [w for w in words if "WWWW" in w[3]]
    assert long_words, "the long strings are printed"
    margin = 10 * 72 / 25.4  # every page's margins are wider than 10 mm
    for page, right, width, word in words:
        assert right <= width - margin, (page, right, width, word[:30])
    if kind == "village":  # the whole 500 characters are there, over several lines
        assert sum(w[3].count("W") for w in long_words) >= 500 + 3 * 20


def test_a_village_with_no_answers_prints_one_page_saying_so(tmp_path: Path) -> None:
    db = tmp_path / "minsheng.db"
    store(db, [])
    built = report(db)
    assert built.drawn == 0
    out = tmp_path / "empty.pdf"
    text = render(built, out)
    assert pages(out) == 1
    assert "本期间没有调查数据" in text
    assert VILLAGE["name"] in text and VILLAGE["code"] in text
    english = render(built, tmp_path / "empty-en.pdf", "en")
    assert "No survey data for this period" in english
    county = report(db, "county", COUNTY)
    render(county, tmp_path / "county.pdf")
    assert pages(tmp_path / "county.pdf") == 1


def test_the_running_header_names_the_chapter_the_page_starts_in(stored) -> None:
    out = stored["folder"] / "headers.pdf"
    built = report(stored["db"])
    text = render(built, out)
    titles = [zh for _, zh, _ in report_pdf._context(built, "zh", "t", "incidence")["sections"]]
    current = None
    checked = 0
    for number, page in enumerate(text.split("\f")[2:-1], 3):  # after the cover and contents
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        header, body = lines[0], lines[1:]
        starts = body[0] if body and body[0] in titles else None
        expected = starts or current
        assert header.endswith(expected or "?"), (number, header, body[:2])
        checked += 1
        for line in body:
            if line in titles:
                current = line
    assert checked > 5


def _strings(value: Any) -> list[str]:
    """Every string in a report's data: names, places, labels, codes."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple | set):
        return [s for v in value for s in _strings(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _strings({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return []


CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize("kind", ["village", "county"])
def test_english_leaves_nothing_chinese_of_the_templates_own(stored, kind: str) -> None:
    built: Report = report(stored["db"], kind, VILLAGE["code"] if kind == "village" else COUNTY)
    # The schema's labels are the form designer's words, not the template's: made ASCII
    # here, so a Chinese word of the template's own cannot hide behind one.
    ascii_labels = Labels(
        {path: {code: (zh, f"option {code}") for code, (zh, _) in options.items()}
         for path, options in built.labels.options.items()},
        {path: (zh, f"title {path}") for path, (zh, _) in built.labels.titles.items()},
        (built.labels.form_title[0], "form title"),
    )  # fmt: skip
    built = dataclasses.replace(built, labels=ascii_labels)
    page = report_pdf.render_html(built, "en", generated_by="tester")
    body = page[page.index("<body>") :]
    text = html.unescape(re.sub(r"<[^>]+>", "\n", body))
    fields = {f.name: getattr(built, f.name) for f in dataclasses.fields(built)}
    data = set(_strings({k: v for k, v in fields.items() if k != "labels"})) | {"tester"}
    leftover = []
    for line in text.splitlines():
        for value in sorted((d for d in data if CJK.search(d)), key=len, reverse=True):
            line = line.replace(value, "")
        if CJK.search(line):
            leftover.append(line.strip())
    assert leftover == [], "\n".join(leftover)
    out = stored["folder"] / f"{kind}-en.pdf"
    out.write_bytes(report_pdf.render_pdf(built, "en"))
    assert "Page 2 of" in pdf_text(out) and "第 2 页" not in pdf_text(out)


def test_sign_off_has_name_title_date_and_phone_for_preparer_and_reviewer(stored) -> None:
    text = render(report(stored["db"]), stored["folder"] / "signoff.pdf")
    last = text.split("\f")[-2]
    heading = re.search(r"姓名\s+职务\s+签字\s+日期\s+联系电话", last)
    assert heading, last[-600:]
    assert re.search(r"^\s*填报人\s*$", last, re.M) and re.search(r"^\s*审核人\s*$", last, re.M)
