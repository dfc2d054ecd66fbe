"""A village's QR sheet: a printable PDF whose codes scan back to each household's form."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.world import VILLAGE_A, VILLAGE_B, VILLAGE_C

SHEET = "/reports/village/{}/qr.pdf"


def scanned(pdf: bytes, folder: Path) -> list[str]:
    """What a phone's camera reads off each printed page: the PDF at 150 dpi, then zbarimg
    (Debian's zbar-tools; `bash scripts/setup --test` installs it)."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.fail("pdftoppm or zbarimg is missing: `bash scripts/setup --test` installs them")
    (folder / "sheet.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", str(folder / "sheet.pdf"), str(folder / "page")],
        check=True,
    )
    found = []
    for page in sorted(folder.glob("page*.png")):
        read = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True
        )
        found += read.stdout.split()
    return found


async def test_official_prints_a_sheet_whose_codes_open_each_households_form(
    client, world, tmp_path
) -> None:
    response = await client.get(SHEET.format(VILLAGE_A), headers=world.as_("official"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    urls = scanned(response.content, tmp_path)
    assert len(urls) == 2 and all(u.startswith("http://testserver.local/h/h_") for u in urls)
    opened = set()
    for url in urls:
        token = url.rsplit("/", 1)[1]
        me = await client.get(
            "/api/me", headers={"Authorization": "", "Cookie": f"minsheng_link={token}"}
        )
        assert me.status_code == 200, me.text
        opened.add(me.json()["household_id"])
    assert opened == {world.households["A1"], world.households["A2"]}

    # Printed again: the same codes, and nothing revoked.
    again = await client.get(SHEET.format(VILLAGE_A), headers=world.as_("official"))
    (tmp_path / "again").mkdir()
    assert sorted(scanned(again.content, tmp_path / "again")) == sorted(urls)
    revoked = await client.app.state.db.fetch_one(
        "SELECT count(*) FROM household_links WHERE revoked_at IS NOT NULL"
    )
    assert revoked[0] == 0


async def test_cadre_prints_the_sheet_of_their_own_households_only(client, world, tmp_path) -> None:
    db = client.app.state.db
    before = (await db.fetch_one("SELECT max(id) FROM household_links"))[0]
    response = await client.get(SHEET.format(VILLAGE_A))  # cadre_a: A1 and A2 of village A
    assert response.status_code == 200, response.text
    assert len(scanned(response.content, tmp_path)) == 2
    made = await db.fetch_all("SELECT household_id FROM household_links WHERE id > ?", (before,))
    assert {r[0] for r in made} == {world.households["A1"], world.households["A2"]}
    audit = await db.fetch_one(
        "SELECT detail FROM audit_log WHERE action = 'link.sheet' ORDER BY id DESC"
    )
    assert '"households": 2' in audit[0]


@pytest.mark.parametrize(
    ("persona", "village", "status"),
    [
        ("anonymous", VILLAGE_A, 401),
        ("cadre_a", VILLAGE_B, 403),
        ("cadre_b", VILLAGE_A, 403),
        ("official", VILLAGE_C, 403),
        ("household", VILLAGE_A, 403),
        ("official", "620523102299", 404),
        ("official", "nope", 404),
    ],
)
async def test_sheet_is_refused_outside_ones_villages(client, world, persona, village, status):
    response = await client.get(SHEET.format(village), headers=world.as_(persona))
    assert response.status_code == status, response.text
    count = await client.app.state.db.fetch_one("SELECT count(*) FROM household_links")
    assert count[0] == 1  # the world's own link only: nothing made for a refused sheet
