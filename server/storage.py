"""What a failing disk looks like to a client: a clear status, and the server's health.

A full disk answers 507 `storage_full`; a read-only, failing or busy database 503
with Retry-After. Nothing is stored by a write that fails (its transaction rolls
back), so the client sends it again later, and the first write that succeeds
again clears the health state: no restart is needed.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.errors import AppError, zh_en

log = logging.getLogger("minsheng")


def now_iso() -> str:
    """UTC time as stored everywhere: ISO 8601 with milliseconds and a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_STORAGE = {
    # sqlite error name prefix -> (status, code, zh, en)
    "SQLITE_FULL": (507, "storage_full", "服务器存储空间已满，答案未保存，请稍后重试",
                    "the server's storage is full; nothing was stored, try again later"),
    "SQLITE_READONLY": (503, "storage_read_only", "服务器数据库目前只读，答案未保存，请稍后重试",
                        "the database is read-only; nothing was stored, try again later"),
    "SQLITE_IOERR": (503, "storage_error", "服务器存储读写出错，答案未保存，请稍后重试",
                     "the server's storage failed; nothing was stored, try again later"),
    "SQLITE_CANTOPEN": (503, "storage_error", "服务器无法打开数据库，请稍后重试",
                        "the server cannot open its database; try again later"),
    "SQLITE_CORRUPT": (503, "storage_corrupt", "服务器数据库已损坏，请联系管理员",
                       "the database is damaged; tell the administrator"),
    "SQLITE_BUSY": (503, "storage_busy", "服务器数据库繁忙，请稍后重试",
                    "the database is busy; try again later"),
}  # fmt: skip


def storage_error(exc: BaseException) -> AppError | None:
    """The AppError a failing disk or database file stands for; None for other errors."""
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    # aiosqlite and older sqlite3 builds may lose the error name; the message still says it.
    if not name:
        name = next(
            (
                key
                for key, phrase in (
                    ("SQLITE_FULL", "disk is full"),
                    ("SQLITE_READONLY", "readonly database"),
                    ("SQLITE_IOERR", "disk i/o error"),
                    ("SQLITE_CORRUPT", "malformed"),
                    ("SQLITE_BUSY", "database is locked"),
                )
                if phrase in text
            ),
            "",
        )
    for prefix, (status, code, zh, en) in _STORAGE.items():
        if name.startswith(prefix):
            retry = {"Retry-After": "30"} if status == 503 else None
            return AppError(status, code, zh_en(zh, en), headers=retry)
    return None


@dataclass
class Health:
    """How the storage was at the last write: "ok" or the code of the failure."""

    state: str = "ok"
    since: str = field(default_factory=now_iso)
    detail: str = ""

    def fail(self, code: str, detail: str) -> None:
        if self.state != code:
            self.state, self.since = code, now_iso()
            log.error("storage failure: %s (%s)", code, detail)
        self.detail = detail

    def recover(self) -> None:
        if self.state != "ok":
            log.warning("storage recovered after %s since %s", self.state, self.since)
            self.state, self.since, self.detail = "ok", now_iso(), ""


def retry_later() -> AppError:
    return AppError(
        503,
        "storage_busy",
        zh_en("服务器数据库繁忙，答案未保存，请稍后重试", "the database is busy; try again later"),
        headers={"Retry-After": "5"},
    )
