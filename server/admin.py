"""The administrator's pages: people, pairings, households cadres proposed, the audit log.

Plain HTML forms that work without JavaScript on a 360 px phone: every change is
a POST carrying the session's `_csrf` field, answered with a redirect back to
the page (so a reload sends nothing twice) or, when a value is wrong, the same
page again with the message and what was typed. Only administrators see them
(`user.manage`, `pairing.manage`, `audit.read`); the page of proposed households
also serves officials, who confirm those of their area. Each handler takes the
same actions as the JSON API (server/people.py, server/pairings.py,
server/households.py, server/audit_log.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from server import users
from server.audit_log import account_names, audit_filter, local_time, search
from server.auth import Principal
from server.authz import Household, allowed, require
from server.db import Database
from server.errors import AppError, not_found
from server.households import CATEGORIES, Review, list_households, review_household
from server.html import render_page
from server.http import request_lang
from server.pairings import cadres, pair, pairings_of, unpair
from server.people import (
    UserCreate,
    create_person,
    issue_token,
    reset_password,
    revoke_token,
    set_person_active,
    user_or_404,
)
from server.places import children, place_names, trail
from server.settings import Settings


async def _fields(request: Request[Any, Any, Any]) -> dict[str, str]:
    data = await request.form()
    return {k: v.strip() for k, v in data.items() if isinstance(v, str)}


def _back(request: Request[Any, Any, Any], path: str, **query: str | None) -> Redirect:
    """303 to one of these pages, in the language the person uses."""
    params = {"lang": request_lang(request), **{k: v for k, v in query.items() if v}}
    return Redirect(f"{path}?{urlencode(params)}", status_code=303)


def _lang(request: Request[Any, Any, Any]) -> str:
    return request_lang(request)


async def _picker(db: Database, code: str | None, base: str, **keep: str) -> dict[str, Any]:
    """The places tree as links: where one is, and the places under it to go down to."""
    path = await trail(db, code)
    here = path[-1] if path else None
    return {
        "trail": path,
        "here": here,
        "children": await children(db, here.code if here else None),
        "base": base,
        "keep": {k: v for k, v in keep.items() if v},
    }


class AdminController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/")
    async def menu(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """What an administrator looks after, one tap each."""
        await require(db, principal, "user.manage")
        waiting = await list_households(db, principal, status="proposed", limit=100)
        return render_page(request, "admin_menu.html", waiting=len(waiting.items))

    # ------------------------------------------------------------ people

    @get("/people")
    async def people(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """Everyone with an account: role, place, unit, and whether it is active."""
        await require(db, principal, "user.manage")
        everyone = await users.list_users(db)
        names = await place_names(db, [u.place_code for u in everyone if u.place_code])
        return render_page(
            request,
            "admin_people.html",
            people=everyone,
            place_names=names,
            role_names=users.ROLE_NAMES,
            done=request.query_params.get("done", ""),
        )

    @get("/people/new")
    async def new_person(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """The form to add someone; ?place= is the official's place picked from the tree."""
        await require(db, principal, "user.manage")
        place = request.query_params.get("place")
        return await self._new_person_page(request, db, place, {"role": "cadre"})

    async def _new_person_page(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        place: str | None,
        values: dict[str, str],
        status: int = 200,
        error: str = "",
        field: str = "",
    ) -> Response[str]:
        return render_page(
            request,
            "admin_person_new.html",
            status_code=status,
            picker=await _picker(db, place, "/admin/people/new"),
            values=values,
            roles=users.ROLES,
            role_names=users.ROLE_NAMES,
            error=error,
            field=field,
        )

    @post("/people", status_code=303)
    async def add_person(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[Any]:
        """Add someone; back to the form with the problem when a value is wrong."""
        await require(db, principal, "user.manage")
        values = await _fields(request)
        body = UserCreate(
            username=values.get("username", ""),
            name=values.get("name", ""),
            role=values.get("role", ""),
            password=values.get("password", ""),
            place_code=values.get("place_code") or None,
            unit=values.get("unit"),
            phone=values.get("phone"),
        )
        try:
            user = await create_person(db, principal, body)
        except AppError as exc:
            if exc.status not in (409, 422):
                raise
            values.pop("password", None)
            field = (exc.errors or [{}])[0].get("path", "/username").strip("/")
            return await self._new_person_page(
                request,
                db,
                body.place_code,
                values,
                exc.status,
                exc.detail_in(_lang(request)),
                field if exc.status == 422 else "username",
            )
        return _back(request, f"/admin/people/{user.id}", done="created")

    @get("/people/{user_id:int}")
    async def person(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> Response[str]:
        """One person: who they are, enable or disable, a new password, their API tokens."""
        await require(db, principal, "user.manage")
        return await self._person_page(request, db, user_id)

    async def _person_page(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        user_id: int,
        status: int = 200,
        error: str = "",
        new_token: str = "",
        token_name: str = "",
    ) -> Response[str]:
        user = await user_or_404(db, user_id)
        names = await place_names(db, [user.place_code] if user.place_code else [])
        return render_page(
            request,
            "admin_person.html",
            status_code=status,
            person=user,
            place_name=names.get(user.place_code or "", ""),
            role_names=users.ROLE_NAMES,
            tokens=await users.list_tokens(db, user_id),
            done=request.query_params.get("done", ""),
            error=error,
            new_token=new_token,
            token_name=token_name,
        )

    @post("/people/{user_id:int}/active", status_code=303)
    async def set_active(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> Response[Any]:
        """Enable (active=1) or disable (active=0) an account."""
        await require(db, principal, "user.manage")
        active = (await _fields(request)).get("active") == "1"
        try:
            await set_person_active(db, principal, user_id, active)
        except AppError as exc:
            if exc.status != 409:
                raise
            return await self._person_page(request, db, user_id, 409, exc.detail_in(_lang(request)))
        return _back(request, f"/admin/people/{user_id}", done="enabled" if active else "disabled")

    @post("/people/{user_id:int}/password", status_code=303)
    async def set_password(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> Response[Any]:
        """Give someone a new password (they forgot theirs); their sessions end."""
        await require(db, principal, "user.manage")
        given = (await request.form()).get("password")  # as typed: spaces may be meant
        password = given if isinstance(given, str) else ""
        try:
            await reset_password(db, principal, user_id, password)
        except AppError as exc:
            if exc.status != 422:
                raise
            return await self._person_page(request, db, user_id, 422, exc.detail_in(_lang(request)))
        return _back(request, f"/admin/people/{user_id}", done="password")

    @post("/people/{user_id:int}/tokens", status_code=201)
    async def add_token(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> Response[str]:
        """A new API token, shown on this page once; only its hash is kept."""
        await require(db, principal, "user.manage")
        name = (await _fields(request)).get("name", "")
        try:
            created = await issue_token(db, principal, user_id, name)
        except AppError as exc:
            if exc.status not in (409, 422):
                raise
            return await self._person_page(
                request, db, user_id, exc.status, exc.detail_in(_lang(request))
            )
        return await self._person_page(
            request, db, user_id, 201, new_token=created.token, token_name=created.name
        )

    @post("/people/{user_id:int}/tokens/{token_id:int}/revoke", status_code=303)
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        token_id: FromPath[int],
    ) -> Response[Any]:
        """Revoke a token; scripts using it are refused from now on."""
        await require(db, principal, "user.manage")
        await revoke_token(db, principal, user_id, token_id)
        return _back(request, f"/admin/people/{user_id}", done="revoked")

    # ------------------------------------------------------------ pairings

    @get("/pairings")
    async def pairings(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """Every cadre with how many households and villages they are paired with now."""
        await require(db, principal, "pairing.manage")
        q = (request.query_params.get("q") or "").strip()[:40]
        return render_page(request, "admin_pairings.html", cadres=await cadres(db, q), q=q)

    @get("/pairings/{cadre_id:int}")
    async def cadre(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        cadre_id: FromPath[int],
    ) -> Response[str]:
        """A cadre's households and villages, and finding more in the roster to pair."""
        await require(db, principal, "pairing.manage")
        return await self._cadre_page(request, db, principal, cadre_id)

    async def _cadre_page(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        principal: Principal,
        cadre_id: int,
        status: int = 200,
        error: str = "",
    ) -> Response[str]:
        person = await user_or_404(db, cadre_id)
        if person.role != "cadre":
            raise not_found(f"帮扶干部 {cadre_id}", f"cadre {cadre_id}")
        place = request.query_params.get("place")
        q = (request.query_params.get("q") or "").strip()[:40]
        lines = await pairings_of(db, cadre_id)
        picker = await _picker(db, place, f"/admin/pairings/{cadre_id}")
        village = picker["here"] if picker["here"] and picker["here"].level == "village" else None
        found = []
        if village is not None:
            page = await list_households(db, principal, under=village.code, search=q, limit=50)
            found = page.items
        paired = {line.household_id for line in lines if line.until is None}
        paired_villages = {
            line.village_code for line in lines if line.until is None and not line.household_id
        }
        return render_page(
            request,
            "admin_cadre.html",
            status_code=status,
            person=person,
            current=[line for line in lines if line.until is None],
            ended=[line for line in lines if line.until is not None],
            picker=picker,
            village=village,
            q=q,
            found=found,
            paired=paired,
            paired_villages=paired_villages,
            done=request.query_params.get("done", ""),
            error=error,
        )

    @post("/pairings/{cadre_id:int}", status_code=303)
    async def add_pairing(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        cadre_id: FromPath[int],
    ) -> Response[Any]:
        """Pair the cadre with a household (household_id) or a whole village (village_code)."""
        await require(db, principal, "pairing.manage")
        values = await _fields(request)
        try:
            await pair(
                db,
                principal.actor,
                cadre_id,
                household_id=values.get("household_id") or None,
                village_code=values.get("village_code") or None,
            )
        except AppError as exc:
            if exc.status not in (404, 422):
                raise
            return await self._cadre_page(
                request, db, principal, cadre_id, exc.status, exc.detail_in(_lang(request))
            )
        return _back(
            request,
            f"/admin/pairings/{cadre_id}",
            place=values.get("place"),
            q=values.get("q"),
            done="paired",
        )

    @post("/pairings/{cadre_id:int}/{pairing_id:int}/end", status_code=303)
    async def end_pairing(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        cadre_id: FromPath[int],
        pairing_id: FromPath[int],
    ) -> Response[Any]:
        """End a pairing today; it stays in the cadre's history."""
        await require(db, principal, "pairing.manage")
        if not any(line.id == pairing_id for line in await pairings_of(db, cadre_id)):
            raise not_found(f"结对 {pairing_id}", f"pairing {pairing_id}")
        await unpair(db, principal.actor, pairing_id)
        return _back(request, f"/admin/pairings/{cadre_id}", done="ended")

    # ------------------------------------------------------------ audit log

    @get("/audit")
    async def audit(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """The audit log, newest first, filtered; ?before= for older entries."""
        await require(db, principal, "audit.read")
        query = request.query_params
        asked = {
            k: (query.get(k) or "").strip()[:200]
            for k in ("actor", "action", "target", "address", "from", "to")
        }
        before = query.get("before") or ""
        error, status, page = "", 200, None
        try:
            wanted = await audit_filter(
                db,
                settings,
                actor=asked["actor"],
                action=asked["action"],
                target=asked["target"],
                address=asked["address"],
                start=asked["from"],
                end=asked["to"],
            )
            page = await search(
                db, wanted, before=int(before) if before.isdigit() and len(before) < 19 else None
            )
        except AppError as exc:
            if exc.status != 400:
                raise
            error, status = exc.detail_in(_lang(request)), 400
        older = ""
        if page is not None and page.next_before is not None:
            kept = {k: v for k, v in asked.items() if v}
            older = "?" + urlencode({**kept, "before": page.next_before, "lang": _lang(request)})
        return render_page(
            request,
            "admin_audit.html",
            status_code=status,
            asked=asked,
            entries=page.items if page else [],
            older=older,
            error=error,
            when=lambda at: local_time(at, settings.timezone),
        )


class ProposalController(Controller):
    """Households cadres found missing from the roster, awaiting an official's word."""

    path = "/households"
    include_in_schema = False

    @get("/proposed")
    async def proposed(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[str]:
        """The proposed households one may see; confirm or reject where one may review."""
        await require(db, principal, "household.list")
        return await _proposals_page(request, db, principal)

    @post("/{household_id:str}/review", status_code=303)
    async def review(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        household_id: FromPath[str],
    ) -> Response[Any]:
        """Confirm (decision=confirm) or reject (decision=reject) a proposed household."""
        values = await _fields(request)
        decision = Review(values.get("decision", ""), values.get("note") or None)
        try:
            await review_household(db, principal, household_id, decision)
        except AppError as exc:
            if exc.status not in (409, 422):
                raise
            return await _proposals_page(
                request, db, principal, exc.status, exc.detail_in(_lang(request))
            )
        return _back(request, "/households/proposed", done=decision.decision)


async def _proposals_page(
    request: Request[Any, Any, Any],
    db: Database,
    principal: Principal,
    status: int = 200,
    error: str = "",
) -> Response[str]:
    page = await list_households(db, principal, status="proposed", limit=200)
    households = page.items
    reviewable = {
        h.id
        for h in households
        if await allowed(db, principal, "household.review", Household(h.id, h.village_code))
    }
    proposers = await account_names(db, {h.proposed_by for h in households if h.proposed_by})
    return render_page(
        request,
        "admin_proposed.html",
        status_code=status,
        households=households,
        reviewable=reviewable,
        villages=await place_names(db, [h.village_code for h in households]),
        proposers=proposers,
        categories=CATEGORIES,
        more=page.next_after is not None,
        done=request.query_params.get("done", ""),
        error=error,
    )
