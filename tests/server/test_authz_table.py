# ruff: noqa: E501
# (the table reads best a row to a line)
"""Who may use which route: every route of the app × every persona, in scope and out.

Each row is a route as the app declares it (method and path) with, for a resource
in scope (household A1 and its answer, village A, county 620523) and, where the
route takes one, a resource out of scope (C1 and its answer, village C, county
620524), the status each persona gets, in the order of PERSONAS. A write sends a
valid body (and the CSRF token a cookie needs), so the status says who may, not
what was wrong with the body. Rows marked PUBLIC are open to anyone by design.

`test_every_route_has_a_row` fails for a route without a row (and a row without
a route), so nobody adds a route without deciding who may use it. Every answer
is also searched for the ID numbers, head names and phones of the households the
persona may not read: no route gives them away, to anonymous least of all.

One app and one world serve the whole table; writes act on things made for the
call (a fresh proposal, pairing or token) or on cadre_c, who is no persona here,
so a row does not change what the next one sees. PDFs are not rendered: the
report service is replaced by one handing back a stub file (the permission is
checked before it is asked).
"""

from __future__ import annotations

import io
import json
import re
import string
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient
from PIL import Image

from forms.demo import demo_households, demo_villages
from forms.schema import shipped_forms
from server import roster_pages, users
from server.app import create_app
from server.audit import Actor
from server.auth import Principal, link_csrf
from server.db import Database
from server.form_design import create_preview, save_draft, set_status
from server.form_versions import publish
from server.households import HouseholdCreate, propose_household
from server.links import create_link
from server.pairings import pair
from server.settings import Settings
from server.users import token_hash
from server.xlsform_import import XLSX
from tests.conftest import form_pairs
from tests.forms.small_forms import form, group, text
from tests.forms.xlsform_files import HEADER, q, workbook
from tests.roster_files import places_file
from tests.world import (
    COUNTY,
    OTHER_COUNTY,
    PASSWORD,
    VILLAGE_A,
    VILLAGE_C,
    World,
    answers_for,
    build_world,
)

ON_ONE_APP = pytest.mark.asyncio(loop_scope="module")  # the tests sharing `ctx`


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), "gray").save(out, "JPEG")
    return out.getvalue()


PHOTO = _jpeg()  # the house's photo in A1's and C1's answers; uploaded by each persona too
XLSFORM = workbook([HEADER, q("text", "a", "甲", "A")])  # imported as a draft

PERSONAS = (
    "anonymous",
    "admin",
    "designer",
    "official",
    "official_other",
    "cadre_a",
    "cadre_b",
    "household",
)
# The households each persona may read (the form page shows a link its own).
SEES = {
    "anonymous": set(),
    "admin": {"A1", "A2", "B1", "C1"},
    "designer": set(),
    "official": {"A1", "A2", "B1"},
    "official_other": {"C1"},
    "cadre_a": {"A1", "A2"},
    "cadre_b": {"B1"},
    "household": {"A1"},
}
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
NEED = {
    "category": "infrastructure_housing",
    "item": "road",
    "description": "入户路是土路，希望硬化。",
    "urgency": "normal",
}


# ---------------------------------------------------------------- the world of the table


@dataclass
class Ctx:
    client: AsyncTestClient[Any]
    world: World
    ids: dict[str, str] = field(default_factory=dict)
    markers: dict[str, set[str]] = field(default_factory=dict)  # household -> what is private

    @property
    def db(self) -> Database:
        db: Database = self.client.app.state.db
        return db

    async def fill(self, template: str) -> str:
        """`template` with {names} from `ids`, or made fresh for this call (FRESH)."""
        values: dict[str, str] = {}
        for _, name, _, _ in string.Formatter().parse(template):
            if name and name not in values:
                values[name] = self.ids[name] if name in self.ids else await FRESH[name](self)
        return template.format(**values)


async def _proposal(ctx: Ctx, village: str) -> str:
    cadre = Principal("user", user_id=int(ctx.ids["cadre_c"]), role="cadre", name="c")
    body = HouseholdCreate(
        id=uuid.uuid4(), village_code=village, head_name="新户丙", category="general"
    )
    record, _ = await propose_household(ctx.db, cadre, body)
    return record.id


async def _pairing(ctx: Ctx) -> str:
    record, _ = await pair(ctx.db, "test", int(ctx.ids["cadre_c"]), village_code=VILLAGE_A)
    return str(record.id)


async def _token(ctx: Ctx) -> str:
    record, _ = await users.create_token(
        ctx.db, "test", int(ctx.ids["cadre_c"]), f"t-{uuid.uuid4().hex[:8]}"
    )
    return str(record.id)


async def _previewed(ctx: Ctx) -> str:
    """A file the admin uploaded and previewed, awaiting confirmation by its token."""
    return roster_pages._keep("admin", "places", "places.csv", places_file())


async def _link(ctx: Ctx, key: str) -> str:
    record, _ = await create_link(ctx.db, "test", ctx.ids[key], "household")
    return str(record.id)


