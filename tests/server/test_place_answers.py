"""A village question (`"x-widget": "village"`): each visitor is offered the villages they may
answer for, never those of the page's other visitors, and an answer naming a village not on
the list of places, or not one of the sender's, is refused at its question, through the API
and through a page sent without JavaScript."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from server import pages
from server.form_versions import publish
from tests.conftest import new_id
from tests.places_form import FORM_ID, schema
from tests.world import A1, VILLAGE_A, VILLAGE_B, VILLAGE_C

API = f"/api/forms/{FORM_ID}/submissions"
FORM_POST = {"content-type": "application/x-www-form-urlencoded"}


async def _published(client: Any) -> None:
    assert await publish(client.app.state.db, FORM_ID, schema(), actor="t") == 1


def _offered(html: str) -> list[str]:
    select = re.search(r'<select id="f/visit/village".*?</select>', html, re.S)
    assert select, html
    return re.findall(r'<option value="([0-9]{12})"', select.group())


async def _send(client: Any, village: str, lang: str = "zh") -> Any:
    answers = {"visit": {"village": village, "note": "送化肥"}}
    body = {"id": new_id(), "version": 1, "answers": answers, "household_id": A1}
    return await client.post(f"{API}?lang={lang}", json=body)


async def test_each_visitor_is_offered_their_own_villages_by_township(client, world) -> None:
    await _published(client)
    mine = await client.get(f"/f/{FORM_ID}?household={A1}")
    assert _offered(mine.text) == [VILLAGE_A]
    assert re.search(r'<optgroup label="[^"]+"><option value="620523102201">', mine.text)
    theirs = await client.get(f"/f/{FORM_ID}", headers=world.as_("cadre_b"))
    assert _offered(theirs.text) == [VILLAGE_B]
    county = _offered((await client.get(f"/f/{FORM_ID}", headers=world.as_("official"))).text)
    assert VILLAGE_A in county and VILLAGE_B in county and VILLAGE_C not in county
    # The page rendered once and shared by every visitor holds no one's villages.
    shared = [p.html for key, p in pages._pages.items() if key[0] == FORM_ID]
    assert shared and not any(re.search(r'value="[0-9]{12}"', html) for html in shared)
    # Another visitor's villages are another page: no 304 from the first one's copy.
    again = await client.get(
        f"/f/{FORM_ID}",
        headers={**world.as_("cadre_b"), "If-None-Match": mine.headers["etag"]},
    )
    assert again.status_code == 200


async def test_api_stores_a_village_of_ones_own(client) -> None:
    await _published(client)
    stored = await _send(client, VILLAGE_A)
    assert stored.status_code == 201, stored.text
    assert stored.json()["answers"]["visit"]["village"] == VILLAGE_A


async def test_api_refuses_a_village_not_on_the_list_of_places_in_the_askers_language(
    client,
) -> None:
    await _published(client)
    for code in ("620523999999", "620523102000"):  # no such village; a township
        refused = await _send(client, code)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == [
            {
                "path": "/visit/village",
                "code": "village_unknown",
                "message": f"村代码 {code} 不在地区名录中",
            }
        ]
    english = (await _send(client, "620523999999", "en")).json()["errors"][0]
    assert english["message"] == "village 620523999999 is not on the list of places"


async def test_api_refuses_a_village_the_sender_does_not_work_in(client) -> None:
    await _published(client)
    refused = await _send(client, VILLAGE_B)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "/visit/village" and error["code"] == "village_not_yours"
    assert error["message"].endswith(f"（{VILLAGE_B}）不是你负责的村，请从列表中选择")
    english = (await _send(client, VILLAGE_B, "en")).json()["errors"][0]["message"]
    assert english.endswith(f"({VILLAGE_B}) is not one of your villages; choose one from the list")


async def test_a_wrong_code_is_the_patterns_error_alone(client) -> None:
    await _published(client)
    refused = await _send(client, "6205")
    assert [e["code"] for e in refused.json()["errors"]] == ["pattern"]


async def test_page_without_javascript_stores_a_chosen_village_and_refuses_another(
    client,
) -> None:
    await _published(client)
    body = [("/visit/village", VILLAGE_B), ("/visit/note", "修路"), ("_household", A1)]
    refused = await client.post(f"/f/{FORM_ID}/v/1", content=urlencode(body), headers=FORM_POST)
    assert refused.status_code == 422
    assert re.search(r'id="e/visit/village"[^>]*>[^<]*不是你负责的村', refused.text)
    assert _offered(refused.text) == [VILLAGE_A]  # the page again offers one's own
    body[0] = ("/visit/village", VILLAGE_A)
    stored = await client.post(
        f"/f/{FORM_ID}/v/1", content=urlencode(body), headers=FORM_POST, follow_redirects=False
    )
    assert stored.status_code == 303, stored.text
    [item] = (await client.get(API)).json()["items"]
    assert item["answers"]["visit"] == {"village": VILLAGE_A, "note": "修路"}


async def test_page_shown_again_keeps_the_village_chosen(client) -> None:
    await _published(client)
    body = [("/visit/village", VILLAGE_A), ("/visit/note", "长" * 60), ("_household", A1)]
    again = await client.post(f"/f/{FORM_ID}/v/1", content=urlencode(body), headers=FORM_POST)
    assert again.status_code == 422
    assert f'<option value="{VILLAGE_A}" selected>' in again.text


async def test_the_designers_preview_shows_some_villages_of_the_list(client, world) -> None:
    preview = await client.post(
        f"/design/{FORM_ID}/preview",
        content=urlencode({"text": json.dumps(schema(), ensure_ascii=False)}),
        headers={**FORM_POST, **world.as_("designer")},
    )
    assert preview.status_code == 200
    assert VILLAGE_A in _offered(preview.text) and "ms-villages" not in preview.text


async def test_every_encoding_of_the_page_carries_the_visitors_villages(client) -> None:
    await _published(client)
    for encoding in ("br", "gzip", "identity"):
        page = await client.get(f"/f/{FORM_ID}", headers={"Accept-Encoding": encoding})
        assert page.headers.get("content-encoding", "identity") == encoding
        assert _offered(page.text) == [VILLAGE_A] and page.text.endswith("</html>\n")


async def test_a_village_level_form_is_about_the_village_its_village_question_names(
    client, world
) -> None:
    """Answered per village (`x-subject: village`): sent with no village beside the answers
    (as the phone and a page without JavaScript send it), the answer is about the village
    chosen in its village question, and is the sender's only if that village is theirs."""
    survey = schema()
    survey["x-subject"] = "village"
    assert await publish(client.app.state.db, FORM_ID, survey, actor="t") == 1
    cadre_b = world.as_("cadre_b")  # paired with VILLAGE_B as a whole

    async def send(answers: dict[str, Any]) -> Any:
        body = {"id": new_id(), "version": 1, "answers": answers}
        return await client.post(API, json=body, headers=cadre_b)

    stored = await send({"visit": {"village": VILLAGE_B, "note": "村级走访"}})
    assert stored.status_code == 201, stored.text
    row = await client.app.state.db.fetch_one(
        "SELECT village_code, household_id FROM submissions WHERE id = ?", (stored.json()["id"],)
    )
    assert tuple(row) == (VILLAGE_B, None)
    refused = await send({"visit": {"village": VILLAGE_A, "note": "不是我的村"}})
    assert refused.status_code in (403, 422), refused.text
    nothing = await send({"visit": {"note": "没选村"}})
    assert nothing.status_code == 422 and nothing.json()["code"] == "village_required"
    plain = urlencode({"/visit/village": VILLAGE_B, "/visit/note": "无脚本", "_action": "send"})
    sent = await client.post(f"/f/{FORM_ID}/v/1", content=plain, headers={**FORM_POST, **cadre_b})
    assert sent.status_code in (200, 303), sent.text[:500]
    count = await client.app.state.db.fetch_one(
        "SELECT count(*) FROM submissions WHERE form_id = ? AND village_code = ?",
        (FORM_ID, VILLAGE_B),
    )
    assert count[0] == 2
