"""Pages for people rendered on the server: one template environment, strict headers.

Templates live in server/templates (accounts, the cadre's households, admin)
beside those of forms/templates (base.html, the form itself), which they extend.
Every page says who is logged in and carries the session's CSRF token, so a
page is never shared between people: `Cache-Control: no-store` once logged in.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response

from forms.render import TEMPLATES_DIR as FORM_TEMPLATES
from forms.render import UI
from server.assets import asset_url
from server.auth import ANONYMOUS, Principal
from server.http import request_lang
from server.pages import SECURITY_HEADERS

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(FORM_TEMPLATES)]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["UI"] = UI
    return env


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    found = request.scope.get("state", {}).get("principal")
    return found if isinstance(found, Principal) else ANONYMOUS


def render_page(
    request: Request[Any, Any, Any], name: str, *, status_code: int = 200, **context: Any
) -> Response[str]:
    """A page in the request's language, for whoever is logged in."""
    lang = request_lang(request)
    principal = principal_of(request)
    html = (
        environment()
        .get_template(name)
        .render(
            lang=lang,
            me=principal,
            csrf=principal.csrf or "",
            asset=asset_url,
            switch_url=f"{request.url.path}?lang={'zh' if lang == 'en' else 'en'}",
            **context,
        )
    )
    return Response(
        html,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={
            **SECURITY_HEADERS,
            "Cache-Control": "no-store" if principal.authenticated else "no-cache",
            "Vary": "Accept-Language, Cookie",
        },
    )
