"""The pages people open on a phone: a form, its plain-POST fallback, what became of it.

`GET /f/{form_id}` renders the current published version (`/f/{form_id}/v/{n}`
a given one) from its schema; the page works with JavaScript off, posting
to `/f/{form_id}/v/{n}`, which goes through the same validation and
idempotency as the JSON API, then redirects to a done page. The page's files
are server/assets.py's. Every page here carries a strict CSP.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import brotli
import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect
from markupsafe import escape

from forms.client import client_data
from forms.form_logic import fill_calculated
from forms.form_post import answers_from_form, prune_hidden
from forms.places import VillageChoice, fill_villages, has_village_question
from forms.render import ITEM, UI, build_page, label, render_template
from forms.schema import canonical_json
from server.assets import (
    PRECOMPRESSED,
    asset_url,
    service_worker_script,
    static_file,
)
from server.auth import Principal
from server.authz import Form, require
from server.db import Database, now_iso
from server.errors import AppError, not_found
from server.form_versions import FormVersion, get_version, version_states
from server.households import HouseholdRecord, household_in_scope
from server.http import request_lang
from server.place_answers import answerable_villages
from server.places import place_names
from server.settings import Settings
from server.submissions import SubmissionCreate, create_submission, get_submission

# blob: images are the thumbnails of photos taken on the phone (forms/static/photo.js).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` with a
    # form POST, and a write of unknown origin is refused (server/auth.py check_origin).
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Answers sent without JavaScript are named by their content (see plain_answer_id).
_PLAIN = uuid.UUID("6f1c3a52-9d0e-4b8e-a7c4-2f5d8e1b9a60")
_END = "</body>"


@dataclass(frozen=True)
class _Page:
    """A form page up to its last lines, which are each visit's own (see `visit_tail`),
    with its brotli encoding made once at the best setting and left open for them."""

    html: str
    br: bytes
    digest: str


def _pack(html: str) -> _Page:
    body = html.encode()
    compressor = brotli.Compressor(quality=11, mode=brotli.MODE_TEXT)
    # flush() ends the stream so far on a byte boundary: any block may follow.
    br = compressor.process(body) + compressor.flush()
    return _Page(html, br, hashlib.sha256(body).hexdigest())


def brotli_tail(data: bytes) -> bytes:
    """`data` as the stored (uncompressed) meta-blocks that end a flushed brotli stream
    (RFC 7932 9.2): ISLAST 0, four nibbles of MLEN - 1, ISUNCOMPRESSED 1, padded to the
    byte; then the last, empty meta-block (ISLAST, ISLASTEMPTY)."""
    out = bytearray()
    for i in range(0, len(data), 65536):
        chunk = data[i : i + 65536]
        out += (((len(chunk) - 1) << 3) | (1 << 19)).to_bytes(3, "little") + chunk
    return bytes(out) + b"\x03"


# A form's page is rendered and compressed once per version, language and address; each
# visit adds its own last lines: the household, the session's CSRF token, who it is for.
_pages: dict[tuple[str, int, str, str, str, str], _Page] = {}


@dataclass(frozen=True)
class FormContext:
    """Who fills the form, and about which household (None: not chosen yet)."""

    principal: Principal
    household: HouseholdRecord | None
    place: str = ""  # the household's township and village, by name
    # The form's current version (None: every one retired) and its retired ones: a phone
    # moves its drafts of a retired version to the current one (forms/static/move.js).
    current: int | None = None
    retired: tuple[int, ...] = ()
    # The villages its village questions offer this visitor (forms/places.py); None for a
    # form without one, whose page is then the same for everyone up to its last lines.
    villages: tuple[VillageChoice, ...] | None = None

    @property
    def household_id(self) -> str | None:
        return self.household.id if self.household else None


async def form_context(
    db: Database, principal: Principal, form: FormVersion, household_id: str | None
) -> FormContext:
    """Authorize opening a form (for a household, when one is named)."""
    await require(db, principal, "form.read", Form(form.form_id))
    current, retired = await version_states(db, form.form_id)
    villages = None
    if has_village_question(form.schema, form.schema_hash):
        villages = tuple(await answerable_villages(db, principal))
    if principal.kind == "link":
        household_id = principal.household_id
    if not household_id:
        return FormContext(principal, None, current=current, retired=retired, villages=villages)
    household = await household_in_scope(db, principal, "submission.create", household_id)
    names = await place_names(db, [household.village_code])
    place = names.get(household.village_code, "")
    return FormContext(
        principal, household, place, current=current, retired=retired, villages=villages
    )


def _switch_url(request: Request[Any, Any, Any], lang: str) -> str:
    return f"{request.url.path}?lang={'zh' if lang == 'en' else 'en'}"


def visit(context: FormContext, at: str) -> dict[str, Any]:
    """Who this visit of a page is for, for the phone's script: whose records it makes,
    when it was made (`at`: the phone believes the newest page it has seen, since a page
    from the offline cache may be from an earlier login), and the household as the roster
    knows it (for a household's own link, only where it lives: a link never reads what is
    known of it). Its id and the CSRF token are in the form's fields beside it."""
    p = context.principal
    household: dict[str, Any] | None = None
    if context.household is not None:
        h = context.household
        household = {"village_code": h.village_code, "place": context.place}
        if p.kind == "user":
            household |= {
                "head_name": h.head_name,
                "group_name": h.group_name,
                "phone": h.phone,
                "category": h.category,
                "members": msgspec.to_builtins(h.members),
            }
    return {
        "user": p.username if p.kind == "user" else f"link:{p.household_id}",
        "name": p.name,
        "at": at,
        "household": household,
        "current": context.current,
        "retired": list(context.retired),
    }


