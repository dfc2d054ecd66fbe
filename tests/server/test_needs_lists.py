"""Listing needs: narrowed to the asker's area, filtered, overdue first, paged; workload."""

from __future__ import annotations

from typing import Any

from tests.conftest import new_id
from tests.server.test_needs import days_ago, items_of
from tests.server.test_needs_sync import ROAD, TOILET, TRAINING, WATER, step, survey
from tests.world import VILLAGE_A, VILLAGE_B

# household -> (survey days ago, needs); every household of the world has some.
PLAN = {
    "A1": (100, [WATER, ROAD, TOILET]),
    "A2": (20, [WATER, TRAINING]),
    "B1": (200, [ROAD, TRAINING]),
    "C1": (50, [WATER]),
}


async def _world_of_needs(client: Any, world: Any) -> dict[str, list[int]]:
    items = {}
    for key, (ago, needs) in PLAN.items():
        sid = new_id()
        response = await client.post(
            "/api/forms/household/submissions",
            json={
                "id": sid,
                "version": 1,
                "answers": survey(world.answer(key), needs, days_ago(ago)),
                "household_id": world.households[key],
            },
            headers=world.as_("admin"),
        )
        assert response.status_code == 201, response.text
        items[key] = await items_of(client, sid)
    client.headers.update(world.as_("admin"))
    # A1: water referred then solved (80 days to close); B1: road solved (100 days).
    await step(client, items["A1"][0], "referred", days_ago(90), responsible_unit="水务局")
    await step(client, items["A1"][0], "solved", days_ago(20), satisfaction="satisfied")
    await step(client, items["B1"][0], "referred", days_ago(150), responsible_unit="交通局")
    await step(client, items["B1"][0], "solved", days_ago(100), satisfaction="dissatisfied")
    await step(client, items["B1"][1], "referred", days_ago(150), responsible_unit="人社局")
    return items


async def _all(client: Any, query: str, headers: dict[str, str], limit: int = 2) -> list[Any]:
    found, after = [], ""
    while True:
        page = (await client.get(f"/api/needs?limit={limit}{after}{query}", headers=headers)).json()
        found += page["items"]
        if page["next"] is None:
            return found
        after = f"&after={page['next']}"


async def test_each_persona_lists_its_area_overdue_first(client, world) -> None:
    items = await _world_of_needs(client, world)
    a1, a2, b1, c1 = items["A1"], items["A2"], items["B1"], items["C1"]
    # Overdue (urgent > 30 days, normal > 90): C1 water (50), B1 training (200), A1 road (100).
    everything = await _all(client, "", world.as_("admin"))
    overdue = [n["id"] for n in everything if n["overdue"]]
    assert overdue == [c1[0], b1[1], a1[1]]
    keys = [
        (
            not n["overdue"],
            ["urgent", "normal", "long_term"].index(n["urgency"]),
            n["raised_on"],
            n["id"],
        )
        for n in everything
    ]
    assert keys == sorted(keys) and len(everything) == 8
    seen = {
        persona: {n["id"] for n in await _all(client, "", world.as_(persona))}
        for persona in ("official", "official_other", "cadre_a", "cadre_b")
    }
    assert seen["official"] == {*a1, *a2, *b1}
    assert seen["official_other"] == {*c1}
    assert seen["cadre_a"] == {*a1, *a2}
    assert seen["cadre_b"] == {*b1}
    for persona, status in (("designer", 403), ("household", 403), ("anonymous", 401)):
        response = await client.get("/api/needs", headers=world.as_(persona))
        assert response.status_code == status, persona


async def test_filters_keep_what_they_say(client, world) -> None:
    items = await _world_of_needs(client, world)
    admin = world.as_("admin")

    async def ids(query: str) -> set[int]:
        return {n["id"] for n in await _all(client, query, admin, limit=50)}

    assert await ids(f"&village={VILLAGE_B}") == set(items["B1"])
    assert await ids(f"&under={VILLAGE_A[:9]}") == {*items["A1"], *items["A2"]}
    assert await ids("&category=employment") == {items["A2"][1], items["B1"][1]}
    assert await ids("&status=solved") == {items["A1"][0], items["B1"][0]}
    assert await ids("&status=closed") == {items["A1"][0], items["B1"][0]}
    assert await ids("&status=referred") == {items["B1"][1]}
    assert len(await ids("&status=unclosed")) == 6
    assert await ids("&unit=人社局") == {items["B1"][1]}
    assert await ids(f"&cadre={world.user_ids['cadre_a']}") == {*items["A1"], *items["A2"]}
    assert await ids("&overdue=true") == {items["C1"][0], items["B1"][1], items["A1"][1]}
    assert len(await ids("&overdue=false")) == 5
    for bad in ("status=done", "under=62052", "under=abc", "after=nope"):
        response = await client.get(f"/api/needs?{bad}", headers=admin)
        assert response.status_code == 400, bad


async def test_pages_see_each_need_once(client, world) -> None:
    await _world_of_needs(client, world)
    one_by_one = await _all(client, "", world.as_("admin"), limit=1)
    whole = (await client.get("/api/needs?limit=500", headers=world.as_("admin"))).json()
    assert [n["id"] for n in one_by_one] == [n["id"] for n in whole["items"]]
    assert len({n["id"] for n in one_by_one}) == 8


async def test_workload_per_cadre_and_unit_recounts(client, world) -> None:
    items = await _world_of_needs(client, world)
    rows = (await client.get("/api/needs/workload?by=cadre", headers=world.as_("official"))).json()
    by = {r["key"]: r for r in rows}
    cadre_a = by[str(world.user_ids["cadre_a"])]
    assert cadre_a["name"] == "测试cadre_a"
    assert (cadre_a["open"], cadre_a["closed"], cadre_a["overdue"]) == (4, 1, 1)
    assert cadre_a["mean_days_to_close"] == 80
    assert (cadre_a["satisfied"], cadre_a["dissatisfied"]) == (1, 0)
    cadre_b = by[str(world.user_ids["cadre_b"])]
    assert (cadre_b["open"], cadre_b["closed"], cadre_b["overdue"]) == (1, 1, 1)
    assert cadre_b["dissatisfied"] == 1 and str(world.user_ids["cadre_c"]) not in by
    units = (await client.get("/api/needs/workload?by=unit", headers=world.as_("admin"))).json()
    by_unit = {r["key"]: r for r in units}
    assert (by_unit["交通局"]["closed"], by_unit["人社局"]["open"]) == (1, 1)
    assert by_unit[None]["open"] == 5  # never referred
    assert (by_unit["水务局"]["mean_days_to_close"], by_unit["交通局"]["mean_days_to_close"]) == (
        80,
        100,
    )
    assert by_unit["交通局"]["dissatisfied"] == 1 and len(items["A1"]) == 3
    bad = await client.get("/api/needs/workload?by=village", headers=world.as_("admin"))
    assert bad.status_code == 400