async def _uuid(ctx: Ctx) -> str:
    return str(uuid.uuid4())


async def _name(ctx: Ctx) -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _small_form() -> dict[str, Any]:
    return form(s=group(q=text()))


async def _drafted(ctx: Ctx) -> str:
    """A new form with a draft and no version yet."""
    form_id = f"t_{uuid.uuid4().hex[:8]}"
    await save_draft(ctx.db, Actor("test"), form_id, json.dumps(_small_form()))
    return form_id


async def _published(ctx: Ctx) -> str:
    """A new form at version 1."""
    form_id = f"t_{uuid.uuid4().hex[:8]}"
    await publish(ctx.db, form_id, _small_form(), actor="test")
    return form_id


async def _preview_token(ctx: Ctx) -> str:
    """A QR code's token for a new form's draft."""
    token, _ = await create_preview(ctx.db, Actor("test"), await _drafted(ctx))
    return token


def _small_form_text(ctx: Ctx) -> list[tuple[str, str]]:
    return [("text", json.dumps(_small_form()))]


async def _retired(ctx: Ctx) -> str:
    """A new form whose version 1 is retired."""
    form_id = await _published(ctx)
    await set_status(ctx.db, Actor("test"), form_id, 1, "retired")
    return form_id


FRESH: dict[str, Callable[[Ctx], Awaitable[str]]] = {
    "name": _name,
    "drafted": _drafted,
    "published": _published,
    "retired": _retired,
    "preview_token": _preview_token,
    "previewed": _previewed,
    "proposed_in": lambda ctx: _proposal(ctx, VILLAGE_A),
    "proposed_out": lambda ctx: _proposal(ctx, VILLAGE_C),
    "pairing": _pairing,
    "token": _token,
    "uuid": _uuid,
    "link_in": lambda ctx: _link(ctx, "A1"),
    "link_out": lambda ctx: _link(ctx, "C1"),
}


class StubReports:
    """Stands in for the PDF renderer: the table tests who may ask, not the PDF."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def get(self, wanted: Any) -> Path:
        return self.path

    async def run(self, fn: Any, *args: Any) -> bytes:
        return self.path.read_bytes()


def _private(answers: dict[str, Any]) -> set[str]:
    section = answers["household"]
    found = {m["id_number"] for m in answers["members"]} | {section["head_name"]}
    return found | ({section["phone"]} if section.get("phone") else set())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ctx(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Ctx]:
    tmp = tmp_path_factory.mktemp("authz")
    settings = Settings(db_path=tmp / "minsheng.db", report_cache_dir=tmp / "reports")
    a1 = next(demo_households(7, demo_villages(), per_village=1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        async with AsyncTestClient(app=create_app(settings)) as client:
            world = await build_world(client.app.state.db, a1)
            stub = tmp / "stub.pdf"
            stub.write_bytes(b"%PDF-1.7 stub")
            client.app.state.reports = StubReports(stub)
            ctx = Ctx(client, world)
            ctx.ids = {
                "A1": world.households["A1"],
                "C1": world.households["C1"],
                "vA": VILLAGE_A,
                "vC": VILLAGE_C,
                "county": COUNTY,
                "other_county": OTHER_COUNTY,
                "cadre_c": str(world.user_ids["cadre_c"]),
                "link": world.link_token,
            }
            for key in ("A1", "C1"):
                if not world.answers[key].get("needs"):  # the needs rows need a need
                    world.answers[key]["needs"] = [NEED]
                answer_id, photo_id = str(uuid.uuid4()), str(uuid.uuid4())
                response = await client.put(
                    f"/api/media/{photo_id}",
                    content=PHOTO,
                    headers={**world.as_("admin"), "Content-Type": "image/jpeg"},
                )
                assert response.status_code == 201, response.text
                answers = world.answer(key)
                answers["living"]["house_photo"] = photo_id
                response = await client.post(
                    "/api/forms/household/submissions",
                    json={
                        "id": answer_id,
                        "version": 1,
                        "answers": answers,
                        "household_id": world.households[key],
                    },
                    headers=world.as_("admin"),
                )
                assert response.status_code == 201, response.text
                ctx.ids[key.lower()] = answer_id
                need = await ctx.db.fetch_one(
                    "SELECT need_id FROM need_listings WHERE submission_id = ?", (answer_id,)
                )
                ctx.ids[f"n_{key.lower()}"] = str(need["need_id"])
                ctx.ids["photo_" + key.lower()] = photo_id
            # What each household keeps private; a name that also appears in another
            # household's answers (a common name) cannot tell a leak apart.
            private = {key: _private(world.answers[key]) for key in world.answers}
            for key, markers in private.items():
                others = json.dumps(
                    [a for k, a in world.answers.items() if k != key], ensure_ascii=False
                )
                ctx.markers[key] = {m for m in markers if m not in others}
            yield ctx


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class Call:
    """A request to make: its URL, and a JSON, form, upload or raw body."""

    url: str
    json: Callable[[Ctx], Awaitable[dict[str, Any]]] | None = None
    form: Callable[[Ctx], Awaitable[list[tuple[str, str]]]] | None = None
    upload: tuple[dict[str, str], dict[str, tuple[str, bytes, str]]] | None = None
    raw: tuple[bytes, str] | None = None  # a body and its media type


def at(url: str) -> Call:
    return Call(url)


def with_json(url: str, body: dict[str, Any] | Callable[[Ctx], dict[str, Any]]) -> Call:
    """A JSON body: made by a function, or given with {names} in its strings to fill."""

    async def make(ctx: Ctx) -> dict[str, Any]:
        if callable(body):
            return body(ctx)
        return {k: await ctx.fill(v) if isinstance(v, str) else v for k, v in body.items()}

    return Call(url, json=make)


def with_form(
    url: str, pairs: list[tuple[str, str]] | Callable[[Ctx], list[tuple[str, str]]] | None = None
) -> Call:
    """A form body: made by a function, or given with {names} in its values to fill."""

    async def make(ctx: Ctx) -> list[tuple[str, str]]:
        if callable(pairs):
            return pairs(ctx)
        return [(k, await ctx.fill(v)) for k, v in pairs or []]

    return Call(url, form=make)


def with_upload(url: str, fields: dict[str, str], name: str, data: bytes) -> Call:
    """A multipart form with a file, as a browser uploads one."""
    return Call(url, upload=(fields, {"file": (name, data, "text/csv")}))


def with_body(url: str, data: bytes, media_type: str) -> Call:
    return Call(url, raw=(data, media_type))


def _answer(key: str) -> Callable[[Ctx], dict[str, Any]]:
    return lambda ctx: {
        "id": str(uuid.uuid4()),
        "version": 1,
        "answers": ctx.world.answer(key),
        "household_id": ctx.ids[key],
    }


def _answer_form(key: str) -> Callable[[Ctx], list[tuple[str, str]]]:
    """A page's POST for household `key`, with answers of a household outside the world:
    a link stores them for its own household whichever the page names, and another
    household's private data stored there would read as a leak."""

    def pairs(ctx: Ctx) -> list[tuple[str, str]]:
        body = form_pairs(answers_for(demo_villages()[0], 31)[0])
        return [*body, ("_household", ctx.ids[key]), ("_id", str(uuid.uuid4()))]

    return pairs


