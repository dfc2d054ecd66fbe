"""The admin's import page (no JavaScript needed) and its JSON API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from forms.demo import demo_households, demo_villages
from tests.roster_files import export_rows, national_export, places_file, to_csv
from tests.world import PASSWORD, World

SEED = 5
HTML = {"Accept": "text/html", "Authorization": ""}


@pytest.fixture(scope="module")
def roster() -> bytes:
    return national_export(SEED, demo_households(SEED, demo_villages()[:2], per_village=3))


@pytest.fixture(scope="module")
def bad_roster() -> bytes:
    rows = export_rows(SEED, demo_households(SEED, demo_villages()[:2], per_village=3))
    rows[1]["证件号码"] = rows[1]["证件号码"][:-1] + (
        "0" if rows[1]["证件号码"][-1] != "0" else "1"
    )
    return to_csv(rows).encode("gb18030")


async def _log_in(client: Any, world: World, username: str = "admin") -> str:
    response = await client.post(
        "/api/session",
        json={"username": username, "password": PASSWORD},
        headers=world.as_("anonymous"),
    )
    assert response.status_code == 201, response.text
    csrf: str = response.json()["csrf_token"]
    return csrf


async def _households(client: Any) -> int:
    row = await client.app.state.db.fetch_one(
        "SELECT count(*) FROM households WHERE roster_no LIKE '%00500%'"
    )
    return int(row[0])


def _token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def test_admin_uploads_sees_a_preview_and_confirms(
    client: Any, world: World, roster: bytes
) -> None:
    csrf = await _log_in(client, world)
    page = await client.get("/admin/import", headers=HTML)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and f'value="{csrf}"' in page.text
    assert page.headers["cache-control"] == "no-store"

    preview = await client.post(
        "/admin/import",
        headers=HTML,
        data={"kind": "households", "_csrf": csrf},
        files={"file": ("花名册.csv", roster, "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    assert "导入前核对" in preview.text and "如导入：新增 6，修改 0，未变 0" in preview.text
    assert "GB18030 (GBK)" in preview.text and "「证件号码」→ 证件号码" in preview.text
    assert await _households(client) == 0  # a preview stores nothing

    token = _token(preview.text)
    done = await client.post(
        "/admin/import/confirm", headers=HTML, data={"token": token, "_csrf": csrf}
    )
    assert done.status_code == 200
    assert "已导入" in done.text and "新增 6，修改 0，未变 0" in done.text
    assert await _households(client) == 6
    again = await client.post(
        "/admin/import/confirm", headers=HTML, data={"token": token, "_csrf": csrf}
    )
    assert again.status_code == 410 and "请重新上传" in again.text


async def test_refused_lines_are_listed_and_only_good_rows_are_imported_when_ticked(
    client: Any, world: World, bad_roster: bytes
) -> None:
    csrf = await _log_in(client, world)
    preview = await client.post(
        "/admin/import?lang=en",
        headers=HTML,
        data={"kind": "households", "_csrf": csrf},
        files={"file": ("roster.csv", bad_roster, "text/csv")},
    )
    assert "line 3 (证件号码): the ID number&#39;s check digit should be" in preview.text
    assert "Import the 5 good households only" in preview.text

    refused = await client.post(
        "/admin/import/confirm",
        headers=HTML,
        data={"token": _token(preview.text), "_csrf": csrf},
    )
    assert "未导入任何内容" in refused.text and "第 3 行「证件号码」" in refused.text
    assert await _households(client) == 0
    good = await client.post(
        "/admin/import/confirm",
        headers=HTML,
        data={"token": _token(refused.text), "_csrf": csrf, "good_rows": "1"},
    )
    assert "新增 5" in good.text
    assert await _households(client) == 5


async def test_places_are_imported_from_the_same_page(client: Any, world: World) -> None:
    csrf = await _log_in(client, world)
    preview = await client.post(
        "/admin/import",
        headers=HTML,
        data={"kind": "places", "_csrf": csrf},
        files={"file": ("places.csv", places_file(), "text/csv")},
    )
    assert "如导入：新增 0，修改 0，未变 10" in preview.text


async def test_a_file_that_is_no_csv_is_named_as_such_on_the_page(
    client: Any, world: World
) -> None:
    csrf = await _log_in(client, world)
    page = await client.post(
        "/admin/import",
        headers=HTML,
        data={"kind": "households", "_csrf": csrf},
        files={"file": ("roster.xlsx", b"PK\x03\x04....", "application/octet-stream")},
    )
    assert page.status_code == 422 and "另存为”CSV" in page.text
    empty = await client.post("/admin/import", headers=HTML, data={"kind": "places", "_csrf": csrf})
    assert empty.status_code == 422 and "请选择要导入的 CSV 文件" in empty.text


async def test_an_upload_without_the_session_csrf_token_is_refused(
    client: Any, world: World, roster: bytes
) -> None:
    await _log_in(client, world)
    response = await client.post(
        "/admin/import",
        headers=HTML,
        data={"kind": "households"},
        files={"file": ("roster.csv", roster, "text/csv")},
    )
    assert response.status_code == 403
    assert await _households(client) == 0


async def test_officials_may_not_import_and_anonymous_is_sent_to_log_in(
    client: Any, world: World, roster: bytes
) -> None:
    official = await client.get("/admin/import", headers={**HTML, **world.as_("official")})
    assert official.status_code == 403
    nobody = await client.get("/admin/import", headers=HTML, follow_redirects=False)
    assert nobody.status_code == 303
    assert nobody.headers["location"] == "/login?lang=zh&next=%2Fadmin%2Fimport"
    for persona, status in (("anonymous", 401), ("official", 403), ("cadre_a", 403)):
        response = await client.post(
            "/api/admin/import/households",
            content=roster,
            headers={**world.as_(persona), "Content-Type": "text/csv"},
        )
        assert response.status_code == status, persona
    assert await _households(client) == 0


async def test_the_api_previews_imports_and_refuses_with_the_report(
    client: Any, world: World, roster: bytes, bad_roster: bytes
) -> None:
    admin = {**world.as_("admin"), "Content-Type": "text/csv"}
    url = "/api/admin/import/households"
    dry = await client.post(f"{url}?dry_run=1", content=roster, headers=admin)
    assert dry.status_code == 200
    body = dry.json()
    assert (body["code"], body["imported"], body["created"]) == ("dry_run", False, 6)
    assert body["detail"] == "文件中 6 户，其中 0 户有错；如导入：新增 6，修改 0，未变 0"
    assert await _households(client) == 0

    refused = await client.post(f"{url}?lang=en", content=bad_roster, headers=admin)
    assert refused.status_code == 422
    body = refused.json()
    assert (body["code"], body["imported"], body["errors_total"]) == ("rows_refused", False, 1)
    [error] = body["errors"]
    assert (error["line"], error["column"], error["code"]) == (3, "证件号码", "bad_id_number")
    assert error["en"].startswith("the ID number's check digit") and error["zh"]
    assert body["detail"].endswith("nothing imported")

    good = await client.post(f"{url}?good_rows=1", content=bad_roster, headers=admin)
    assert (good.status_code, good.json()["created"]) == (200, 5)
    multipart = await client.post(
        url, files={"file": ("r.csv", roster, "text/csv")}, headers=world.as_("admin")
    )
    assert multipart.json()["created"] == 1 and multipart.json()["unchanged"] == 5
    again = await client.post(url, content=roster, headers=admin)
    assert (again.json()["created"], again.json()["changed"], again.json()["unchanged"]) == (
        0,
        0,
        6,
    )


async def test_the_api_refuses_what_is_not_a_table_and_unknown_imports(
    client: Any, world: World
) -> None:
    admin = {**world.as_("admin"), "Content-Type": "text/csv"}
    excel = await client.post("/api/admin/import/places", content=b"PK\x03\x04..", headers=admin)
    assert (excel.status_code, excel.json()["code"]) == (422, "not_csv")
    empty = await client.post("/api/admin/import/places", content=b"", headers=admin)
    assert (empty.status_code, empty.json()["code"]) == (422, "no_file")
    other = await client.post("/api/admin/import/people", content=b"a,b\n", headers=admin)
    assert other.status_code == 404
