"""Reading requests: the client's language, a JSON body held to its limits, and
whether the client is still there."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
import msgspec.inspect
from litestar import Request
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema

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


async def unless_client_leaves(request: Request[Any, Any, Any], work: Awaitable[T]) -> T:
    """Await `work`, cancelling it if the client closes the connection first (then 499).

    Neither litestar nor uvicorn cancels a handler whose client went away, so a
    handler that may wait long for something only its client wants (a report
    render) races the work against the ASGI `http.disconnect` message. The answer
    to a client that left is never delivered; 499 is what nginx logs for it.
    """
    job = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_client_left(request))
    try:
        await asyncio.wait((job, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        job.cancel()  # nothing if it is done
        await asyncio.wait((job, gone))  # the work's own clean-up runs before the answer
    if job.cancelled() and not gone.cancelled():
        gone.result()  # reading the request failed, if that is what ended the wait
        raise AppError(
            499, "client_gone", zh_en("客户端已断开连接", "the client closed the connection")
        )
    if not gone.cancelled():
        gone.exception()  # retrieved: it ended together with the work
    return job.result()


async def _client_left(request: Request[Any, Any, Any]) -> None:
    # The body is read first (litestar keeps it for the handler), so the only
    # message left on the channel is the disconnect.
    await request.body()
    while (await request.receive())["type"] != "http.disconnect":
        pass


class _NotJSON(ValueError):
    """NaN, Infinity or a number too large for a float: Python reads them, JSON has none."""


def _no_constant(name: str) -> Any:
    raise _NotJSON(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotJSON(text[:40])
    return number


def _decode_error(exc: json.JSONDecodeError) -> AppError:
    return AppError(
        400,
        "malformed_json",
        zh_en(
            f"JSON 格式错误，第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}",
            f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
        ),
    )


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
        return msgspec.convert(_whole_numbers(_parse(raw), shape), shape)
    except msgspec.ValidationError as exc:
        raise AppError(
            400,
            "bad_body",
            zh_en(f"内容结构不对：{exc}", f"body does not have the expected shape: {exc}"),
        ) from exc


def _parse(raw: bytes) -> Any:
    """The JSON value of a body; AppError 400 saying what and where when it is not one.

    msgspec reads a well-formed body in a fraction of json's time and refuses everything
    json would let through but we cannot store (NaN, infinities, lone surrogates, absurd
    numbers); only a body it refuses is read again by json, for the line and column.
    """
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        pass
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
        # A lone surrogate ("\\ud800") parses but cannot be stored or hashed as UTF-8.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except _NotJSON as exc:
        raise AppError(
            400,
            "malformed_json",
            zh_en(
                f"JSON 中不能有 {exc}，请填写有限的数字", f"JSON numbers must be finite, not {exc}"
            ),
        ) from exc
    except UnicodeDecodeError as exc:
        raise AppError(
            400,
            "malformed_json",
            zh_en(f"内容不是 UTF-8 编码：{exc.reason}", f"body is not UTF-8: {exc.reason}"),
        ) from exc
    except json.JSONDecodeError as exc:
        raise _decode_error(exc) from exc
    except (RecursionError, ValueError) as exc:  # nesting, a 5,000-digit number, a lone surrogate
        raise AppError(
            400,
            "malformed_json",
            zh_en(
                "JSON 无法接受：嵌套过深、数字过长或含有无效字符",
                "JSON not accepted: nested too deep, a number too long, or an invalid character",
            ),
        ) from exc
    return value


_INT_FIELDS: dict[type[Any], frozenset[str]] = {}


def _int_fields(shape: type[Any]) -> frozenset[str]:
    """The names of a Struct's integer fields, worked out once per shape: msgspec's
    type_info took an eighth of the server's time per answer when asked every time."""
    found = _INT_FIELDS.get(shape)
    if found is None:
        try:
            info = msgspec.inspect.type_info(shape)
        except (TypeError, ValueError):
            info = None
        fields = info.fields if isinstance(info, msgspec.inspect.StructType) else ()
        found = frozenset(
            f.encode_name for f in fields if isinstance(f.type, msgspec.inspect.IntType)
        )
        _INT_FIELDS[shape] = found
    return found


def _whole_numbers(value: Any, shape: type[Any]) -> Any:
    """JSON has one number type: `1.0` is the integer 1 to JSON Schema (and so to the API
    document), where msgspec refuses a float for an int field."""
    if not isinstance(value, dict) or not isinstance(shape, type):
        return value
    whole = _int_fields(shape)
    return {
        k: int(v) if k in whole and isinstance(v, float) and v.is_integer() else v
        for k, v in value.items()
    }


def documented_body(schema: Schema | type[msgspec.Struct]) -> type[Operation]:
    """An OpenAPI operation whose request body is `schema` (or a Struct's) as application/json.

    Handlers that read their body with `json_body` (to answer 400/413/415 in their
    own words) have no `data` parameter for litestar to describe; pass this as
    the route's `operation_class` instead. Every body Struct forbids unknown fields
    (json_body answers 400 for one), so the schema says `additionalProperties: false`.
    """
    if isinstance(schema, type):
        described: Schema | dict[str, Any] = struct_schema(schema)
    else:
        if schema.additional_properties is None:
            schema.additional_properties = False
        described = schema

    @dataclass
    class _Operation(Operation):
        def __post_init__(self) -> None:
            media = OpenAPIMediaType(schema=described)  # type: ignore[arg-type]
            self.request_body = RequestBody(required=True, content={"application/json": media})

    return _Operation


def struct_schema(shape: type[msgspec.Struct]) -> dict[str, Any]:
    """A Struct's JSON Schema with its definitions inlined, for an OpenAPI document."""
    found = msgspec.json.schema(shape)
    definitions = found.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(found)  # type: ignore[no-any-return]
