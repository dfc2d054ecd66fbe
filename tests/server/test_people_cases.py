"""The six cases issue 7 opened with, each now getting the right answer.

Tried as a new user would against a demo server, before places, households and
people were first-class: anonymous paging listed ID numbers; an answer reusing
another head's ID number replaced that household in the village report; a new
head counted a household twice; an unregistered village was counted; a form
POST from another site was stored; an anonymous follow-up changed a need.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from forms.demo import demo_villages
from reports.draw import Period, Scope
from reports.figures import build_report
from tests.conftest import form_pairs
from tests.world import (
    COUNTY,
    PASSWORD,
    VILLAGE_A,
    World,
    answers_for,
    put_on_roster,
)

URL = "/api/forms/household/submissions"
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
LINE = 2952.0


def _head(answers: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in answers["members"] if m["relation"] == "head")


def _report(client: Any, kind: str, code: str) -> Any:
    return build_report(client.app.state.settings.db_path, Scope(kind, code), Period(), LINE)


async def _count(client: Any, table: str) -> int:
    row = await client.app.state.db.fetch_one(f"SELECT count(*) FROM {table}")
    return int(row[0])


async def _store(client: Any, world: World, key: str, answers: dict[str, Any]) -> str:
    sid = str(uuid.uuid4())
    response = await client.post(
        URL,
        json={"id": sid, "version": 1, "answers": answers, "household_id": world.households[key]},
        headers=world.as_("admin"),
    )
    assert response.status_code == 201, response.text
    return sid


async def test_anonymous_listing_gets_no_id_numbers(client, world) -> None:
    await _store(client, world, "A1", world.answer("A1"))
    await _store(client, world, "A2", world.answer("A2"))
    listed = await client.get(URL, params={"limit": 500}, headers=world.as_("admin"))
    assert ID_NUMBER.search(listed.text)  # what the check below would find

    anonymous = await client.get(URL, params={"limit": 500}, headers=world.as_("anonymous"))

    assert anonymous.status_code == 401
    assert not ID_NUMBER.search(anonymous.text)
    assert _head(world.answers["A1"])["name"] not in anonymous.text


async def test_reusing_another_heads_id_number_does_not_replace_that_household(
    client, world
) -> None:
    a1 = world.answer("A1")
    await _store(client, world, "A1", a1)
    a2 = world.answer("A2")
    head = _head(a2)
    # A2's head carries A1's head's ID number (and the birth date and sex it encodes).
    for key in ("id_number", "birth_date", "sex"):
        head[key] = _head(a1)[key]
    await _store(client, world, "A2", a2)

    report = _report(client, "village", VILLAGE_A)

    assert report.drawn == 2 and report.figures.households == 2
    heads = sorted(row["head_name"] for row in report.households)
    assert heads == sorted([a1["household"]["head_name"], a2["household"]["head_name"]])


def _with_spouse(seed: int = 40) -> dict[str, Any]:
    """A demo household of village A with a spouse among its members."""
    village = next(v for v in demo_villages() if v["code"] == VILLAGE_A)
    for answers in answers_for(village, seed, count=30):
        if any(m["relation"] == "spouse" for m in answers["members"]):
            return answers
    raise AssertionError("no demo household with a spouse")


async def test_resurveying_with_the_spouse_as_new_head_counts_one_household(client, world) -> None:
    first = _with_spouse()
    [household_id] = await put_on_roster(client.app.state.db, world, [first], seed=810)
    again = copy.deepcopy(first)
    for member in again["members"]:
        if member["relation"] == "head":
            member["relation"] = "spouse"
        elif member["relation"] == "spouse":
            member["relation"] = "head"
            again["household"]["head_name"] = member["name"]
    for answers in (first, again):
        response = await client.post(
            URL,
            json={
                "id": str(uuid.uuid4()),
                "version": 1,
                "answers": answers,
                "household_id": household_id,
            },
        )
        assert response.status_code == 201, response.text

    report = _report(client, "village", VILLAGE_A)

    assert report.drawn == 1 and report.figures.households == 1
    assert [row["head_name"] for row in report.households] == [again["household"]["head_name"]]
    county = _report(client, "county", COUNTY)
    assert county.figures.households == 1


async def test_an_unregistered_village_is_refused_and_not_counted(client, world) -> None:
    unregistered = "620523102299"
    await _store(client, world, "A1", world.answer("A1"))
    answers = world.answer("A2")
    answers["household"]["village_code"] = unregistered
    stored = await _count(client, "submissions")

    no_household = await client.post(
        URL, json={"id": str(uuid.uuid4()), "version": 1, "answers": answers}
    )
    unknown = await client.post(
        URL,
        json={
            "id": str(uuid.uuid4()),
            "version": 1,
            "answers": answers,
            "household_id": str(uuid.uuid4()),
        },
    )
    proposed = await client.post(
        "/api/households",
        json={
            "id": str(uuid.uuid4()),
            "village_code": unregistered,
            "head_name": answers["household"]["head_name"],
            "category": "general",
        },
        headers=world.as_("official"),  # who may propose in the county's villages
    )

    assert no_household.status_code == 422
    assert no_household.json()["errors"][0]["code"] == "household_required"
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["code"] == "household_unknown"
    assert proposed.status_code == 422 and proposed.json()["code"] == "unknown_village"
    assert await _count(client, "submissions") == stored
    county = _report(client, "county", COUNTY)
    assert unregistered not in {row["code"] for row in county.villages}
    assert county.figures.households == sum(row["households"] for row in county.villages) == 1


async def test_a_form_post_from_another_site_is_refused_and_not_stored(client, world) -> None:
    client.headers.pop("Authorization")  # the browser's session cookie only
    login = await client.post("/api/session", json={"username": "cadre_a", "password": PASSWORD})
    assert login.status_code == 201
    body = [
        *form_pairs(world.answer("A1")),
        ("_household", world.households["A1"]),
        ("_csrf", login.json()["csrf_token"]),
    ]
    stored = await _count(client, "submissions")

    def post(origin: str) -> Any:
        return client.post(
            "/f/household/v/1",
            content=urlencode([*body, ("_id", str(uuid.uuid4()))]),
            headers={"content-type": "application/x-www-form-urlencoded", "Origin": origin},
        )

    evil = await post("http://evil.example")

    assert evil.status_code == 403 and evil.json()["code"] == "cross_site"
    assert await _count(client, "submissions") == stored
    ours = await post("http://testserver.local")  # the same POST from our own page is stored
    assert ours.status_code == 200, ours.text
    assert await _count(client, "submissions") == stored + 1


async def test_an_anonymous_step_is_refused_and_changes_nothing(client, world) -> None:
    sid = await _store(client, world, "A2", world.answer("A2"))
    step = {"status": "solved", "happened_on": world.answers["A2"]["survey"]["date"]}
    row = await client.app.state.db.fetch_one(
        "SELECT need_id FROM need_listings WHERE submission_id = ? AND path = '/needs/0'", (sid,)
    )
    url = f"/api/needs/{row['need_id']}"

    anonymous = await client.post(
        f"{url}/steps",
        json={"id": str(uuid.uuid4()), **step, "satisfaction": "satisfied"},
        headers=world.as_("anonymous"),
    )

    assert anonymous.status_code == 401
    assert await _count(client, "need_steps") == 0
    assert (await client.get(url)).json()["status"] == "open"
    paired = await client.post(f"{url}/steps", json={"id": str(uuid.uuid4()), **step})
    assert paired.status_code == 201  # the cadre paired with the household may
