"""A small world for tests: places, a roster, and one named persona per role and scope.

- households: A1 and A2 in village A (620523102201), B1 in village B (620523106203),
  both of county 620523; C1 in village C of another county (620524...).
- personas: admin, designer, official (county 620523), official_other (county
  620524), cadre_a (paired with A1 and A2), cadre_b (paired with village B),
  cadre_c (paired with C1), and `household` (A1's own link to the household form).
Each persona has an API token; `World.as_(name)` gives the headers to act as them.
Seeded in one transaction, with the cheap password hashes tests use.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from forms.demo import demo_household_id, demo_households, demo_villages, roster_entry
from server.auth import LINK_COOKIE
from server.db import Database, now_iso
from server.households import upsert_households
from server.places import upsert_villages
from server.users import NO_PASSWORD, token_hash

VILLAGE_A = "620523102201"
VILLAGE_B = "620523106203"
VILLAGE_C = "620524101201"
COUNTY = "620523"
OTHER_COUNTY = "620524"
PASSWORD = "test-password-1"
A1 = demo_household_id(900, 0)  # the roster id of household A1, whose answers are `household`

# (username, role, place_code, pairs with households, pairs with villages)
PERSONAS: dict[str, tuple[str, str | None, tuple[str, ...], tuple[str, ...]]] = {
    "admin": ("admin", None, (), ()),
    "designer": ("designer", None, (), ()),
    "official": ("official", COUNTY + "000000", (), ()),
    "official_other": ("official", OTHER_COUNTY + "000000", (), ()),
    "cadre_a": ("cadre", None, ("A1", "A2"), ()),
    "cadre_b": ("cadre", None, (), (VILLAGE_B,)),
    "cadre_c": ("cadre", None, ("C1",), ()),
}


def other_county_village() -> dict[str, Any]:
    return {
        "code": VILLAGE_C,
        "name": "邻县村",
        "township_code": "620524101",
        "township_name": "邻县镇",
        "county_code": OTHER_COUNTY,
        "county_name": "武山县",
        "city_name": "天水市",
        "households_registered": 100,
    }


def answers_for(village: dict[str, Any], seed: int, count: int = 1) -> list[dict[str, Any]]:
    return list(demo_households(seed, [village], per_village=count))


@dataclass
class World:
    db: Database
    households: dict[str, str] = field(default_factory=dict)  # A1 -> roster id
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # A1 -> a valid answer
    tokens: dict[str, str] = field(default_factory=dict)  # persona -> API token
    user_ids: dict[str, int] = field(default_factory=dict)
    link_token: str = ""

    def as_(self, persona: str) -> dict[str, str]:
        """Headers acting as `persona` (a Bearer token; cookies for the household link)."""
        # An empty Authorization overrides a client's default one: no token at all.
        if persona == "anonymous":
            return {"Authorization": ""}
        if persona == "household":
            return {"Authorization": "", "Cookie": f"{LINK_COOKIE}={self.link_token}"}
        return {"Authorization": f"Bearer {self.tokens[persona]}"}

    def answer(self, key: str = "A1") -> dict[str, Any]:
        return copy.deepcopy(self.answers[key])


async def build_world(db: Database, a1_answers: dict[str, Any]) -> World:
    """Seed places, roster and personas; A1's answers are `a1_answers` (the `household`
    fixture), so tests that change them stay about household A1."""
    villages = demo_villages()
    village_a = next(v for v in villages if v["code"] == VILLAGE_A)
    village_b = next(v for v in villages if v["code"] == VILLAGE_B)
    await upsert_villages(db, [*villages, other_county_village()], actor="test")
    world = World(db)
    world.answers = {
        "A1": a1_answers,
        "A2": answers_for(village_a, 21)[0],
        "B1": answers_for(village_b, 22)[0],
        "C1": answers_for(other_county_village(), 23)[0],
    }
    roster = []
    for index, (key, answers) in enumerate(world.answers.items()):
        entry = roster_entry(900 + index, index, answers)
        roster.append(entry)
        world.households[key] = entry["id"]
    await upsert_households(db, "test", roster)

    async def people(conn: aiosqlite.Connection) -> None:
        from server.users import HASHER

        at = now_iso()
        hashed = HASHER.hash(PASSWORD)
        for persona, (role, place, households, villages_paired) in PERSONAS.items():
            cursor = await conn.execute(
                "INSERT INTO users (username, name, role, place_code, password_hash, created_at,"
                " password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (persona, f"测试{persona}", role, place, hashed if role else NO_PASSWORD, at, at),
            )
            user_id = cursor.lastrowid
            assert user_id is not None
            world.user_ids[persona] = user_id
            token = f"mst_test_{persona}"
            world.tokens[persona] = token
            await conn.execute(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at)"
                " VALUES (?, ?, ?, ?)",
                (user_id, "test", token_hash(token), at),
            )
            for key in households:
                await conn.execute(
                    "INSERT INTO pairings (cadre_id, household_id, since) VALUES (?, ?, ?)",
                    (user_id, world.households[key], at),
                )
            for village in villages_paired:
                await conn.execute(
                    "INSERT INTO pairings (cadre_id, village_code, since) VALUES (?, ?, ?)",
                    (user_id, village, at),
                )
        world.link_token = "h_test_link_A1"
        await conn.execute(
            "INSERT INTO household_links (token_hash, household_id, form_id, created_by,"
            " created_at, expires_at)"
            " VALUES (?, ?, 'household', 'test', ?, '2999-01-01T00:00:00Z')",
            (token_hash(world.link_token), world.households["A1"], at),
        )

    await db.write(people)
    return world


def seed_file(
    db_path: Any, household: dict[str, Any], extra: list[dict[str, Any]] = ()  # type: ignore[assignment]
) -> tuple[World, list[str]]:
    """Seed the world into a database file (for a live server started on it afterwards);
    also put each of `extra`'s answers on the roster. Returns the world and their ids."""
    import asyncio

    async def seed() -> tuple[World, list[str]]:
        from forms.schema import shipped_forms
        from server.form_versions import publish

        db = await Database.open(db_path)
        try:
            await publish(db, "household", shipped_forms()["household"], actor="test")
            world = await build_world(db, household)
            rows = [roster_entry(700, i, a) for i, a in enumerate(extra)]
            await upsert_households(db, "test", rows)
            if rows:
                await _pair(db, world.user_ids["cadre_a"], [r["id"] for r in rows])
            return world, [r["id"] for r in rows]
        finally:
            await db.close()

    return asyncio.run(seed())


