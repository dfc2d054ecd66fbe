"""The pages people open on a phone: a form, its plain-POST fallback, its assets.

`GET /f/{form_id}` renders the current published version (`/f/{form_id}/v/{n}`
a given one) from its schema; the page works with JavaScript off, posting
to `/f/{form_id}/v/{n}`, which goes through the same validation and
idempotency as the JSON API. Assets are served from `forms/static` with a
content hash in their URL (cached for a year) and an ETag; the page itself
is revalidated on each visit. Every response here carries a strict CSP.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from litestar import MediaType, Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from forms.client import client_data
from forms.form_post import answers_from_form, prune_hidden
from forms.render import ITEM, build_page, label, render_template
from server.db import Database
from server.errors import AppError, not_found
from server.form_versions import FormVersion, get_version
from server.http import request_lang
from server.settings import Settings
from server.submissions import Submission, SubmissionCreate, create_submission, get_submission

STATIC_DIR = Path(__file__).resolve().parent.parent / "forms" / "static"
# In dependency order: a module's imports are served before it, so it can name their versions.
STATIC_FILES = (
    "style.css",
    "vendor/json-schema.js",
    "check.js",
    "store.js",
    "tabs.js",
    "fields.js",
    "app.js",
)
_IMPORT = re.compile(r"""from '\./([\w/.-]+\.js)'""")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_YEAR = "public, max-age=31536000, immutable"
_ID_SLOT = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str
    media_type: str

    @property
    def version(self) -> str:
        return self.etag.strip('"')[:10]


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


@lru_cache(maxsize=1)
def assets() -> dict[str, Asset]:
    """The static files a page may load, read once."""
    found: dict[str, Asset] = {}
    for name in STATIC_FILES:
        body = (STATIC_DIR / name).read_bytes()
        if name.endswith(".js"):  # versioned imports, cached for a year like the page's own
            body = _IMPORT.sub(
                lambda m: f"from './{m.group(1)}?v={found[m.group(1)].version}'", body.decode()
            ).encode()
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".js"):
            media_type = "text/javascript"
        found[name] = Asset(body, _etag(body), media_type)
    return found


def asset_url(name: str) -> str:
    return f"/static/{name}?v={assets()[name].version}"


@lru_cache(maxsize=1)
def service_worker() -> Asset:
    """sw.js with the asset URLs it precaches; its bytes change whenever an asset does."""
    urls = [asset_url(name) for name in STATIC_FILES]
    version = hashlib.sha256("".join(urls).encode()).hexdigest()[:10]
    text = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    text = text.replace('"__ASSETS__"', json.dumps(urls)).replace("__VERSION__", version)
    body = text.encode()
    return Asset(body, _etag(body), "text/javascript")


def _fresh(request: Request[Any, Any, Any], etag: str) -> bool:
    return etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]


def _cached(request: Request[Any, Any, Any], asset: Asset, cache_control: str) -> Response[Any]:
    headers = {"ETag": asset.etag, "Cache-Control": cache_control}
    if _fresh(request, asset.etag):
        return Response(b"", status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def _switch_url(request: Request[Any, Any, Any], lang: str) -> str:
    return f"{request.url.path}?lang={'zh' if lang == 'en' else 'en'}"


def _render_form(
    request: Request[Any, Any, Any],
    form: FormVersion,
    *,
    answers: dict[str, Any] | None = None,
    errors: list[dict[str, str]] | None = None,
    submission_id: str = _ID_SLOT,
    notice: str = "",
) -> str:
    lang = request_lang(request)
    return render_template(
        "form.html",
        lang=lang,
        page=build_page(form.schema, lang, answers, errors or []),
        data=client_data(form.form_id, form.version, form.schema, lang),
        form_id=form.form_id,
        version=form.version,
        action=f"/f/{form.form_id}/v/{form.version}?lang={lang}",
        submission_id=submission_id,
        notice=notice,
        asset=asset_url,
        switch_url=_switch_url(request, lang),
    )


def _form_page(request: Request[Any, Any, Any], form: FormVersion) -> Response[Any]:
    # The ETag ignores the per-visit UUID, so a second visit is a 304; the
    # phone's script gives each answer its own UUID anyway.
    html = _render_form(request, form)
    etag = _etag(html.encode())
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Language"}
    if _fresh(request, etag):
        return Response(b"", status_code=304, headers=headers)
    html = html.replace(_ID_SLOT, str(uuid.uuid4()))
    return Response(html, media_type=MediaType.HTML, headers=headers)


@get("/f/{form_id:str}", include_in_schema=False)
async def form_page(
    request: Request[Any, Any, Any], db: NamedDependency[Database], form_id: FromPath[str]
) -> Response[Any]:
    """The current published version of a form, as a page."""
    return _form_page(request, await get_version(db, form_id))


@get("/f/{form_id:str}/v/{version:int}", include_in_schema=False)
async def form_version_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    form_id: FromPath[str],
    version: FromPath[int],
) -> Response[Any]:
    """One version of a form, as a page."""
    return _form_page(request, await get_version(db, form_id, version))


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


async def _store_plain(
    db: Database,
    form_id: str,
    version: int,
    submission_id: uuid.UUID,
    answers: dict[str, Any],
    lang: str,
    settings: Settings,
) -> Submission:
    """Store a page sent without JavaScript; a resend of the same answer is stored once.

    The page's id is filled in when it is rendered, and a browser that shows the
    cached page again (a 304, or "fill a new one") sends that same id with the
    next household's answers. Those are a new answer, not a conflict: they get an
    id of their own instead of being refused.
    """
    body = SubmissionCreate(id=submission_id, version=version, answers=answers)
    try:
        stored, _ = await create_submission(db, form_id, body, lang=lang, today=settings.today())
    except AppError as exc:
        if exc.code != "id_conflict":
            raise
        body = SubmissionCreate(id=uuid.uuid4(), version=version, answers=answers)
        stored, _ = await create_submission(db, form_id, body, lang=lang, today=settings.today())
    return stored


@post("/f/{form_id:str}/v/{version:int}", include_in_schema=False, status_code=200)
async def form_post(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    form_id: FromPath[str],
    version: FromPath[int],
) -> Response[Any]:
    """A form sent without JavaScript: stored as the API would, or shown again with errors."""
    form = await get_version(db, form_id, version)
    data = await request.form()
    pairs = [(k, v) for k, v in data.multi_items() if isinstance(v, str)]
    answers = prune_hidden(form.schema, answers_from_form(form.schema, pairs))
    action = str(data.get("_action") or "send")
    raw_id = str(data.get("_id") or "")
    try:
        submission_id = uuid.UUID(raw_id)
    except ValueError:
        submission_id = uuid.uuid4()
    lang = request_lang(request)

    def again(status: int, **extra: Any) -> Response[Any]:
        html = _render_form(
            request,
            form,
            answers=answers,
            submission_id=extra.pop("submission_id", str(submission_id)),
            **extra,
        )
        return Response(
            html,
            status_code=status,
            media_type=MediaType.HTML,
            headers={"Cache-Control": "no-store"},
        )

    if action.startswith(("add:", "remove:")) and ITEM not in action:
        _change_items(answers, action)
        return again(200)
    try:
        stored = await _store_plain(db, form_id, version, submission_id, answers, lang, settings)
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
    form_id: FromPath[str],
    submission_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """What became of a form sent without JavaScript: stored, when (local time), under which id."""
    stored = await get_submission(db, str(submission_id))
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
        again_url=f"/f/{form_id}?lang={lang}",
        switch_url=f"{request.url.path}?lang={'zh' if lang == 'en' else 'en'}",
    )
    return Response(html, media_type=MediaType.HTML, headers={"Cache-Control": "no-cache"})


@get("/static/{name:path}", include_in_schema=False)
async def static_file(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    """A page asset; immutable for a year when asked for by its current version."""
    asset = assets().get(name.lstrip("/"))
    if asset is None:
        raise not_found(f"页面文件 {name!r}", f"asset {name!r}")
    current = request.query_params.get("v") == asset.version
    return _cached(request, asset, _YEAR if current else "no-cache")


@get("/sw.js", include_in_schema=False)
async def service_worker_script(request: Request[Any, Any, Any]) -> Response[Any]:
    """The service worker, at the root so it keeps the front page too; revalidated on every
    check so a new one is found."""
    return _cached(request, service_worker(), "no-cache")


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
    response.headers.update(SECURITY_HEADERS)
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