def _step(key: str) -> Callable[[Ctx], dict[str, Any]]:
    return lambda ctx: {
        "id": str(uuid.uuid4()),
        "status": "in_progress",
        "happened_on": ctx.world.answers[key]["survey"]["date"],
    }


def _step_form(key: str) -> Callable[[Ctx], list[tuple[str, str]]]:
    return lambda ctx: (
        [(k, str(v)) for k, v in _step(key)(ctx).items() if k != "id"]
        + [("_id", str(uuid.uuid4()))]
    )


def _new_person_json(ctx: Ctx) -> dict[str, Any]:
    return {
        "username": f"u{uuid.uuid4().hex[:8]}",
        "name": "新人",
        "role": "cadre",
        "password": "long-enough-1",
    }


def _new_person_form(ctx: Ctx) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in _new_person_json(ctx).items()]


def _propose(village: str) -> Callable[[Ctx], dict[str, Any]]:
    return lambda ctx: {
        "id": str(uuid.uuid4()),
        "village_code": village,
        "head_name": "新户乙",
        "category": "general",
    }


# ---------------------------------------------------------------- the table


def expect(line: str) -> tuple[int, ...]:
    statuses = tuple(int(s) for s in line.split())
    assert len(statuses) == len(PERSONAS), line
    return statuses


def everyone(status: int) -> tuple[int, ...]:
    return (status,) * len(PERSONAS)


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as the app declares it
    ins: Call
    expect_in: tuple[int, ...]
    out: Call | None = None
    expect_out: tuple[int, ...] | None = None
    public: bool = False  # open to anyone by design

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def PUBLIC(
    method: str,
    path: str,
    call: Call,
    status: int,
    out: Call | None = None,
    out_status: int | None = None,
) -> Row:
    """A route open to anyone by design: the same status for every persona."""
    return Row(
        method,
        path,
        call,
        everyone(status),
        out,
        everyone(out_status) if out_status else None,
        public=True,
    )


ADMIN_ONLY = expect("401 200 403 403 403 403 403 403")
DESIGNERS = expect("401 200 200 403 403 403 403 403")
STAFF = expect("401 200 200 200 200 200 200 403")  # anyone with an account; not a link
AREA_LIST = expect("401 200 403 200 200 200 200 403")  # narrowed to one's area
SUB = "/api/submissions/{submission_id:str}"
FORM_POST = "/f/{form_id:str}/v/{version:int}"
USER = "/api/users/{user_id:int}"
CADRE = "/admin/pairings/{cadre_id:int}"
PERSON = "/admin/people/{user_id:int}"
SCHEMA_PAGES = ("", "/openapi.json", "/swagger", "/oauth2-redirect.html")

