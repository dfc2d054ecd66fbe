"""The front page: the surveys to fill and the reports to download, one tap away."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.di import NamedDependency

from forms.render import render_template
from server.assets import asset_url
from server.db import Database
from server.form_versions import list_forms
from server.http import request_lang
from server.pages import SECURITY_HEADERS
from server.villages import list_villages


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Response[str]:
    """Links to every published survey and to each county's and village's report."""
    lang = request_lang(request)
    villages = await list_villages(db)
    counties = [
        {"code": code, "name": group[0].county_name, "villages": group}
        for code, members in groupby(villages, key=lambda v: v.county_code)
        for group in [list(members)]
    ]
    html = render_template(
        "home.html",
        lang=lang,
        forms=await list_forms(db),
        counties=counties,
        asset=asset_url,
        switch_url=f"/?lang={'zh' if lang == 'en' else 'en'}",
    )
    return Response(
        html,
        media_type=MediaType.HTML,
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache", "Vary": "Accept-Language"},
    )
