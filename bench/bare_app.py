"""The ingest ceiling: a bare litestar endpoint that takes an answer's body and says 201.

It reads the body and answers, validating and storing nothing, served by uvicorn
the way `minsheng serve` serves minsheng. bench/ingest.py loads it exactly as it
loads the real server; the gap between the two is what minsheng's own work costs.

Run: .venv/bin/python -m bench.bare_app PORT
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from litestar import Litestar, Request, Response, post

from server.cli import uvicorn_options


@post("/api/forms/{form_id:str}/submissions", status_code=201)
async def take(request: Request[Any, Any, Any], form_id: str) -> Response[dict[str, str]]:
    body = await request.body()
    return Response({"status": "taken", "bytes": str(len(body))}, status_code=201)


def main() -> None:
    app = Litestar(route_handlers=[take], request_max_body_size=1024 * 1024)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), **uvicorn_options())


if __name__ == "__main__":
    main()
