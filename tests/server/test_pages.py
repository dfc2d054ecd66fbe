from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from server.pages import plain_answer_id
from tests.conftest import form_pairs
from tests.world import A1

FORM = "/f/household"
API = "/api/forms/household/submissions"


async def _post(client: Any, body: list[tuple[str, str]]) -> Any:
    """A browser's plain form POST (names repeat, so not a dict), for household A1."""
    if not any(name == "_household" for name, _ in body):
        body = [*body, ("_household", A1)]
    return await client.post(
        "/f/household/v/1",
        content=urlencode(body),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def _first(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not found"
    return found.group(1)


async def test_form_page_is_chinese_by_default_with_a_strict_csp(client) -> None:
    response = await client.get(FORM)
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text and "调查信息" in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_english_by_query_and_by_accept_language(client) -> None:
    assert "Survey" in (await client.get(FORM + "?lang=en")).text
    english = await client.get(FORM, headers={"accept-language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in english.text and "?lang=zh" in english.text


async def test_the_page_is_the_same_for_every_visit_and_a_second_is_a_304(client) -> None:
    first = await client.get(FORM, headers={"accept-encoding": "br"})
    again = await client.get(FORM, headers={"accept-encoding": "gzip"})
    plain = await client.get(FORM, headers={"accept-encoding": "identity"})
    assert first.headers["content-encoding"] == "br"
    assert again.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    # The same page but for when it was made (`at`, a visit's own, like its CSRF token).
    at = re.compile(r'"at":"[^"]+"')
    assert at.sub("", first.text) == at.sub("", again.text) == at.sub("", plain.text)
    assert first.text.endswith("</body>\n</html>\n")
    assert 'name="_id"' not in first.text  # the page names no answer: see plain_answer_id
    assert first.headers["etag"] == again.headers["etag"]
    assert "Accept-Language" in first.headers["vary"] and "Accept-Encoding" in first.headers["vary"]
    cached = await client.get(FORM, headers={"if-none-match": first.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""


async def test_assets_are_compressed_immutable_and_revalidated_by_etag(client) -> None:
    page = (await client.get(FORM)).text
    url = _first(r'src="(/static/app\.js\?v=\w+)"', page)
    response = await client.get(url, headers={"accept-encoding": "br"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "br"
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["content-type"].startswith("text/javascript")
    assert "content-security-policy" not in response.headers  # a page's policy, not a script's
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "// The form page" not in response.text  # served without its comments
    assert "etag" not in response.headers  # never revalidated: the bytes the phone saves
    unversioned = await client.get("/static/app.js")  # an old page's: revalidated by ETag
    assert unversioned.headers["cache-control"] == "no-cache"
    etag = unversioned.headers["etag"]
    cached = await client.get("/static/app.js", headers={"if-none-match": etag})
    assert cached.status_code == 304
    assert (await client.get("/static/../server/app.py")).status_code == 404
    sw = await client.get("/sw.js")
    assert sw.status_code == 200 and "immutable" not in sw.headers["cache-control"]
    assert "__ASSETS__" not in sw.text and "__MORE__" not in sw.text
    # The form's files, its photo code included, are kept at install; the other pages' later.
    kept_now = _first(r"const ASSETS = (\[.*?\]);", sw.text)
    kept_later = _first(r"const MORE = (\[.*?\]);", sw.text)
    assert url in kept_now and "/static/photo.js?v=" in kept_now
    assert "/static/home.js?v=" in kept_later and "/static/home.js" not in kept_now


async def test_plain_form_post_stores_the_answer_once(client, household) -> None:
    body = [*form_pairs(household), ("_action", "send")]
    first = await _post(client, body)
    assert first.status_code == 200, first.text
    sid = str(plain_answer_id("household", 1, A1, household))
    assert sid in first.text and "已提交" in first.text
    again = await _post(client, body)  # a double tap, or a resend after a timeout
    assert again.status_code == 200
    stored = (await client.get(API)).json()
    assert stored["total"] == 1 and stored["items"][0]["id"] == sid
    assert stored["items"][0]["answers"]["members"] == household["members"]


async def test_plain_form_post_with_errors_shows_the_answers_and_errors_again(
    client, household: dict[str, Any]
) -> None:
    household["production"] = {"cultivated_land": 2, "irrigated_land": 5}
    household["members"][0]["name"] = "王"
    body = [*form_pairs(household), ("_id", str(uuid.uuid4())), ("_action", "send")]
    response = await _post(client, body)
    assert response.status_code == 422
    html = response.text
    assert 'value="王"' in html
    assert re.search(r'id="e/members/0/name">至少 2 个字', html)
    assert re.search(r'id="e/production/irrigated_land">有效灌溉面积', html)
    # The notice at the top links each error to its field, in the page's language.
    assert "有 2 处需要修改" in html and "answers are invalid" not in html
    assert 'href="#f/members/0/name">家庭成员 1 · 姓名：至少 2 个字' in html
    assert 'href="#f/production/irrigated_land">有效灌溉面积：有效灌溉面积 5 亩' in html
    name = _first(r'(<input id="f/members/0/name"[^>]*>)', html)
    assert 'aria-invalid="true"' in name and 'aria-describedby="e/members/0/name"' in name
    assert (await client.get(API)).json()["total"] == 0


async def test_required_errors_come_from_the_server_in_the_pages_language(
    client, household
) -> None:
    del household["survey"]["surveyor"]
    page = (await client.get(FORM + "?lang=en")).text
    assert re.search(r'<form id="form"[^>]* novalidate>', page)  # no browser bubbles
    body = [*form_pairs(household), ("_id", str(uuid.uuid4())), ("_household", A1)]
    response = await client.post(
        "/f/household/v/1?lang=en",
        content=urlencode(body),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
    assert 'href="#f/survey/surveyor">Surveyor: This field is required' in response.text
    assert "此项必填" not in response.text


async def test_a_plain_post_redirects_to_a_done_page_in_local_time(client, household) -> None:
    sid = str(plain_answer_id("household", 1, A1, household))
    body = urlencode([*form_pairs(household), ("_household", A1)])
    response = await client.post(
        "/f/household/v/1",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303  # Back from the done page is the form, not a POST
    assert response.headers["location"] == f"/f/household/done/{sid}?lang=zh"
    done = await client.get(response.headers["location"])
    assert done.status_code == 200 and sid in done.text
    received = (await client.get(f"/api/submissions/{sid}")).json()["received_at"]
    utc = datetime.fromisoformat(received.replace("Z", "+00:00"))
    shanghai = (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f"服务器收到于 {shanghai}" in done.text
    assert "下一户" in done.text and 'href="/?lang=zh"' in done.text
    other = await client.get(f"/f/other/done/{sid}", headers={"accept": "text/html"})
    assert other.status_code == 404


async def test_hidden_answers_are_dropped_from_a_plain_post(client, household) -> None:
    member = household["members"][0]
    member.update(health="healthy", migrant_work="none")
    body = [
        *form_pairs(household),
        ("/members/0/disease", "flu"),
        ("/members/0/migrant_months", "4"),
        ("_id", str(uuid.uuid4())),
    ]
    response = await _post(client, body)
    assert response.status_code == 200, response.text
    stored = (await client.get(API)).json()["items"][0]["answers"]["members"][0]
    assert "disease" not in stored and "migrant_months" not in stored


async def test_add_and_remove_buttons_work_without_javascript(client, household) -> None:
    body = [*form_pairs(household), ("_id", str(uuid.uuid4()))]
    count = len(household["members"])
    added = await _post(client, [*body, ("_action", "add:/members")])
    assert added.status_code == 200 and f'name="/members/{count}"' in added.text
    removed = await _post(client, [*body, ("_action", "remove:/members/0")])
    assert f'name="/members/{count - 1}"' not in removed.text
    assert (await client.get(API)).json()["total"] == 0


async def test_next_household_on_a_cached_page_is_stored_as_a_new_answer(client, household) -> None:
    # A page cached before answers were named by content still sends its _id: ignored.
    sid = str(uuid.uuid4())
    first = await _post(client, [*form_pairs(household), ("_id", sid)])
    assert first.status_code == 200
    again = await _post(client, [*form_pairs(household), ("_id", sid)])  # a double tap
    assert again.status_code == 200
    assert (await client.get(API)).json()["total"] == 1
    household["household"]["group"] = "五组"
    response = await _post(client, [*form_pairs(household), ("_id", sid)])
    assert response.status_code == 200
    stored = (await client.get(API)).json()
    assert stored["total"] == 2
    assert {i["answers"]["household"]["group"] for i in stored["items"]} >= {"五组"}


async def test_unknown_form_is_a_page_for_browsers_and_json_for_api(client) -> None:
    page = await client.get("/f/nope", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api = await client.get("/api/forms/nope", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.json()["code"] == "not_found"
    assert "找不到调查表 &#39;nope&#39;" in page.text and 'href="/?lang=zh"' in page.text


async def test_strange_field_names_in_a_plain_post_are_not_a_500(client, household) -> None:
    huge = "9" * 5000
    for extra in (
        [("/members/99999/name", "x")],
        [("_action", f"remove:/members/{huge}")],
        [(f"/members/{huge}/name", "x")],
        [("/production/forest_land", "1e400")],
    ):
        body = [*form_pairs(household), ("_id", str(uuid.uuid4())), *extra]
        response = await _post(client, body)
        assert response.status_code in (200, 422), (extra, response.status_code)
        assert len(response.content) < 1_000_000