# fmt: off
#                                                        anon admin desig offic other cad_a cad_b house
ROWS: list[Row] = [
    # ---- public by design: the front page (its content follows the role), health,
    # the login page, the assets, the API docs, a household's link
    PUBLIC("GET", "/", at("/"), 200),
    PUBLIC("GET", "/healthz", at("/healthz"), 200),
    PUBLIC("GET", "/login", at("/login"), 200),
    PUBLIC("POST", "/login", with_form("/login", [("username", "cadre_c"), ("password", PASSWORD)]), 303),
    PUBLIC("POST", "/api/session", with_json("/api/session", {"username": "cadre_c", "password": PASSWORD}), 201),
    # Logging out asks for no one: without a session it is already done.
    PUBLIC("POST", "/logout", with_form("/logout"), 303),
    PUBLIC("DELETE", "/api/session", at("/api/session"), 204),
    PUBLIC("GET", "/static/{name:path}", at("/static/style.css"), 200, at("/static/nope.css"), 404),
    PUBLIC("GET", "/sw.js", at("/sw.js"), 200),
    PUBLIC("GET", "/api-docs/{name:str}", at("/api-docs/swagger-ui.css"), 200,
           at("/api-docs/nope.js"), 404),
    PUBLIC("GET", "/h/{token:str}", at("/h/{link}"), 303, at("/h/h_not_a_link"), 404),
    *[PUBLIC("GET", f"/schema{page}", at(f"/schema{page}"), 200) for page in SCHEMA_PAGES],
    PUBLIC("GET", "/schema/{path:str}", at("/schema/nope"), 404),

    # ---- one's own account
    Row("GET", "/account", at("/account"), expect("401 200 200 200 200 200 200 403")),
    Row("POST", "/account/password",
        with_form("/account/password", [("current", PASSWORD), ("new", PASSWORD)]),
        expect("401 303 303 303 303 303 303 403")),
    Row("GET", "/api/me", at("/api/me"), expect("401 200 200 200 200 200 200 200")),
    Row("POST", "/api/me/password",
        with_json("/api/me/password", {"current": PASSWORD, "new": PASSWORD}),
        expect("401 204 204 204 204 204 204 403")),
    Row("GET", "/api/me/households", at("/api/me/households"), STAFF),

    # ---- forms and answers
    Row("GET", "/api/forms", at("/api/forms"), STAFF),
    Row("GET", "/api/forms/{form_id:str}", at("/api/forms/household"),
        expect("401 200 200 200 200 200 200 200"),
        at("/api/forms/nope"), expect("401 404 404 404 404 404 404 403")),
    Row("GET", "/api/forms/{form_id:str}/versions/{version:int}", at("/api/forms/household/versions/1"),
        expect("401 200 200 200 200 200 200 200"),
        at("/api/forms/nope/versions/1"), expect("401 404 404 404 404 404 404 403")),
    Row("GET", "/f/{form_id:str}", at("/f/household?household={A1}"),
        expect("401 200 404 404 404 200 404 200"),
        at("/f/household?household={C1}"), expect("401 200 404 404 404 404 404 200")),
    Row("GET", "/f/{form_id:str}/v/{version:int}", at("/f/household/v/1?household={A1}"),
        expect("401 200 404 404 404 200 404 200"),
        at("/f/household/v/1?household={C1}"), expect("401 200 404 404 404 404 404 200")),
    # A link always answers for its own household, whichever one the page names.
    Row("POST", FORM_POST, with_form("/f/household/v/1", _answer_form("A1")),
        expect("401 303 404 404 404 303 404 303"),
        with_form("/f/household/v/1", _answer_form("C1")), expect("401 303 404 404 404 404 404 303")),
    Row("POST", "/api/forms/{form_id:str}/submissions",
        with_json("/api/forms/household/submissions", _answer("A1")),
        expect("401 201 404 404 404 201 404 201"),
        with_json("/api/forms/household/submissions", _answer("C1")),
        expect("401 201 404 404 404 404 404 404")),
    Row("GET", "/api/forms/{form_id:str}/submissions",
        at("/api/forms/household/submissions?village_code={vA}"), AREA_LIST,
        at("/api/forms/household/submissions?village_code={vC}"), AREA_LIST),
    # Exports: admins, and officials for their area; not cadres (server/exports.py says why).
    Row("GET", "/api/forms/{form_id:str}/export", at("/api/forms/household/export?county_code={county}"),
        expect("401 200 403 200 403 403 403 403"),
        at("/api/forms/household/export?county_code={other_county}"),
        expect("401 200 403 403 200 403 403 403")),
    # A form's summary (counts only): as a report is read, an official's area (a place
    # asked that overlaps it) and a cadre's village paired whole; never a county for a cadre.
    Row("GET", "/api/forms/{form_id:str}/summary.pdf", at("/api/forms/household/summary.pdf?county={county}"),
        expect("401 200 403 200 403 403 403 403"),
        at("/api/forms/household/summary.pdf?county={other_county}"),
        expect("401 200 403 403 200 403 403 403")),
    # The receipt of a form sent without JavaScript: whoever may read the answer.
    Row("GET", "/f/{form_id:str}/done/{submission_id:uuid}", at("/f/household/done/{a1}"),
        expect("401 200 404 200 404 200 404 200"),
        at("/f/household/done/{c1}"), expect("401 200 404 404 200 404 404 404")),
    Row("GET", SUB, at("/api/submissions/{a1}"), expect("401 200 404 200 404 200 404 404"),
        at("/api/submissions/{c1}"), expect("401 200 404 404 200 404 404 404")),

    # ---- the needs ledger: officials read their area's, paired cadres read and step on
    # their households' (steps are the paired cadre's work, not the official's)
    Row("GET", "/api/needs", at("/api/needs?village={vA}"), AREA_LIST,
        at("/api/needs?village={vC}"), AREA_LIST),
    Row("GET", "/api/needs/workload", at("/api/needs/workload?by=cadre&under={vA}"), AREA_LIST,
        at("/api/needs/workload?by=unit&under={vC}"), AREA_LIST),
    Row("GET", "/api/needs/{need_id:int}", at("/api/needs/{n_a1}"),
        expect("401 200 404 200 404 200 404 404"),
        at("/api/needs/{n_c1}"), expect("401 200 404 404 200 404 404 404")),
    Row("POST", "/api/needs/{need_id:int}/steps",
        with_json("/api/needs/{n_a1}/steps", _step("A1")),
        expect("401 201 404 404 404 201 404 404"),
        with_json("/api/needs/{n_c1}/steps", _step("C1")),
        expect("401 201 404 404 404 404 404 404")),
    Row("GET", "/api/me/needs", at("/api/me/needs"), STAFF),
    Row("GET", "/needs", at("/needs?village={vA}"), AREA_LIST, at("/needs?village={vC}"), AREA_LIST),
    Row("GET", "/needs/mine", at("/needs/mine"), STAFF),
    Row("GET", "/needs/{need_id:int}", at("/needs/{n_a1}"),
        expect("401 200 404 200 404 200 404 404"),
        at("/needs/{n_c1}"), expect("401 200 404 404 200 404 404 404")),
    Row("POST", "/needs/{need_id:int}/steps", with_form("/needs/{n_a1}/steps", _step_form("A1")),
        expect("401 303 404 404 404 303 404 404"),
        with_form("/needs/{n_c1}/steps", _step_form("C1")),
        expect("401 303 404 404 404 404 404 404")),

    # ---- reviewing answers: officials of the area (and admins) review; whoever may read
    # the answer reads its reviews
    Row("POST", SUB + "/reviews",
        with_json("/api/submissions/{a1}/reviews", {"id": "{uuid}", "decision": "approved"}),
        expect("401 201 404 201 404 404 404 404"),
        with_json("/api/submissions/{c1}/reviews", {"id": "{uuid}", "decision": "approved"}),
        expect("401 201 404 404 201 404 404 404")),
    Row("GET", SUB + "/reviews", at("/api/submissions/{a1}/reviews"),
        expect("401 200 404 200 404 200 404 404"),
        at("/api/submissions/{c1}/reviews"), expect("401 200 404 404 200 404 404 404")),
    Row("GET", "/api/me/reviews", at("/api/me/reviews"), STAFF),
    Row("GET", "/answers", at("/answers?village={vA}"), AREA_LIST,
        at("/answers?village={vC}"), AREA_LIST),
    Row("GET", "/answers/{submission_id:str}", at("/answers/{a1}"),
        expect("401 200 404 200 404 200 404 404"),
        at("/answers/{c1}"), expect("401 200 404 404 200 404 404 404")),
    Row("POST", "/answers/{submission_id:str}/review",
        with_form("/answers/{a1}/review", [("_id", "{uuid}"), ("decision", "approved")]),
        expect("401 303 404 303 404 404 404 404"),
        with_form("/answers/{c1}/review", [("_id", "{uuid}"), ("decision", "approved")]),
        expect("401 303 404 404 303 404 404 404")),

    # ---- photos: sent by whoever fills forms; read as the answer naming them is
    Row("PUT", "/api/media/{media_id:uuid}", with_body("/api/media/{uuid}", PHOTO, "image/jpeg"),
        expect("401 201 403 403 403 201 201 201")),
    Row("GET", "/api/media/{media_id:uuid}", at("/api/media/{photo_a1}"),
        expect("401 200 404 200 404 200 404 404"),
        at("/api/media/{photo_c1}"), expect("401 200 404 404 200 404 404 404")),

    # ---- the publish cycle: designers and administrators only
    Row("GET", "/api/forms/{form_id:str}/draft", at("/api/forms/{drafted}/draft"), DESIGNERS),
    Row("PUT", "/api/forms/{form_id:str}/draft",
        with_json("/api/forms/{drafted}/draft", {"text": "work in progress"}), DESIGNERS),
    Row("POST", "/api/forms/{form_id:str}/draft/check",
        with_json("/api/forms/{drafted}/draft/check", {}), DESIGNERS),
    Row("POST", "/api/forms/{form_id:str}/publish",
        with_json("/api/forms/{drafted}/publish", {"acknowledge": True}),
        expect("401 201 201 403 403 403 403 403")),
    Row("GET", "/api/forms/{form_id:str}/versions", at("/api/forms/household/versions"), DESIGNERS),
    Row("POST", "/api/forms/{form_id:str}/versions/{version:int}/retire",
        with_json("/api/forms/{published}/versions/1/retire", {"reason": "test"}), DESIGNERS),
    Row("POST", "/api/forms/{form_id:str}/versions/{version:int}/restore",
        with_json("/api/forms/{retired}/versions/1/restore", {}), DESIGNERS),
    Row("GET", "/api/forms/{form_id:str}/diff", at("/api/forms/household/diff?from=1&to=1"), DESIGNERS),
    Row("GET", "/design", at("/design"), DESIGNERS),
    Row("GET", "/design/{form_id:str}", at("/design/household?from=1&to=1"), DESIGNERS),
    Row("POST", "/design/{form_id:str}/draft", with_form("/design/{drafted}/draft", [("text", "x")]),
        expect("401 303 303 403 403 403 403 403")),
    Row("POST", "/design/{form_id:str}/check", with_form("/design/{drafted}/check", [("text", "x")]),
        DESIGNERS),
    Row("POST", "/design/{form_id:str}/publish", with_form("/design/{drafted}/publish", _small_form_text),
        expect("401 303 303 403 403 403 403 403")),
    Row("POST", "/design/{form_id:str}/versions/{version:int}/retire",
        with_form("/design/{published}/versions/1/retire"), expect("401 303 303 403 403 403 403 403")),
    Row("POST", "/design/{form_id:str}/versions/{version:int}/restore",
        with_form("/design/{retired}/versions/1/restore"), expect("401 303 303 403 403 403 403 403")),
    Row("GET", "/design/{form_id:str}/preview", at("/design/household/preview"), DESIGNERS),
    Row("POST", "/design/{form_id:str}/preview", with_form("/design/household/preview", [("text", "x")]),
        DESIGNERS),
    Row("POST", "/design/{form_id:str}/qr", with_form("/design/{drafted}/qr"), DESIGNERS),
    Row("POST", "/api/forms/{form_id:str}/draft/xlsform",
        with_body("/api/forms/{drafted}/draft/xlsform", XLSFORM, XLSX), DESIGNERS),
    Row("POST", "/design/{form_id:str}/xlsform",
        with_upload("/design/{drafted}/xlsform", {}, "form.xlsx", XLSFORM), DESIGNERS),
    # A QR code's link shows one draft (no one's data) for a while, to a phone not logged in.
    PUBLIC("GET", "/preview/{token:str}", at("/preview/{preview_token}"), 200,
           at("/preview/p_not_a_token"), 404),

    # ---- places and the roster
    Row("GET", "/api/places", at("/api/places"), STAFF),
    Row("GET", "/api/villages", at("/api/villages"), STAFF),
    Row("GET", "/api/households", at("/api/households?under={vA}"), AREA_LIST,
        at("/api/households?under={vC}"), AREA_LIST),
    Row("GET", "/api/households/{household_id:str}", at("/api/households/{A1}"),
        expect("401 200 404 200 404 200 404 404"),
        at("/api/households/{C1}"), expect("401 200 404 404 200 404 404 404")),
    Row("POST", "/api/households", with_json("/api/households", _propose(VILLAGE_A)),
        expect("401 201 403 201 403 201 403 403"),
        with_json("/api/households", _propose(VILLAGE_C)),
        expect("401 201 403 403 201 403 403 403")),
    Row("POST", "/api/households/{household_id:str}/review",
        with_json("/api/households/{proposed_in}/review", {"decision": "confirm"}),
        expect("401 200 404 200 404 404 404 404"),
        with_json("/api/households/{proposed_out}/review", {"decision": "confirm"}),
        expect("401 200 404 404 200 404 404 404")),
    Row("GET", "/households/proposed", at("/households/proposed"), AREA_LIST),
    # 我的联系户's form without JavaScript: propose, then survey it
    Row("POST", "/households",
        with_form("/households", [("id", "{uuid}"), ("village_code", "{vA}"), ("head_name", "新户丁"), ("category", "general")]),
        expect("401 303 403 303 403 303 403 403"),
        with_form("/households", [("id", "{uuid}"), ("village_code", "{vC}"), ("head_name", "新户丁"), ("category", "general")]),
        expect("401 303 403 403 303 403 403 403")),
    Row("POST", "/households/{household_id:str}/review",
        with_form("/households/{proposed_in}/review", [("decision", "confirm")]),
        expect("401 303 404 303 404 404 404 404"),
        with_form("/households/{proposed_out}/review", [("decision", "confirm")]),
        expect("401 303 404 404 303 404 404 404")),

    # ---- a household's own links: officials of the area, the household's cadres
    Row("GET", "/api/households/{household_id:str}/links", at("/api/households/{A1}/links"),
        expect("401 200 404 200 404 200 404 404"),
        at("/api/households/{C1}/links"), expect("401 200 404 404 200 404 404 404")),
    Row("POST", "/api/households/{household_id:str}/links",
        with_json("/api/households/{A1}/links", {"days": 30}),
        expect("401 201 404 201 404 201 404 404"),
        with_json("/api/households/{C1}/links", {"days": 30}),
        expect("401 201 404 404 201 404 404 404")),
    Row("DELETE", "/api/households/{household_id:str}/links/{link_id:int}",
        at("/api/households/{A1}/links/{link_in}"), expect("401 200 404 200 404 200 404 404"),
        at("/api/households/{C1}/links/{link_out}"), expect("401 200 404 404 200 404 404 404")),
    Row("GET", "/households/{household_id:str}", at("/households/{A1}"),
        expect("401 200 404 200 404 200 404 404"),
        at("/households/{C1}"), expect("401 200 404 404 200 404 404 404")),
    Row("POST", "/households/{household_id:str}/links", with_form("/households/{A1}/links"),
        expect("401 200 404 200 404 200 404 404"),
        with_form("/households/{C1}/links"), expect("401 200 404 404 200 404 404 404")),
    Row("POST", "/households/{household_id:str}/links/{link_id:int}/revoke",
        with_form("/households/{A1}/links/{link_in}/revoke"),
        expect("401 303 404 303 404 303 404 404"),
        with_form("/households/{C1}/links/{link_out}/revoke"),
        expect("401 303 404 404 303 404 404 404")),
    # a village's QR sheet: officials of the area, cadres working in the village (cadre_a
    # through A1 and A2, whose codes alone it prints)
    Row("GET", "/reports/village/{code:str}/qr.pdf", at("/reports/village/{vA}/qr.pdf"),
        expect("401 200 403 200 403 200 403 403"),
        at("/reports/village/{vC}/qr.pdf"), expect("401 200 403 403 200 403 403 403")),

    # ---- reports: an official's area; a cadre only for villages paired whole (cadre_b: B)
    *[
        Row(method, "/reports/village/{filename:str}", at("/reports/village/{vA}.pdf"),
            expect("401 200 403 200 403 403 403 403"),
            at("/reports/village/{vC}.pdf"), expect("401 200 403 403 200 403 403 403"))
        for method in ("GET", "HEAD")
    ],
    *[
        Row(method, "/reports/county/{filename:str}", at("/reports/county/{county}.pdf"),
            expect("401 200 403 200 403 403 403 403"),
            at("/reports/county/{other_county}.pdf"), expect("401 200 403 403 200 403 403 403"))
        for method in ("GET", "HEAD")
    ],

    # ---- pairings, people, the audit log: administrators only
    Row("GET", "/api/pairings", at("/api/pairings"), ADMIN_ONLY),
    Row("POST", "/api/pairings", with_json("/api/pairings", {"cadre": "cadre_c", "household_id": "{A1}"}),
        expect("401 201 403 403 403 403 403 403")),
    Row("DELETE", "/api/pairings/{pairing_id:int}", at("/api/pairings/{pairing}"), ADMIN_ONLY),
    Row("GET", "/api/users", at("/api/users"), ADMIN_ONLY),
    Row("POST", "/api/users", with_json("/api/users", _new_person_json),
        expect("401 201 403 403 403 403 403 403")),
    Row("GET", USER, at("/api/users/{cadre_c}"), ADMIN_ONLY),
    Row("PATCH", USER, with_json("/api/users/{cadre_c}", {"active": True}), ADMIN_ONLY),
    Row("PUT", USER + "/password", with_json("/api/users/{cadre_c}/password", {"password": PASSWORD}),
        expect("401 204 403 403 403 403 403 403")),
    Row("GET", USER + "/tokens", at("/api/users/{cadre_c}/tokens"), ADMIN_ONLY),
    Row("POST", USER + "/tokens", with_json("/api/users/{cadre_c}/tokens", {"name": "{name}"}),
        expect("401 201 403 403 403 403 403 403")),
    Row("DELETE", USER + "/tokens/{token_id:int}", at("/api/users/{cadre_c}/tokens/{token}"), ADMIN_ONLY),
    Row("GET", "/api/audit", at("/api/audit"), ADMIN_ONLY),
    Row("GET", "/admin", at("/admin"), ADMIN_ONLY),
    Row("GET", "/admin/people", at("/admin/people"), ADMIN_ONLY),
    Row("GET", "/admin/people/new", at("/admin/people/new?place=620523000000"), ADMIN_ONLY),
    Row("POST", "/admin/people", with_form("/admin/people", _new_person_form),
        expect("401 303 403 403 403 403 403 403")),
    Row("GET", PERSON, at("/admin/people/{cadre_c}"), ADMIN_ONLY),
    Row("POST", PERSON + "/active", with_form("/admin/people/{cadre_c}/active", [("active", "1")]),
        expect("401 303 403 403 403 403 403 403")),
    Row("POST", PERSON + "/password", with_form("/admin/people/{cadre_c}/password", [("password", PASSWORD)]),
        expect("401 303 403 403 403 403 403 403")),
    Row("POST", PERSON + "/tokens", with_form("/admin/people/{cadre_c}/tokens", [("name", "{name}")]),
        expect("401 201 403 403 403 403 403 403")),
    Row("POST", PERSON + "/tokens/{token_id:int}/revoke",
        with_form("/admin/people/{cadre_c}/tokens/{token}/revoke"),
        expect("401 303 403 403 403 403 403 403")),
    Row("GET", "/admin/pairings", at("/admin/pairings"), ADMIN_ONLY),
    Row("GET", CADRE, at("/admin/pairings/{cadre_c}?place={vA}&q="), ADMIN_ONLY),
    Row("POST", CADRE, with_form("/admin/pairings/{cadre_c}", [("household_id", "{A1}")]),
        expect("401 303 403 403 403 403 403 403")),
    Row("POST", CADRE + "/{pairing_id:int}/end", with_form("/admin/pairings/{cadre_c}/{pairing}/end"),
        expect("401 303 403 403 403 403 403 403")),
    Row("GET", "/admin/audit", at("/admin/audit?action=login"), ADMIN_ONLY),
    # the roster import (dry runs and the demo county's own places: nothing changes)
    Row("GET", "/admin/import", at("/admin/import"), ADMIN_ONLY),
    Row("POST", "/admin/import", with_upload("/admin/import", {"kind": "places"}, "places.csv", places_file()),
        ADMIN_ONLY),
    Row("POST", "/admin/import/confirm", with_form("/admin/import/confirm", [("token", "{previewed}")]),
        ADMIN_ONLY),
    Row("POST", "/api/admin/import/{kind:str}",
        with_body("/api/admin/import/places?dry_run=1", places_file(), "text/csv"), ADMIN_ONLY),
]
# fmt: on