def visit_tail(context: FormContext, at: str) -> str:
    """A form page's last lines, each visit's own: the household and CSRF fields of the
    form (outside it, named by `form=`, so everything above them is the same for every
    visit) and the visit for the script."""
    data = json.dumps(visit(context, at), ensure_ascii=False, separators=(",", ":"))
    data = data.replace("</", "<\\/")
    household, csrf = escape(context.household_id or ""), escape(context.principal.csrf or "")
    return (
        f'<input type="hidden" name="_household" form="form" value="{household}">\n'
        f'<input type="hidden" name="_csrf" form="form" value="{csrf}">\n'
        f'<script type="application/json" id="ms-visit">{data}</script>\n{_END}\n</html>\n'
    )


def _render_form(
    request: Request[Any, Any, Any],
    form: FormVersion,
    *,
    answers: dict[str, Any] | None = None,
    errors: list[dict[str, str]] | None = None,
    notice: str = "",
) -> str:
    """The page up to its last lines (see `visit_tail`)."""
    lang = request_lang(request)
    zone = request.app.state.settings.timezone  # the phone's "today" is the server's
    data = client_data(form.form_id, form.version, form.schema, lang, form.schema_hash, zone)
    html = render_template(
        "form.html",
        lang=lang,
        page=build_page(form.schema, lang, answers, errors or [], form.schema_hash),
        data=data,
        form_id=form.form_id,
        version=form.version,
        action=f"/f/{form.form_id}/v/{form.version}?lang={lang}",
        notice=notice,
        asset=asset_url,
        switch_url=_switch_url(request, lang),
    )
    return html[: html.rindex(_END)]


