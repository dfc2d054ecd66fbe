"""Listing a form's answers: pages by cursor, filters, totals kept by the database."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from typing import Any

from litestar.testing import AsyncTestClient

from forms.demo import demo_villages
from server.db import Database, migrations
from server.pagination import MAX_OFFSET, encode_cursor
from tests.conftest import new_id
from tests.world import VILLAGE_C, answers_for, other_county_village, put_on_roster

URL = "/api/forms/household/submissions"
OTHER_COUNTY_VILLAGE = VILLAGE_C
LISTING = 7  # the migration that added the kept counts


NEIGHBOUR = "620523102204"  # village A's neighbour in the same township
_seeds = itertools.count(100)


async def _store(client: AsyncTestClient[Any], household: dict[str, Any], village: str) -> str:
    """A new household of `village` on the roster, and an answer about it (as cadre_a)."""
    world = client.app.state.world
    place = next(v for v in [*demo_villages(), other_county_village()] if v["code"] == village)
    answers = answers_for(place, next(_seeds))[0]
    [household_id] = await put_on_roster(client.app.state.db, world, [answers], next(_seeds))
    sid = new_id()
    body = {"id": sid, "version": 1, "answers": answers, "household_id": household_id}
    response = await client.post(URL, json=body, headers=world.as_("cadre_a"))
    assert response.status_code == 201, response.text
    return sid


async def _page(client: AsyncTestClient[Any], **params: Any) -> dict[str, Any]:
    """A page as the admin (the counts kept per village)."""
    response = await client.get(URL, params=params, headers=client.app.state.world.as_("admin"))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_paging_with_after_sees_every_answer_once_while_more_arrive(
    client, household
) -> None:
    village = household["household"]["village_code"]
    stored = [await _store(client, household, village) for _ in range(7)]
    listed: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    pages = 0
    while True:
        page = await _page(client, **params)
        listed += [item["id"] for item in page["items"]]
        pages += 1
        if page["next"] is None:
            break
        params["after"] = page["next"]
        if pages <= 3:  # two more answers arrive between pages, for a while
            stored += [await _store(client, household, village) for _ in range(2)]
    assert listed == stored  # each once, in the order stored
    assert page["total"] == len(stored)


async def test_a_village_is_paged_apart_from_the_others(client, household) -> None:
    village = household["household"]["village_code"]
    neighbour = NEIGHBOUR
    mine = []
    for i in range(8):
        if i % 2:
            mine.append(await _store(client, household, village))
        else:
            await _store(client, household, neighbour)
    listed: list[str] = []
    params: dict[str, Any] = {"limit": 3, "village_code": village}
    while True:
        page = await _page(client, **params)
        assert page["total"] == 4
        listed += [item["id"] for item in page["items"]]
        if not page["next"]:
            break
        params["after"] = page["next"]
    assert listed == mine


async def test_totals_count_a_village_a_county_and_the_form(client, household) -> None:
    village = household["household"]["village_code"]
    county = village[:6]
    for code in (village, village, NEIGHBOUR, OTHER_COUNTY_VILLAGE):
        await _store(client, household, code)
    assert (await _page(client))["total"] == 4
    assert (await _page(client, village_code="", county_code=""))["total"] == 4  # no filter
    assert (await _page(client, village_code=village))["total"] == 2
    in_county = await _page(client, county_code=county, limit=1)
    assert in_county["total"] == 3 and len(in_county["items"]) == 1 and in_county["next"]
    assert {i["village_code"][:6] for i in (await _page(client, county_code=county))["items"]} == {
        county
    }
    other = await _page(client, county_code=OTHER_COUNTY_VILLAGE[:6])
    assert other["total"] == 1 and other["items"][0]["village_code"] == OTHER_COUNTY_VILLAGE
    # A village outside the county asked for: nothing, and a total that says so.
    none = await _page(client, county_code=county, village_code=OTHER_COUNTY_VILLAGE)
    assert (none["items"], none["total"], none["next"]) == ([], 0, None)


async def test_a_small_offset_still_works_and_a_large_one_points_to_after(
    client, household
) -> None:
    village = household["household"]["village_code"]
    stored = [await _store(client, household, village) for _ in range(3)]
    page = await _page(client, limit=2, offset=1)
    assert [i["id"] for i in page["items"]] == stored[1:] and page["offset"] == 1
    assert page["next"] is None
    response = await client.get(URL, params={"offset": MAX_OFFSET + 1})
    assert response.status_code == 400
    assert response.json()["code"] == "offset_too_large" and "after" in response.json()["detail"]
    both = await client.get(URL, params={"offset": 1, "after": encode_cursor(1)})
    assert both.status_code == 400


async def test_a_cursor_the_server_did_not_give_is_400(client) -> None:
    for bad in ("yesterday", "!!", encode_cursor(1)[:-1] + "*", "cDE4NDQ2NzQ0MDczNzA5NTUxNjE2"):
        response = await client.get(URL, params={"after": bad}, headers={"Accept-Language": "en"})
        assert response.status_code == 400, bad
        assert response.json()["code"] == "bad_cursor"
        assert "next" in response.json()["detail"]


def _counts_match(path: Any) -> None:
    with sqlite3.connect(path) as conn:
        kept = set(conn.execute("SELECT form_id, village_code, answers FROM submission_counts"))
        counted = set(
            conn.execute(
                "SELECT form_id, coalesce(village_code, ''), count(*) FROM submissions"
                " GROUP BY 1, 2"
            )
        )
    conn.close()
    assert {row for row in kept if row[2]} == counted


async def test_counts_follow_answers_however_they_are_stored_moved_or_removed(
    tmp_path, client, household
) -> None:
    village = household["household"]["village_code"]
    for code in (village, village, OTHER_COUNTY_VILLAGE):
        await _store(client, household, code)
    path = tmp_path / "minsheng.db"
    _counts_match(path)
    with sqlite3.connect(path) as conn:  # an admin's hand, not the API
        conn.execute(
            "UPDATE submissions SET village_code = ? WHERE village_code = ?",
            (NEIGHBOUR, OTHER_COUNTY_VILLAGE),
        )
        conn.execute("DELETE FROM submissions WHERE rowid = (SELECT min(rowid) FROM submissions)")
    conn.close()
    _counts_match(path)
    assert (await _page(client))["total"] == 2


def test_the_listing_migration_counts_answers_stored_before_it(tmp_path, household) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a database from before the listing migration
        for number, _, sql in migrations():
            if number < LISTING:
                conn.executescript(sql)
        conn.execute(
            "INSERT INTO forms (id, title, created_at) VALUES ('household', 'h', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO form_versions VALUES ('household', 1, '{}', 'x', 'published', 'a', 'b')"
        )
        conn.executemany(
            "INSERT INTO submissions (id, form_id, form_version, received_at, body_hash,"
            " answers, village_code) VALUES (?, 'household', 1, '2026-01-01', 'x', '{}', ?)",
            [(new_id(), code) for code in ("620523100200", "620523100200", None)],
        )
        conn.execute(
            "CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL)"
        )
        conn.executemany(
            "INSERT INTO schema_migrations VALUES (?, ?, 'then')",
            [(number, name) for number, name, _ in migrations() if number < LISTING],
        )
    conn.close()

    async def reopen() -> None:
        await (await Database.open(path)).close()

    asyncio.run(reopen())
    _counts_match(path)