async def _pair(db: Database, cadre_id: int, household_ids: list[str]) -> None:
    from server.authz import forget_pairings

    async def work(conn: aiosqlite.Connection) -> None:
        await conn.executemany(
            "INSERT INTO pairings (cadre_id, household_id, since) VALUES (?, ?, ?)",
            [(cadre_id, h, now_iso()) for h in household_ids],
        )

    await db.write(work)
    forget_pairings(cadre_id)


async def put_on_roster(
    db: Database, world: World, answers: list[dict[str, Any]], seed: int = 800
) -> list[str]:
    """Put each answer's household on the roster, paired with cadre_a; their ids."""
    rows = [roster_entry(seed, i, a) for i, a in enumerate(answers)]
    await upsert_households(db, "test", rows)
    await _pair(db, world.user_ids["cadre_a"], [r["id"] for r in rows])
    return [r["id"] for r in rows]


async def post_answers(
    client: Any, world: World, answers: list[dict[str, Any]], seed: int = 800
) -> list[str]:
    """Store answers (their households put on the roster first) as cadre_a; their ids."""
    import uuid

    households = await put_on_roster(client.app.state.db, world, answers, seed)
    ids = []
    for answer, household_id in zip(answers, households, strict=True):
        sid = str(uuid.uuid4())
        response = await client.post(
            "/api/forms/household/submissions",
            json={"id": sid, "version": 1, "answers": answer, "household_id": household_id},
            headers=world.as_("cadre_a"),
        )
        assert response.status_code == 201, response.text
        ids.append(sid)
    return ids