def _declared_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(db_path=Path("unused.db")))
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            for method in handler.http_methods:
                # litestar answers OPTIONS (a CORS preflight) for every path itself.
                if method != "OPTIONS":
                    found.add((method, route.path))
    return found


def test_every_route_has_a_row() -> None:
    declared = _declared_routes()
    rows = [row.key for row in ROWS]
    assert len(rows) == len(set(rows)), "a route has two rows"
    missing = sorted(declared - set(rows))
    assert not missing, f"routes without a row in ROWS (decide who may use them): {missing}"
    stale = sorted(set(rows) - declared)
    assert not stale, f"rows for routes the app does not have: {stale}"


# ---------------------------------------------------------------- running a row


async def _send(ctx: Ctx, method: str, call: Call, persona: str) -> tuple[int, str]:
    headers = dict(ctx.world.as_(persona))
    if persona == "household":  # a cookie's write carries its CSRF token, as the page would
        headers["X-CSRF-Token"] = link_csrf(token_hash(ctx.world.link_token))
    kwargs: dict[str, Any] = {}
    if call.json is not None:
        kwargs["json"] = await call.json(ctx)
    elif call.form is not None:
        kwargs["content"] = urlencode(await call.form(ctx))
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif call.upload is not None:
        kwargs["data"], kwargs["files"] = call.upload
    elif call.raw is not None:
        kwargs["content"], headers["Content-Type"] = call.raw
    url = await ctx.fill(call.url)
    client = ctx.client
    client.cookies.clear()  # a login or a link's cookie would otherwise ride on the next call
    try:
        response = await client.request(
            method, url, headers=headers, follow_redirects=False, **kwargs
        )
    finally:
        client.cookies.clear()
    return response.status_code, response.text


