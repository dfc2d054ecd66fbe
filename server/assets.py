"""What a phone downloads, made as small as it can be once, then served from memory.

The form page's files (`forms/static`) and the page itself are the whole first visit
of a phone on a slow, metered network (bench/form_budget.py keeps it under 40 KB).
Each is read once, its comments and indentation dropped (our own scripts and styles;
the vendored validator is left as shipped), given a content hash for its URL and
ETag, and compressed once at brotli's best setting rather than on every request. The
service worker that keeps them for use offline is served from the root, so it keeps
the front page too.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import brotli
from litestar import MediaType, Request, Response, get
from litestar.params import FromPath

from server.errors import not_found

STATIC_DIR = Path(__file__).resolve().parent.parent / "forms" / "static"
# In dependency order: a module's imports are served before it, so it can name their versions.
STATIC_FILES = (
    "style.css",
    "vendor/json-schema.js",
    "check.js",
    "photos.js",  # imported by store.js only for an answer naming a photo
    "store.js",
    "fields.js",
    "places.js",  # imported by more.js only for a form with a village question (and home.js)
    "more.js",  # imported by app.js only for a form with alternatives, date-times, times or
    # village questions
    "photo.js",  # imported by app.js only for a form with a photo or location question
    "move.js",  # imported by app.js only to move a draft of a retired version (KEPT_LATER)
    "logic.js",  # imported by app.js only for a form with x-rules or x-calculate, once typed in
    "app.js",
)
# Form files the service worker does not keep at install: what only some forms load (a form
# that does has its page hand them to the worker from the browser's cache, app.js offline),
# and what a first visit never needs. They are kept with the phone's other pages' files.
KEPT_LATER = ("places.js", "more.js", "move.js")
# The phone's other pages (我的联系户, a household's page, proposing a household, the
# cadre's needs at /needs/mine): not loaded by the form page, but kept by the service
# worker once a page asks (sw.js MORE), since those pages open offline too; a form's
# first visit does not ask, to stay small. Some import the form's
# modules, so they come after them. /needs/mine is styled as the staff pages are, so
# admin.css is kept too; needs.js keeps the cadre's steps on the phone until sent.
PHONE_FILES = ("home.css", "home.js", "admin.css", "needs.css", "needs.js")
# The designer's page and phone preview: served like the others, but not kept by the
# service worker, which keeps what the phone needs. After STATIC_FILES: preview.js
# imports fields.js.
OTHER_FILES = ("designer.css", "designer.js", "preview.js")
# A module's imports, static (`from './x.js'`) or dynamic (`import('./x.js')`).
_IMPORT = re.compile(r"""(from |import\()'\./([\w/.-]+\.js)'""")
_CSS_COMMENT = re.compile(r"/\*.*?\*/\s*", re.S)
YEAR = "public, max-age=31536000, immutable"
# Set on routes whose responses are compressed here, so the middleware leaves them alone.
PRECOMPRESSED = "precompressed"


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str = ""
    br: bytes = b""
    gz: bytes = b""

    @property
    def version(self) -> str:
        return self.etag.strip('"')[:10]


def packed(body: bytes, media_type: str) -> Asset:
    """`body` with its ETag and its brotli and gzip encodings, made now, once."""
    return Asset(
        body,
        media_type,
        etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
        br=brotli.compress(body, quality=11),
        gz=gzip.compress(body, compresslevel=9, mtime=0),
    )


def _lean(name: str, text: str) -> str:
    """Our own script or style without comments and indentation: what brotli cannot shrink."""
    if name.endswith(".css"):
        text = _CSS_COMMENT.sub("", text)
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


@lru_cache(maxsize=1)
def assets() -> dict[str, Asset]:
    """The static files a page may load, read and packed once."""
    found: dict[str, Asset] = {}
    for name in (*STATIC_FILES, *PHONE_FILES, *OTHER_FILES):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        if not name.startswith("vendor/"):
            text = _lean(name, text)
        if name.endswith(".js"):  # versioned imports, cached for a year like the page's own
            text = _IMPORT.sub(lambda m: f"{m[1]}'./{m[2]}?v={found[m[2]].version}'", text)
        media_type = "text/javascript" if name.endswith(".js") else mimetypes.guess_type(name)[0]
        found[name] = packed(text.encode(), media_type or "application/octet-stream")
    return found


def asset_url(name: str) -> str:
    return f"/static/{name}?v={assets()[name].version}"


@lru_cache(maxsize=1)
def service_worker() -> Asset:
    """sw.js with the asset URLs it precaches; its bytes change whenever an asset does."""
    urls = [asset_url(name) for name in STATIC_FILES if name not in KEPT_LATER]
    more = [asset_url(name) for name in (*KEPT_LATER, *PHONE_FILES)]
    version = hashlib.sha256("".join(urls + more).encode()).hexdigest()[:10]
    text = _lean("sw.js", (STATIC_DIR / "sw.js").read_text(encoding="utf-8"))
    text = text.replace('"__ASSETS__"', json.dumps(urls)).replace('"__MORE__"', json.dumps(more))
    text = text.replace("__VERSION__", version)
    return packed(text.encode(), "text/javascript")


def _accepts(request: Request[Any, Any, Any], coding: str) -> bool:
    offered = request.headers.get("accept-encoding", "").split(",")
    return any(part.split(";")[0].strip() == coding for part in offered)


def send(
    request: Request[Any, Any, Any],
    asset: Asset,
    cache_control: str,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """`asset` as the client can take it (brotli, gzip or plain), or 304 if it has it."""
    headers = {**(headers or {}), "Cache-Control": cache_control}
    if cache_control != YEAR:  # what never changes is never revalidated
        headers["ETag"] = asset.etag
    headers["Vary"] = ", ".join(filter(None, [headers.get("Vary"), "Accept-Encoding"]))
    if asset.etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(b"", status_code=304, headers=headers)
    body = asset.body
    if _accepts(request, "br"):
        body, headers["Content-Encoding"] = asset.br, "br"
    elif _accepts(request, "gzip"):
        body, headers["Content-Encoding"] = asset.gz, "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


@get("/static/{name:path}", include_in_schema=False, opt={PRECOMPRESSED: True})
async def static_file(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    """A page asset; immutable for a year when asked for by its current version."""
    asset = assets().get(name.lstrip("/"))
    if asset is None:
        raise not_found(f"页面文件 {name!r}", f"asset {name!r}")
    current = request.query_params.get("v") == asset.version
    # Every asset is public; the designer's phone preview runs sandboxed, in an origin of
    # its own, and a module script from another origin loads only with this.
    cors = {"Access-Control-Allow-Origin": "*"}
    return send(request, asset, YEAR if current else "no-cache", cors)


@get("/sw.js", include_in_schema=False, opt={PRECOMPRESSED: True})
async def service_worker_script(request: Request[Any, Any, Any]) -> Response[Any]:
    """The service worker, at the root so it keeps the front page too; revalidated on every
    check so a new one is found."""
    return send(request, service_worker(), "no-cache")


def html_asset(html: str) -> Asset:
    return packed(html.encode(), MediaType.HTML + "; charset=utf-8")