def _form_page(
    request: Request[Any, Any, Any], form: FormVersion, context: FormContext
) -> Response[Any]:
    # A published version never changes, so its page is rendered and compressed once per
    # language and address; each visit adds its own last lines, uncompressed, and a second
    # visit of the same session for the same household is a 304.
    lang = request_lang(request)
    zone: str = request.app.state.settings.timezone
    key = (form.form_id, form.version, form.schema_hash, lang, request.url.path, zone)
    page = _pages.get(key)
    if page is None:
        if len(_pages) >= 64:
            _pages.clear()
        page = _pack(_render_form(request, form))
        _pages[key] = page
    # The same session and household is the same page, whenever it was made: a 304 leaves
    # the phone the copy it has, whose `at` is still after that session's login.
    same = visit_tail(context, "").encode()
    if context.villages is not None:  # and the same villages offered, for a village question
        same += msgspec.json.encode(context.villages)
    etag = '"' + hashlib.sha256(page.digest.encode() + same).hexdigest()[:20] + '"'
    tail = visit_tail(context, now_iso()).encode()
    headers = {
        "ETag": etag,
        # The page names the session (its CSRF token): kept by this browser only.
        "Cache-Control": "private, no-cache",
        "Vary": "Accept-Language, Cookie, Accept-Encoding",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(b"", status_code=304, headers=headers)
    offered = {
        c.split(";")[0].strip() for c in request.headers.get("accept-encoding", "").split(",")
    }
    if "br" in offered and context.villages is None:
        body, headers["Content-Encoding"] = page.br + brotli_tail(tail), "br"
        return Response(body, media_type=MediaType.HTML, headers=headers)
    # A page with village questions has each visitor's villages put where it marks them
    # (forms/places.py): it is compressed for each visit, at a quick setting, not spliced.
    shown = page.html if context.villages is None else fill_villages(page.html, [*context.villages])
    whole = shown.encode() + tail
    if "br" in offered:
        body, headers["Content-Encoding"] = brotli.compress(whole, quality=5), "br"
    elif "gzip" in offered:
        body = gzip.compress(whole, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    else:
        body = whole
    return Response(body, media_type=MediaType.HTML, headers=headers)


HouseholdParam = Annotated[
    str | None, QueryParameter(description="the roster household to fill it for", max_length=80)
]


@get("/f/{form_id:str}", include_in_schema=False, opt={PRECOMPRESSED: True})
async def form_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    principal: NamedDependency[Principal],
    form_id: FromPath[str],
    household: HouseholdParam = None,
) -> Response[Any]:
    """The current published version of a form, as a page (?household= to fill it for one)."""
    form = await get_version(db, form_id)
    return _form_page(request, form, await form_context(db, principal, form, household))


@get("/f/{form_id:str}/v/{version:int}", include_in_schema=False, opt={PRECOMPRESSED: True})
async def form_version_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    principal: NamedDependency[Principal],
    form_id: FromPath[str],
    version: FromPath[int],
    household: HouseholdParam = None,
) -> Response[Any]:
    """One version of a form, as a page; a retired one sends the phone to the current
    version (the address's #fragment goes along), where its drafts are moved."""
    form = await get_version(db, form_id, version)
    context = await form_context(db, principal, form, household)
    if form.status == "retired" and context.current is not None:
        query = f"?{request.url.query}" if request.url.query else ""
        return Response(b"", status_code=303, headers={"Location": f"/f/{form_id}{query}"})
    return _form_page(request, form, context)


def _change_items(answers: dict[str, Any], action: str) -> None:
    """Add an item to (`add:/members`) or remove one from (`remove:/members/2`) a repeat group."""
    verb, _, where = action.partition(":")
    parts = [p for p in where.split("/") if p]
    if verb == "remove" and parts and parts[-1].isdigit() and len(parts[-1]) <= 4:
        parts, index = parts[:-1], int(parts[-1])
    else:
        index = None
    target: Any = answers
    for part in parts[:-1]:
        target = target.setdefault(part, {}) if isinstance(target, dict) else None
    if not isinstance(target, dict) or not parts:
        return
    items = target.setdefault(parts[-1], [])
    if not isinstance(items, list):
        return
    if verb == "add":
        items.append({})
    elif index is not None and 0 <= index < len(items):
        del items[index]


def plain_answer_id(
    form_id: str, version: int, household_id: str | None, answers: dict[str, Any]
) -> uuid.UUID:
    """The id of an answer sent without JavaScript, derived from the answer itself.

    The same answer sent twice (a double tap, a resend after a timeout) is stored
    once, and the next household's answer, sent from the same cached page, is
    another: the page carries no id, so it is the same for every visit and can be
    compressed once and answered with a 304.
    """
    return uuid.uuid5(_PLAIN, f"{form_id}/{version}/{household_id}/{canonical_json(answers)}")


