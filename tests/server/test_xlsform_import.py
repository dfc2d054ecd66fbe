"""An XLSForm workbook uploaded on the designer's page or by the API becomes the draft."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from forms.xlsform_sheets import MAX_FILE_BYTES
from server.xlsform_import import XLSX
from tests.forms.xlsform_files import HEADER, q, village_survey, workbook
from tests.world import World


async def _page_upload(
    client: AsyncTestClient[Any], world: World, form_id: str, data: bytes, persona: str = "designer"
) -> Any:
    return await client.post(
        f"/design/{form_id}/xlsform?lang=en",
        files={"file": ("village.xlsx", data, XLSX)},
        headers=world.as_(persona),
    )


async def test_the_page_upload_saves_the_draft_and_shows_the_notes_by_row(client, world) -> None:
    response = await _page_upload(client, world, "village", village_survey())
    assert response.status_code == 200
    assert "village.xlsx is the draft now" in response.text
    assert "11 things were not converted as written" in response.text
    assert "survey row 36, type: not converted: minsheng has no audio recordings" in response.text
    assert "The check finds no problem." in response.text
    draft = (await client.get("/api/forms/village/draft", headers=world.as_("designer"))).json()
    assert '"title": "村级需求调查表"' in draft["text"]


async def test_a_workbook_that_is_not_an_xlsform_is_refused_on_the_page(client, world) -> None:
    broken = workbook([HEADER, q("begin_group", "g", "组"), q("text", "a", "甲")])
    response = await _page_upload(client, world, "village", broken)
    assert response.status_code == 422
    assert "survey row 2, type: the begin_group of row 2 is never closed" in response.text
    missing = await client.get("/api/forms/village/draft", headers=world.as_("designer"))
    assert missing.status_code == 404


async def test_the_api_takes_the_workbook_as_the_body(client, world) -> None:
    headers = {**world.as_("designer"), "Content-Type": XLSX}
    first = await client.post(
        "/api/forms/village/draft/xlsform", content=village_survey(), headers=headers
    )
    assert first.status_code == 201
    body = first.json()
    assert body["form_id"] == "village" and body["problems"] == []
    assert body["notes"][0] == {
        "sheet": "survey",
        "row": 2,
        "column": "type",
        "zh": "start 未转换：minsheng 自己记录提交人、设备和时间",
        "en": "start is not converted: minsheng records who sent an answer, from where and "
        "when itself",
        "text": "survey 表第 2 行「type」：start 未转换：minsheng 自己记录提交人、设备和时间",
    }
    again = await client.post(
        "/api/forms/village/draft/xlsform", content=village_survey(), headers=headers
    )
    assert again.status_code == 200  # a draft replaced


async def test_the_api_takes_a_multipart_form_too(client, world) -> None:
    response = await client.post(
        "/api/forms/village/draft/xlsform?lang=en",
        files={"file": ("village.xlsx", village_survey(), XLSX)},
        headers=world.as_("admin"),
    )
    assert response.status_code == 201
    assert response.json()["notes"][0]["text"].startswith("survey row 2, type: ")


async def test_the_api_says_where_a_workbook_is_broken(client, world) -> None:
    headers = {**world.as_("designer"), "Content-Type": XLSX}
    broken = workbook([HEADER, q("text", "a", "甲"), q("text", "a", "乙")])
    response = await client.post(
        "/api/forms/village/draft/xlsform?lang=en", content=broken, headers=headers
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["sheet"], body["row"], body["column"]) == (
        "xlsform_invalid",
        "survey",
        3,
        "name",
    )
    empty = await client.post("/api/forms/village/draft/xlsform", content=b"", headers=headers)
    assert empty.status_code == 422 and empty.json()["code"] == "no_file"
    bad_id = await client.post(
        "/api/forms/Bad-Id/draft/xlsform", content=village_survey(), headers=headers
    )
    assert bad_id.status_code == 422 and bad_id.json()["code"] == "bad_form_id"


async def test_a_file_over_the_limit_is_refused(client, world) -> None:
    headers = {**world.as_("designer"), "Content-Type": XLSX}
    big = b"PK\x03\x04" + b"\0" * MAX_FILE_BYTES
    response = await client.post("/api/forms/village/draft/xlsform", content=big, headers=headers)
    assert response.status_code == 413


async def test_only_designers_and_administrators_import(client, world) -> None:
    headers = {**world.as_("cadre_a"), "Content-Type": XLSX}
    response = await client.post(
        "/api/forms/village/draft/xlsform", content=village_survey(), headers=headers
    )
    assert response.status_code == 403
    assert (
        await _page_upload(client, world, "village", village_survey(), "official")
    ).status_code == 403
