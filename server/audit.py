"""The audit log: written by the write functions themselves, inside their transaction.

Every entry says who (an account, a household's link, the command line), did
what (a dotted action), to what, when, and from which address.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from server.db import now_iso


@dataclass(frozen=True)
class Actor:
    """Who a write is done for: `user:12`, `link:3`, `cli`, `system`; and their address."""

    name: str
    address: str | None = None


SYSTEM = Actor("system")


_INSERT = (
    "INSERT INTO audit_log (at, actor, action, target, detail, address) VALUES (?, ?, ?, ?, ?, ?)"
)


def _entry(actor: Actor | str, action: str, target: str, detail: dict[str, Any]) -> tuple[Any, ...]:
    who = actor if isinstance(actor, Actor) else Actor(actor)
    return (
        now_iso(),
        who.name,
        action,
        target,
        json.dumps(detail, ensure_ascii=False),
        who.address,
    )


async def record(
    conn: aiosqlite.Connection, actor: Actor | str, action: str, target: str, **detail: Any
) -> None:
    """Append one entry; `action` is dotted (`form.version.publish`)."""
    await conn.execute(_INSERT, _entry(actor, action, target, detail))


def record_now(
    conn: sqlite3.Connection, actor: Actor | str, action: str, target: str, **detail: Any
) -> None:
    """`record`, inside a plain-function write (server.db.Database.write_now)."""
    conn.execute(_INSERT, _entry(actor, action, target, detail))
