"""The one family of errors minsheng raises, and the one place they become responses.

API clients get JSON `{"code", "detail", "errors"?}`; nothing a client sends may
produce a 500 or a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("minsheng")


class AppError(Exception):
    """An error with the status and code a client should see."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors


class ErrorBody(msgspec.Struct):
    """What every error response carries; `errors` lists field errors (422)."""

    code: str
    detail: str
    errors: list[dict[str, str]] | None = None


def documented_errors(statuses: dict[int, str]) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a handler may answer with."""
    return {status: ResponseSpec(ErrorBody, description=text) for status, text in statuses.items()}


NOT_FOUND = documented_errors({404: "no such form, version, submission or place"})


def not_found(what: str) -> AppError:
    return AppError(404, "not_found", f"{what} not found")


def _body(code: str, detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def _page(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any] | None:
    """An error page for a person's browser; None for API clients, who get JSON."""
    from server.pages import html_error, wants_html

    return html_error(request, status, detail) if wants_html(request) else None


def app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    if (page := _page(request, exc.status, exc.detail)) is not None:
        return page
    return Response(
        _body(exc.code, exc.detail, exc.errors), status_code=exc.status, media_type=MediaType.JSON
    )


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if (page := _page(request, status, str(exc.detail))) is not None:
        return page
    return Response(
        _body(_HTTP_CODES.get(status, "http_error"), str(exc.detail)),
        status_code=status,
        media_type=MediaType.JSON,
        headers=exc.headers or None,
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        _body("internal_error", "internal error; it has been logged"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


EXCEPTION_HANDLERS = {
    AppError: app_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
