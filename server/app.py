"""The application factory: controllers, lifespan, error handlers. No work at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import NamedDependency, Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope

from forms.schema import check_surveys
from server.accounts import AccountController
from server.admin import AdminController, ProposalController
from server.answer_pages import AnswerPages
from server.api_docs import api_docs_file, swagger
from server.assets import PRECOMPRESSED
from server.audit_log import AuditController
from server.auth import SAFE_METHODS, Principal, check_csrf, resolve
from server.db import Database
from server.designer import DesignerController, phone_preview_by_token
from server.errors import EXCEPTION_HANDLERS, documented_errors
from server.exports_api import ExportController
from server.form_design_api import FormDesignController
from server.form_versions import FormController, publish_shipped
from server.home import home
from server.household_pages import HouseholdPageController
from server.households import HouseholdController
from server.link_sheet import LinkSheetController
from server.links import LinkController
from server.media import MediaController
from server.needs_api import NeedController
from server.needs_pages import NeedPages
from server.openapi import tell_the_truth
from server.pages import pages_router
from server.pairings import PairingController
from server.people import UserController
from server.places import PlaceController
from server.reports_api import ReportController, reports_lifespan
from server.reviews import ReviewController
from server.roster_pages import RosterImportController
from server.settings import Settings
from server.submissions import SubmissionController
from server.summary_api import SummaryController

log = logging.getLogger("minsheng")


# Litestar resolves the dependencies of one level together in an anyio task group, which
# cost about 7% of a submission's time; chained, each level holds one and none is spawned.
def _settings(state: State) -> Settings:
    return state.settings


def _db(state: State, settings: NamedDependency[Settings]) -> Database:
    return state.db


def _principal(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Principal:
    return request.scope["state"]["principal"]  # type: ignore[no-any-return]


async def authenticate(request: Request[Any, Any, Any]) -> None:
    """Before every handler: who is asking, and, for a write riding on a cookie, that it
    comes from our own pages (handlers that check this themselves opt out: login)."""
    principal = await resolve(request.app.state.db, request)
    request.scope["state"]["principal"] = principal
    if (
        request.method not in SAFE_METHODS
        and principal.via in ("session", "link")
        and request.route_handler.opt.get("csrf", True)
    ):
        await check_csrf(request, principal)


async def no_store(message: Message, scope: Scope) -> None:
    """Anything answered to someone logged in may carry personal data (ID numbers, names):
    no cache keeps it unless the handler chose otherwise."""
    if message["type"] != "http.response.start":
        return
    principal = scope.get("state", {}).get("principal")
    if principal is None or not principal.authenticated:
        return
    headers = MutableScopeHeaders.from_message(message)
    if "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"


@get("/healthz", tags=["ops"], responses=documented_errors({503: "the storage is failing"}))
async def healthz(db: NamedDependency[Database]) -> Response[dict[str, Any]]:
    """Liveness and readiness: the database answers a query and its storage takes writes.

    While writes are failing (disk full, read-only, I/O errors) this answers 503
    with the failure's code in `status`; it tries a tiny write each time, so it
    says "ok" again as soon as the storage has recovered.
    """
    health = db.health if db.health.state == "ok" else await db.probe()
    row = await db.fetch_one("SELECT count(*) FROM form_versions WHERE status = 'published'")
    body: dict[str, Any] = {
        "status": health.state,
        "published_forms": row[0],
        "writes": db.writes,
        "commits": db.batches,
    }
    if health.state != "ok":
        body.update(since=health.since, detail=health.detail)
    return Response(body, status_code=200 if health.state == "ok" else 503)


def create_app(settings: Settings | None = None, *, database_checked: bool = False) -> Litestar:
    """Build the minsheng application; the database opens when it starts.

    `database_checked`: the caller has just checked the file (`minsheng serve` does,
    before it listens), so start-up need not read every page of it again.
    """
    settings = settings or Settings.from_env()
    # Checked before anything listens. A broken file is refused alone, with its problems
    # in the log: the other forms publish and the server serves them.
    surveys, broken = check_surveys(settings.surveys_dir)
    for problem in broken:
        log.error(
            "survey %s is not published; its problems:\n  %s",
            problem.source,
            "\n  ".join(problem.report()),
        )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = await Database.open(settings.db_path, check=not database_checked)
        try:
            for form_id, schema in surveys.items():
                version, new = await publish_shipped(db, form_id, schema)
                published = "published now" if new else "published before"
                log.info("survey %s is version %d of its form (%s)", form_id, version, published)
            app.state.db = db
            yield
        finally:
            await db.close()

    app = Litestar(
        route_handlers=[
            home,
            healthz,
            AccountController,
            api_docs_file,
            FormController,
            FormDesignController,
            DesignerController,
            phone_preview_by_token,
            SubmissionController,
            NeedController,
            NeedPages,
            AnswerPages,
            ReviewController,
            MediaController,
            ExportController,
            SummaryController,
            PlaceController,
            HouseholdController,
            LinkController,
            LinkSheetController,
            HouseholdPageController,
            PairingController,
            UserController,
            AdminController,
            ProposalController,
            AuditController,
            RosterImportController,
            pages_router,
            ReportController,
        ],
        before_request=authenticate,
        before_send=[no_store, fix_allow],
        lifespan=[lifespan, reports_lifespan(settings)],
        dependencies={
            "db": Provide(_db, sync_to_thread=False),
            "settings": Provide(_settings, sync_to_thread=False),
            "principal": Provide(_principal, sync_to_thread=False),
        },
        state=State({"settings": settings}),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        compression_config=CompressionConfig(
            backend="brotli", brotli_gzip_fallback=True, exclude_opt_key=PRECOMPRESSED
        ),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="minsheng", version="0.1.0", path="/schema", render_plugins=[swagger()]
        ),
    )
    tell_the_truth(app)
    allow_every_method(app)
    return app


def allow_every_method(app: Litestar) -> None:
    """OPTIONS answers with every method of its path in `Allow`.

    litestar makes a path's OPTIONS handler with the route its first handlers built;
    a path whose methods are registered in two steps (GET and POST of one controller)
    gets a new route whose OPTIONS handler still lists the first step's methods. The
    right list is known once the app is built; `fix_allow` puts it in the answer.
    """
    allow: dict[int, str] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.http_methods == {"OPTIONS"} and not handler.include_in_schema:
                    allow[id(handler)] = ", ".join(sorted(route.methods))
    app.state.allow = allow


async def fix_allow(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    methods = scope["app"].state.allow.get(id(scope.get("route_handler")))
    if methods:
        MutableScopeHeaders.from_message(message)["Allow"] = methods
