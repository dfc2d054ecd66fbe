from __future__ import annotations

import asyncio
import copy
import io
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from forms.demo import demo_households, demo_villages, roster_entry
from forms.schema import shipped_forms
from reports import pdf as report_pdf
from reports.draw import Period, Scope, group_order
from reports.figures import build_report
from reports.photos import THUMB_SIDE, thumbnail
from server.auth import system_principal
from server.db import Database
from server.form_versions import publish
from server.households import upsert_households
from server.media import put_media
from server.places import upsert_villages
from server.submissions import SubmissionCreate, create_submission
from tests.conftest import new_id

TESTER = system_principal("test")
LINE = 2952.0
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def picture(colour: str, size: tuple[int, int] = (1280, 960), kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


async def _store(db_path: Path) -> dict[str, Any]:
    """Village 0: four households, three with a house photo (one surveyed again with a new
    photo: only that one counts); village 1: answers without photos."""
    db = await Database.open(db_path)
    try:
        version = await publish(db, "household", shipped_forms()["household"], actor="test")
        villages = demo_villages()[:2]
        await upsert_villages(db, demo_villages(), actor="test")
        found: dict[str, Any] = {"village": villages[0]["code"], "other": villages[1]["code"]}
        answers = list(demo_households(5, [villages[0]], per_village=4))
        answers += list(demo_households(6, [villages[1]], per_village=2))
        # Groups whose text order (七, 五, 十二) is not their order (五, 七, 十二).
        for answer, group in zip(answers[:3], ("十二组", "七组", "五组"), strict=True):
            answer["household"]["group"] = group
        roster = [roster_entry(5, i, a) for i, a in enumerate(answers)]
        await upsert_households(db, "test", roster)
        earlier = copy.deepcopy(answers[0])
        earlier["survey"]["date"] = (
            date.fromisoformat(answers[0]["survey"]["date"]) - timedelta(days=30)
        ).isoformat()
        stored: list[tuple[dict[str, Any], Any, str | None]] = [(earlier, roster[0]["id"], "black")]
        stored += [
            (a, r["id"], c)
            for a, r, c in zip(answers[:3], roster[:3], ("red", "lime", "blue"), strict=True)
        ]
        stored += [(a, r["id"], None) for a, r in zip(answers[3:], roster[3:], strict=True)]
        for household, household_id, colour in stored:
            if colour:
                media_id = new_id()
                await put_media(db, TESTER, media_id, picture(colour), "image/jpeg")
                household["living"]["house_photo"] = media_id
            body = SubmissionCreate(
                id=new_id(),  # type: ignore[arg-type]
                version=version,
                answers=household,
                household_id=household_id,
            )
            await create_submission(db, "household", body, principal=TESTER)
        found["heads"] = sorted(
            ((a["household"]["group"], a["household"]["head_name"]) for a in answers[:3]),
            key=lambda gh: (group_order(gh[0]), gh[1]),
        )
        assert [g for g, _ in found["heads"]] == ["五组", "七组", "十二组"]
        return found
    finally:
        await db.close()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    db_path = tmp_path_factory.mktemp("photos") / "minsheng.db"
    return db_path, asyncio.run(_store(db_path))


def _pdf(db_path: Path, code: str, out: Path) -> tuple[Any, Path]:
    report = build_report(db_path, Scope("village", code), Period(), LINE)
    out.write_bytes(report_pdf.render_pdf(report, "zh"))
    return report, out


def test_the_village_report_shows_each_households_latest_house_photo(stored, tmp_path) -> None:
    db_path, found = stored
    report, path = _pdf(db_path, found["village"], tmp_path / "village.pdf")
    assert [(p["grp"], p["head_name"]) for p in report.photos] == found["heads"]
    colours = [Image.open(io.BytesIO(p["jpeg"])).getpixel((5, 5)) for p in report.photos]
    assert all(
        isinstance(c, tuple) and max(c) > 200 for c in colours
    )  # red, lime, blue: not the earlier black
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "附录：住房照片" in text
    for _, head in found["heads"]:
        assert head in text.split("附录：住房照片")[-1]
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(images) == 3
    for line in images:
        width, height = (int(v) for v in line.split()[3:5])
        assert max(width, height) <= THUMB_SIDE
    ARTIFACTS.mkdir(exist_ok=True)
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    last = int(next(v for v in pages.stdout.splitlines() if v.startswith("Pages:")).split()[1])
    appendix = next(
        n
        for n in range(1, last + 1)
        if "附录：住房照片"
        in subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("目录")[-1]
        and n > 2
    )
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", str(appendix), "-l", str(appendix), str(path),
         str(ARTIFACTS / "report-photos")],
        check=True,
    )  # fmt: skip


def test_a_village_without_photos_has_no_photo_appendix(stored, tmp_path) -> None:
    db_path, found = stored
    report, path = _pdf(db_path, found["other"], tmp_path / "other.pdf")
    assert report.photos == []
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "住房照片" not in text


def test_a_thumbnail_is_small_and_a_picture_too_large_or_broken_is_left_out() -> None:
    small = thumbnail(picture("red", (4000, 3000)))
    assert small is not None
    with Image.open(io.BytesIO(small)) as image:
        assert image.size == (THUMB_SIDE, 225) and image.format == "JPEG"
    assert thumbnail(picture("white", (5000, 4000), "PNG")) is None  # 20 MP: never decoded
    assert thumbnail(b"\xff\xd8\xff not really a JPEG") is None