@post("/f/{form_id:str}/v/{version:int}", include_in_schema=False, status_code=200)
async def form_post(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    principal: NamedDependency[Principal],
    form_id: FromPath[str],
    version: FromPath[int],
) -> Response[Any]:
    """A form sent without JavaScript: stored as the API would, or shown again with errors."""
    form = await get_version(db, form_id, version)
    data = await request.form()
    context = await form_context(db, principal, form, str(data.get("_household") or "") or None)
    pairs = [(k, v) for k, v in data.multi_items() if isinstance(v, str)]
    key = form.schema_hash
    answers = prune_hidden(form.schema, answers_from_form(form.schema, pairs, key), key)
    # A page without JavaScript cannot work out its computed questions: the server does.
    fill_calculated(form.schema, answers, settings.today().isoformat())
    action = str(data.get("_action") or "send")
    lang = request_lang(request)

    def again(status: int, **extra: Any) -> Response[Any]:
        tail = visit_tail(context, now_iso())
        html = _render_form(request, form, answers=answers, **extra) + tail
        if context.villages is not None:
            html = fill_villages(html, list(context.villages))
        return Response(
            html,
            status_code=status,
            media_type=MediaType.HTML,
            # storable, so Back can show it again from the cache rather than a cache miss
            headers={"Cache-Control": "private, no-cache"},
        )

    if action.startswith(("add:", "remove:")) and ITEM not in action:
        _change_items(answers, action)
        return again(200)
    answer_id = plain_answer_id(form_id, version, context.household_id, answers)
    body = SubmissionCreate(
        id=answer_id, version=version, answers=answers, household_id=context.household_id
    )
    try:
        stored, _ = await create_submission(
            db, form_id, body, principal=principal, lang=lang, today=settings.today()
        )
    except AppError as exc:
        if exc.status == 422:  # every error listed at the top, each a link to its field
            return again(422, errors=exc.errors or [])
        raise
    # Post/redirect/get: Back from the done page goes to the form, never to a resent POST.
    return Redirect(f"/f/{form_id}/done/{stored.id}?lang={lang}", status_code=303)


def local_time(iso: str, zone: str) -> str:
    """A stored UTC time (2026-05-01T02:30:00.000Z) as the clock on the wall reads it in `zone`."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return when.strftime("%Y-%m-%d %H:%M")


@get("/f/{form_id:str}/done/{submission_id:uuid}", include_in_schema=False)
async def form_done(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    principal: NamedDependency[Principal],
    form_id: FromPath[str],
    submission_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """What became of a form sent without JavaScript: stored, when (local time), under which id."""
    stored = await get_submission(db, str(submission_id), principal, receipt=True)
    if stored.form_id != form_id:
        raise not_found(f"答案 {submission_id}", f"submission {submission_id}")
    form = await get_version(db, form_id, stored.version)
    lang = request_lang(request)
    html = render_template(
        "done.html",
        lang=lang,
        title=label(form.schema, lang) or form_id,
        asset=asset_url,
        received_at=local_time(stored.received_at, settings.timezone),
        submission_id=stored.id,
        # the next household is picked on 我的联系户; a household's link fills its form again
        again_url=f"/f/{form_id}?lang={lang}" if principal.kind == "link" else f"/?lang={lang}",
        again_text=UI[lang]["again" if principal.kind == "link" else "fresh"],
        switch_url=f"{request.url.path}?lang={'zh' if lang == 'en' else 'en'}",
    )
    return Response(html, media_type=MediaType.HTML, headers={"Cache-Control": "no-cache"})


def html_error(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    """An error as a page, for a person's browser rather than an API client."""
    html = render_template(
        "error.html",
        lang=request_lang(request),
        status=status,
        detail=detail,
        asset=asset_url,
        switch_url="",
    )
    return Response(html, status_code=status, media_type=MediaType.HTML, headers=SECURITY_HEADERS)


def wants_html(request: Request[Any, Any, Any]) -> bool:
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(
        "/api/"
    )


def _secure(response: Response[Any]) -> Response[Any]:
    """The page policy on pages; a script or style needs only nosniff."""
    if (response.media_type or "").startswith("text/html"):
        response.headers.update(SECURITY_HEADERS)
    else:
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


pages_router = Router(
    path="/",
    route_handlers=[
        form_page,
        form_version_page,
        form_post,
        form_done,
        static_file,
        service_worker_script,
    ],
    after_request=_secure,
)
