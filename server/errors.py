"""The one family of errors minsheng raises, and the one place they become responses.

API clients get JSON `{"code", "detail", "errors"?}`; nothing a client sends may
produce a 500 or a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("minsheng")


# A message in each language minsheng speaks, {"zh": ..., "en": ...}, or one
# string when only one wording exists.
Detail = str | dict[str, str]


def zh_en(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


class AppError(Exception):
    """An error with the status and code a client should see, in the client's language."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: Detail,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail if isinstance(detail, str) else detail["en"])
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers
        # More of the body, for a client to act on: `current_version` of a retired one,
        # a schema's `problems`, a compatibility report's `changes`.
        self.extra = extra

    def detail_in(self, lang: str) -> str:
        if isinstance(self.detail, str):
            return self.detail
        return self.detail.get(lang) or self.detail["zh"]


class ErrorBody(msgspec.Struct):
    """What every error response carries; `errors` lists field errors (422)."""

    code: str
    detail: str
    errors: list[dict[str, str]] | None = None


def documented_errors(statuses: dict[int, str]) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a handler may answer with."""
    return {status: ResponseSpec(ErrorBody, description=text) for status, text in statuses.items()}


NOT_FOUND = documented_errors({404: "no such form, version, submission or place"})


def not_found(zh: str, en: str) -> AppError:
    """404 for a thing named in both languages: not_found("调查表 'x'", "form 'x'")."""
    return AppError(404, "not_found", zh_en(f"找不到{zh}", f"{en} not found"))


def _body(
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {**(extra or {}), "code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


_HTTP_CODES = {
    400: ("bad_request", zh_en("请求有误", "bad request")),
    404: ("not_found", zh_en("找不到此地址", "no such address")),
    405: ("method_not_allowed", zh_en("此地址不支持该请求方法", "method not allowed here")),
    413: ("too_large", zh_en("提交的内容过大", "request body is too large")),
    415: ("unsupported_media_type", zh_en("不支持的内容类型", "unsupported media type")),
}


def _lang(request: Request[Any, Any, Any]) -> str:
    from server.http import request_lang  # server.http raises AppError

    return request_lang(request)


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    from server.pages import wants_html

    return wants_html(request)


def _page(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any] | None:
    """An error page for a person's browser; None for API clients, who get JSON."""
    from server.pages import html_error, wants_html

    return html_error(request, status, detail) if wants_html(request) else None


def login_url(request: Request[Any, Any, Any]) -> str:
    """The login page, coming back to this request's page afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?lang={_lang(request)}&next={quote(here, safe='')}"


def app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    detail = exc.detail_in(_lang(request))
    if exc.status == 401 and request.method == "GET" and _wants_page(request):
        return Redirect(login_url(request), status_code=303)
    if (page := _page(request, exc.status, detail)) is not None:
        page.headers.update(exc.headers or {})
        return page
    return Response(
        _body(exc.code, detail, exc.errors, exc.extra),
        status_code=exc.status,
        media_type=MediaType.JSON,
        headers=exc.headers,
    )


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    lang = _lang(request)
    code, words = _HTTP_CODES.get(status, ("http_error", zh_en("请求未能处理", "request failed")))
    detail = words[lang] if lang == "en" else words["zh"]
    # litestar says which parameter failed, in English; name it after our words.
    problems = [
        f"{e.get('key')}: {e.get('message')}"
        for e in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(e, dict)
    ]
    if problems:
        detail = f"{detail}: {'; '.join(problems)}"
    elif exc.detail and exc.detail != HTTPStatus(status).phrase:
        detail = f"{detail}: {exc.detail}"
    if (page := _page(request, status, detail)) is not None:
        return page
    return Response(
        _body(code, detail),
        status_code=status,
        media_type=MediaType.JSON,
        headers=exc.headers or None,
    )


def too_large_number_handler(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    """An id past SQLite's 64-bit integers (`/api/users/99999999999999999999`) names no row:
    404 as for any id not stored. Any other overflow is a bug, answered as one."""
    if "SQLite INTEGER" not in str(exc):
        return internal_error_handler(request, exc)
    return app_error_handler(request, not_found("这个编号的记录", "anything with that number"))


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        _body(
            "internal_error",
            "服务器内部错误，已记录" if _lang(request) == "zh" else "internal error; it is logged",
        ),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


EXCEPTION_HANDLERS = {
    AppError: app_error_handler,
    HTTPException: http_error_handler,
    OverflowError: too_large_number_handler,
    Exception: internal_error_handler,
}
