"""The API's documentation page, Swagger UI, served from this package rather than a CDN.

A server on a county's network may have no way out, and Swagger UI loaded from a CDN
then fails (`SwaggerUIBundle is not defined`). Its three files are vendored in
`server/static/swagger-ui` (VERSIONS says which release) and served here with a
version in their URL. They are for officials' desktops, not phones: no form page
loads them and the service worker does not keep them.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import FromPath

from server.errors import not_found

DOCS_DIR = Path(__file__).resolve().parent / "static" / "swagger-ui"
FILES = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css")


@lru_cache(maxsize=1)
def _version() -> str:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((DOCS_DIR / name).read_bytes())
    return digest.hexdigest()[:10]


def _url(name: str) -> str:
    return f"/api-docs/{name}?v={_version()}"


def swagger() -> SwaggerRenderPlugin:
    """Swagger UI at /schema/swagger (and /schema), loading only files this server serves."""
    return SwaggerRenderPlugin(
        js_url=_url("swagger-ui-bundle.js"),
        css_url=_url("swagger-ui.css"),
        standalone_preset_js_url=_url("swagger-ui-standalone-preset.js"),
        favicon="<link rel='icon' href='data:,'>",
    )


@get("/api-docs/{name:str}", include_in_schema=False)
async def api_docs_file(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """One of Swagger UI's files; immutable for a year under its current version."""
    if name not in FILES:
        raise not_found(f"文件 {name!r}", f"file {name!r}")
    current = request.query_params.get("v") == _version()
    return Response(
        (DOCS_DIR / name).read_bytes(),
        media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable" if current else "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )
