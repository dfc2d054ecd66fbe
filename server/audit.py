"""The audit log: written by the write functions themselves, inside their transaction."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from server.db import now_iso


async def record(
    conn: aiosqlite.Connection, actor: str, action: str, target: str, **detail: Any
) -> None:
    """Append one entry; `action` is dotted (`form.version.publish`)."""
    await conn.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (now_iso(), actor, action, target, json.dumps(detail, ensure_ascii=False)),
    )
