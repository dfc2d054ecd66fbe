"""A household's own link: made with its QR code, listed without tokens, revoked at once."""

from __future__ import annotations

import re

from server.links import link_key, printable_token, sheet_links
from server.users import token_hash

A1_LINKS = "/api/households/{}/links"


async def test_paired_cadre_makes_a_link_that_opens_the_household_form(client, world) -> None:
    a1 = world.households["A1"]
    made = await client.post(A1_LINKS.format(a1), json={})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["url"].startswith("http://testserver.local/h/h_")
    assert body["link"]["household_id"] == a1 and body["link"]["form_id"] == "household"
    assert body["qr_svg"].startswith("<svg") and 'viewBox="0 0' in body["qr_svg"]
    assert "token_hash" not in body["link"]
    assert made.headers["cache-control"] == "no-store"

    token = body["url"].rsplit("/", 1)[1]
    opened = await _open(client, token)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/f/household?lang=zh"

    listed = (await client.get(A1_LINKS.format(a1))).json()
    assert body["link"]["id"] in [link["id"] for link in listed]
    assert token not in str(listed) and "token" not in str(listed[0])


async def test_a_link_can_be_made_without_a_body_and_for_fewer_days(client, world) -> None:
    a1 = world.households["A1"]
    bare = await client.post(A1_LINKS.format(a1))
    assert bare.status_code == 201, bare.text
    short = await client.post(A1_LINKS.format(a1), json={"days": 7})
    assert short.json()["link"]["expires_at"] < bare.json()["link"]["expires_at"]
    bad = await client.post(A1_LINKS.format(a1), json={"days": 0})
    assert bad.status_code == 400, bad.text


async def test_revoked_link_stops_at_once(client, world) -> None:
    a1 = world.households["A1"]
    made = (await client.post(A1_LINKS.format(a1), json={})).json()
    token = made["url"].rsplit("/", 1)[1]
    as_link = {"Authorization": "", "Cookie": f"minsheng_link={token}"}
    assert (await client.get("/api/me", headers=as_link)).json()["role"] == "household"

    revoked = await client.delete(f"{A1_LINKS.format(a1)}/{made['link']['id']}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"]
    # Not even the seconds the server remembers a token for.
    assert (await client.get("/api/me", headers=as_link)).status_code == 401
    assert (await _open(client, token)).status_code == 404
    again = await client.delete(f"{A1_LINKS.format(a1)}/{made['link']['id']}")
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]


async def test_links_of_a_household_not_yours_do_not_exist(client, world) -> None:
    c1 = world.households["C1"]
    assert (await client.post(A1_LINKS.format(c1), json={})).status_code == 404
    assert (await client.get(A1_LINKS.format(c1))).status_code == 404
    # Nor does another household's link under this one.
    a1 = world.households["A1"]
    theirs = await client.post(A1_LINKS.format(c1), json={}, headers=world.as_("official_other"))
    assert theirs.status_code == 201
    other_id = theirs.json()["link"]["id"]
    assert (await client.delete(f"{A1_LINKS.format(a1)}/{other_id}")).status_code == 404


async def test_household_link_itself_cannot_make_links(client, world) -> None:
    a1 = world.households["A1"]
    response = await client.post(A1_LINKS.format(a1), json={}, headers=world.as_("household"))
    assert response.status_code in (403, 404)


async def test_printable_links_are_reused_and_nothing_is_revoked(client, world, settings) -> None:
    db = client.app.state.db
    key = link_key(settings.link_key_path)
    assert settings.link_key_path.stat().st_mode & 0o777 == 0o600
    a1, a2 = world.households["A1"], world.households["A2"]
    own = (await client.post(A1_LINKS.format(a1), json={})).json()
    first = await sheet_links(db, "test", [a1, a2], "household", key, target="village:x")
    again = await sheet_links(db, "test", [a1, a2], "household", key, target="village:x")
    assert {h: t for h, (_, t) in first.items()} == {h: t for h, (_, t) in again.items()}
    # The link made to be handed on could not be printed again: a printable one was made
    # beside it, and it still works.
    assert first[a1][0].id != own["link"]["id"]
    token = own["url"].rsplit("/", 1)[1]
    assert (await _open(client, token)).status_code == 303
    for link, token in first.values():
        assert token == printable_token(key, link.id)
        row = await db.fetch_one("SELECT token_hash FROM household_links WHERE id = ?", (link.id,))
        assert row["token_hash"] == token_hash(token)  # only the hash is stored
    # A link that runs out within the month is not printed again.
    await db.write(
        lambda conn: conn.execute(
            "UPDATE household_links SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?",
            (first[a2][0].id,),
        )
    )
    third = await sheet_links(db, "test", [a2], "household", key, target="village:x")
    assert third[a2][0].id != first[a2][0].id


async def test_household_page_shows_the_roster_and_makes_a_link_once(client, world) -> None:
    a1 = world.households["A1"]
    cookies = await _log_in(client, "cadre_a")
    page = await client.get(f"/households/{a1}", headers={"Authorization": "", **cookies})
    assert page.status_code == 200, page.text
    head = world.answers["A1"]["household"]["head_name"]
    assert head in page.text and f"/f/household?household={a1}" in page.text
    full_ids = {m["id_number"] for m in world.answers["A1"]["members"]}
    assert not any(i in page.text for i in full_ids)  # masked on the screen
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)[1]  # type: ignore[index]

    made = await client.post(
        f"/households/{a1}/links",
        data={"_csrf": csrf},
        headers={"Authorization": "", "Origin": "http://testserver.local", **cookies},
    )
    assert made.status_code == 200, made.text
    url = re.search(r'value="(http://testserver.local/h/h_[^"]+)"', made.text)[1]  # type: ignore[index]
    assert "<svg" in made.text
    again = await client.get(f"/households/{a1}", headers={"Authorization": "", **cookies})
    assert url not in again.text  # shown once

    link_id = re.search(r"/links/(\d+)/revoke", again.text)[1]  # type: ignore[index]
    revoked = await client.post(
        f"/households/{a1}/links/{link_id}/revoke",
        data={"_csrf": csrf},
        headers={"Authorization": "", "Origin": "http://testserver.local", **cookies},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    token = url.rsplit("/", 1)[1]
    assert (await _open(client, token)).status_code == 404


async def _open(client, token: str):
    """Open a household's link as a phone with no account would (its cookie not kept)."""
    response = await client.get(
        f"/h/{token}", headers={"Authorization": ""}, follow_redirects=False
    )
    client.cookies.clear()
    return response


async def _log_in(client, username: str) -> dict[str, str]:
    from tests.world import PASSWORD

    response = await client.post(
        "/api/session",
        json={"username": username, "password": PASSWORD},
        headers={"Authorization": ""},
    )
    assert response.status_code == 201, response.text
    session = response.cookies.get("minsheng_session")
    client.cookies.clear()
    return {"Cookie": f"minsheng_session={session}"}
