"""A household's page on the phone: who it is as the roster knows it, and its own link.

For a cadre (or an official) standing with the household: the roster's head,
village, group and members, the way into its survey, and its personal links,
made (the address and QR code shown this once) and revoked here, without
JavaScript. Reading it needs `household.read`; the links, `link.manage`.

Also here, the form of 我的联系户 that proposes a household the roster lacks,
for a phone without JavaScript (with it, forms/static/home.js proposes it,
offline too): proposed, then straight to its survey.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from reports.qr_sheet import qr_code
from server.auth import Principal
from server.authz import Household, Place, allowed, require
from server.db import Database, now_iso
from server.errors import AppError, zh_en
from server.households import (
    CATEGORIES,
    HouseholdCreate,
    HouseholdRecord,
    household_in_scope,
    propose_household,
)
from server.html import render_page
from server.http import request_lang
from server.links import create_link, link_url, list_links, revoke_link
from server.pairings import villages_of
from server.places import place_names

RELATIONS = {
    "head": ("户主", "head"),
    "spouse": ("配偶", "spouse"),
    "son": ("之子", "son"),
    "daughter": ("之女", "daughter"),
    "daughter_in_law": ("之儿媳", "daughter-in-law"),
    "son_in_law": ("之女婿", "son-in-law"),
    "grandchild": ("之孙子女", "grandchild"),
    "parent": ("之父母", "parent"),
    "grandparent": ("之祖父母", "grandparent"),
    "other": ("其他", "other"),
}


def masked(id_number: str | None) -> str:
    """An ID number as a phone screen shows it to someone looking over a shoulder."""
    if not id_number:
        return ""
    return id_number[:6] + "*" * 8 + id_number[-4:] if len(id_number) == 18 else id_number


async def _page(
    request: Request[Any, Any, Any],
    db: Database,
    principal: Principal,
    household: HouseholdRecord,
    *,
    made: dict[str, Any] | None = None,
    status: int = 200,
) -> Response[str]:
    manage = await allowed(
        db, principal, "link.manage", Household(household.id, household.village_code)
    )
    names = await place_names(db, [household.village_code])
    return render_page(
        request,
        "household.html",
        status_code=status,
        household=household,
        village=names.get(household.village_code, household.village_code),
        category=CATEGORIES.get(household.category, (household.category,) * 2),
        relations=RELATIONS,
        masked=masked,
        manage=manage,
        links=await list_links(db, household.id) if manage else [],
        made=made,
        now=now_iso(),
        done=request.query_params.get("done", ""),
    )


def _proposal(values: dict[str, str]) -> HouseholdCreate:
    """The form's fields as a proposal; an ID number as it is written on paper, tidied."""
    try:
        proposal_id = uuid.UUID(values.get("id", ""))
    except ValueError:
        raise AppError(400, "bad_id", zh_en("表单已过期，请重新打开", "reload the page")) from None
    id_number = unicodedata.normalize("NFKC", values.get("head_id_number", "")).upper()
    return HouseholdCreate(
        id=proposal_id,
        village_code=values.get("village_code", ""),
        head_name=values.get("head_name", ""),
        category=values.get("category", ""),
        group_name=values.get("group_name") or None,
        head_id_number="".join(id_number.split()) or None,
    )


class HouseholdPageController(Controller):
    path = "/households"
    include_in_schema = False

    @post("/", status_code=303)
    async def propose(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[Any]:
        """Propose a household the roster lacks (我的联系户 without JavaScript), then survey it."""
        form = await request.form()
        values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
        body = _proposal(values)
        await require(db, principal, "household.propose", Place(body.village_code))
        try:
            record, _ = await propose_household(db, principal, body)
        except AppError as exc:
            if exc.status not in (409, 422):
                raise
            error = exc.detail_in(request_lang(request))
            if exc.errors:
                error += "：" + "；".join(e["message"] for e in exc.errors)
            return render_page(
                request,
                "propose.html",
                status_code=exc.status,
                proposal={**values, "error": error},
                villages=await villages_of(db, principal.user_id) if principal.user_id else [],
                categories=CATEGORIES,
            )
        return Redirect(
            f"/f/household?household={record.id}&lang={request_lang(request)}", status_code=303
        )

    @get("/{household_id:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        household_id: FromPath[str],
    ) -> Response[str]:
        """The household as the roster knows it, its survey, and its own links."""
        household = await household_in_scope(db, principal, "household.read", household_id)
        return await _page(request, db, principal, household)

    @post("/{household_id:str}/links", status_code=200)
    async def make_link(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        household_id: FromPath[str],
    ) -> Response[str]:
        """Make the household's own link; the page shows its address and QR code once."""
        household = await household_in_scope(db, principal, "link.manage", household_id)
        record, token = await create_link(db, principal.actor, household.id, "household")
        url = link_url(request, token)
        made = {"link": record, "url": url, "qr": qr_code(url, household.head_name)}
        return await _page(request, db, principal, household, made=made)

    @post("/{household_id:str}/links/{link_id:int}/revoke", status_code=303)
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        household_id: FromPath[str],
        link_id: FromPath[int],
    ) -> Redirect:
        """Revoke one of the household's links: it stops working at once."""
        household = await household_in_scope(db, principal, "link.manage", household_id)
        await revoke_link(db, principal.actor, household.id, link_id)
        return Redirect(
            f"/households/{household.id}?lang={request_lang(request)}&done=link_revoked",
            status_code=303,
        )