def _leaks(ctx: Ctx, persona: str, body: str) -> list[str]:
    found = [
        f"{key}: {marker}"
        for key, markers in ctx.markers.items()
        if key not in SEES[persona]
        for marker in markers
        if marker in body
    ]
    if persona == "anonymous":
        found += [f"an ID number: {m}" for m in ID_NUMBER.findall(body)]
    return found


@ON_ONE_APP
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.path}")
async def test_who_may_use_the_route(ctx: Ctx, row: Row) -> None:
    problems = []
    cases = [("in scope", row.ins, row.expect_in)]
    if row.out is not None and row.expect_out is not None:
        cases.append(("out of scope", row.out, row.expect_out))
    for case, call, statuses in cases:
        for persona, wanted in zip(PERSONAS, statuses, strict=True):
            status, body = await _send(ctx, row.method, call, persona)
            if status != wanted:
                problems.append(f"{case}, {persona}: {status}, not {wanted}: {body[:160]}")
            problems += [f"{case}, {persona} sees {leak}" for leak in _leaks(ctx, persona, body)]
    assert not problems, "\n".join(problems)


@ON_ONE_APP
async def test_a_households_link_answers_its_own_form_only(ctx: Ctx) -> None:
    await publish(ctx.db, "household_copy", shipped_forms()["household"], actor="test")
    body = _answer("A1")(ctx)
    for form_id, wanted in (("household_copy", 403), ("household", 201)):
        status, text = await _send(
            ctx, "POST", with_json(f"/api/forms/{form_id}/submissions", body), "household"
        )
        assert status == wanted, text
        body["id"] = str(uuid.uuid4())
