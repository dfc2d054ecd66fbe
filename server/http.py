"""Reading requests: the client's language and a JSON body held to its limits."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import msgspec
from litestar import Request

from server.errors import AppError, zh_en

T = TypeVar("T")


def request_lang(request: Request[Any, Any, Any]) -> str:
    """ "en" when the client asks for English (?lang=en or Accept-Language), else "zh"."""
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        return asked
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";", 1)[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


async def json_body(request: Request[Any, Any, Any], shape: type[T]) -> T:
    """The request's JSON body as `shape`: 415 for another media type, 400 if malformed.

    The body size limit is enforced by litestar (413) before this reads it.
    """
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        given = media_type or "no Content-Type"
        raise AppError(
            415,
            "unsupported_media_type",
            zh_en(
                f"请以 application/json 格式提交，而不是 {given}",
                f"send the body as application/json, not {given}",
            ),
        )
    raw = await request.body()
    try:
        value = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise AppError(
            400,
            "malformed_json",
            zh_en(f"内容不是 UTF-8 编码：{exc.reason}", f"body is not UTF-8: {exc.reason}"),
        ) from exc
    except json.JSONDecodeError as exc:
        raise AppError(
            400,
            "malformed_json",
            zh_en(
                f"JSON 格式错误，第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}",
                f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            ),
        ) from exc
    try:
        return msgspec.convert(value, shape)
    except msgspec.ValidationError as exc:
        raise AppError(
            400,
            "bad_body",
            zh_en(f"内容结构不对：{exc}", f"body does not have the expected shape: {exc}"),
        ) from exc
