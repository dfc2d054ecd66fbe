"""The API document as the server answers, where litestar's generator says otherwise.

Found by running schemathesis against /schema/openapi.json (scripts/api-check):

- litestar documents its own validation error, `{status_code, detail, extra}`, for
  every route with a parameter; minsheng answers every error as ErrorBody `{code,
  detail, errors?}` (server/errors.py). Each such body is replaced by ErrorBody.
- every JSON body is read by `server.http.json_body`, which answers 400 (malformed,
  or the wrong shape: unknown fields too), 413 (too large) and 415 (not JSON); a
  route that reads a body says so unless it already does.
- a 204 has no body, whatever the handler's return type suggested.
- a path with a parameter can name nothing (`/api/pairings/x` for an integer id, an
  id of no row): 404, on every such path.
- a file's `Last-Modified` is an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`), not
  the JSON Schema date-time litestar types it as.

The corrections are made once, when the document is first asked for, on the
document litestar built; routes keep declaring what only they know.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    RequestBody,
    Schema,
)

ERROR_BODY = Reference(ref="#/components/schemas/ErrorBody")
BODY_ERRORS = {
    "400": "malformed JSON, or a body of the wrong shape (a missing field, a wrong type, a field"
    " the body does not have)",
    "413": "body over the size limit (MINSHENG_MAX_BODY)",
    "415": "body is not application/json",
}


def tell_the_truth(app: Litestar) -> None:
    """Correct the app's API document when it is first built (see the module's doc)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _TruthfulOpenAPIPlugin


class _TruthfulOpenAPIPlugin(OpenAPIPlugin):
    """litestar's plugin (its slots, so an instance can become one), correcting what it
    builds; the document is still built once, when first asked for."""

    __slots__ = ()

    def provide_openapi(self) -> OpenAPI:
        if not self._openapi:
            self._openapi = corrected(self._build_openapi())
        return self._openapi


def corrected(openapi: OpenAPI) -> OpenAPI:
    for path, item in (openapi.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch", "head", "options"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses: dict[str, Any] = operation.responses or {}
            for status, response in responses.items():
                if isinstance(response, OpenAPIResponse):
                    _error_body(response)
                    if status == "204":
                        response.content = None
                    _http_dates(response)
            if "{" in path:
                responses.setdefault("404", _error("nothing at this path: no such id or name"))
            body = operation.request_body
            if isinstance(body, RequestBody) and "application/json" in (body.content or {}):
                for status, text in BODY_ERRORS.items():
                    responses.setdefault(status, _error(text))
            operation.responses = responses
    return openapi


HTTP_DATE = Schema(
    type=OpenAPIType.STRING,
    pattern=r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4}"
    r" [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$",
    description="an HTTP-date (RFC 9110), e.g. Sun, 06 Nov 1994 08:49:37 GMT",
)


def _http_dates(response: OpenAPIResponse) -> None:
    for name, header in (response.headers or {}).items():
        if name.lower() == "last-modified" and isinstance(header, OpenAPIHeader):
            header.schema = HTTP_DATE
            header.description = "when the file was last changed, as an HTTP-date"


def _error(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description, content={"application/json": OpenAPIMediaType(schema=ERROR_BODY)}
    )


def _error_body(response: OpenAPIResponse) -> None:
    """litestar's `{status_code, detail, extra}` becomes ErrorBody."""
    for media in (response.content or {}).values():
        schema = media.schema
        if isinstance(schema, Schema) and (_litestar_error(schema) or _any_litestar(schema)):
            media.schema = ERROR_BODY


def _litestar_error(schema: Schema) -> bool:
    return schema.required == ["detail", "status_code"] and "extra" in (schema.properties or {})


def _any_litestar(schema: Schema) -> bool:
    return any(isinstance(s, Schema) and _litestar_error(s) for s in schema.one_of or [])
