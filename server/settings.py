"""Settings: one typed object read once from the environment.

Every setting has a default that runs the demo on the embedded SQLite file,
and a bad value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SettingsError(ValueError):
    """An environment variable with a value minsheng cannot use."""


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("must be a port number between 1 and 65535")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError("must be a positive number")
    return value


def _zone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be a time zone name such as Asia/Shanghai") from exc
    return raw


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError("must be a date as YYYY-MM-DD") from exc


def _setting(env: str, default: Any, parse: Callable[[str], Any], help: str) -> Any:
    return field(default=default, metadata={"env": env, "parse": parse, "help": help})


@dataclass(frozen=True)
class Settings:
    db_path: Path = _setting(
        "MINSHENG_DB", Path("var/minsheng.db"), Path, "SQLite database file (created if missing)"
    )
    host: str = _setting("MINSHENG_HOST", "127.0.0.1", str, "address the server listens on")
    port: int = _setting("MINSHENG_PORT", 8000, _port, "port the server listens on")
    max_body_bytes: int = _setting(
        "MINSHENG_MAX_BODY", 1024 * 1024, _positive_int, "largest request body accepted, in bytes"
    )
    request_timeout: float = _setting(
        "MINSHENG_REQUEST_TIMEOUT",
        30.0,
        _positive_float,
        "seconds a request's head and body have to arrive, from its first byte (a new"
        " connection: from its opening); a slower client gets 408 and is disconnected",
    )
    keep_alive: float = _setting(
        "MINSHENG_KEEP_ALIVE",
        5.0,
        _positive_float,
        "seconds an idle connection is kept open between requests",
    )
    max_connections: int = _setting(
        "MINSHENG_MAX_CONNECTIONS",
        4096,
        _positive_int,
        "connections open at once; past it the longest-idle one is closed to make room,"
        " and with none idle a new request gets 503. Lowered to what the open-file limit"
        " allows",
    )
    poverty_line: float = _setting(
        "MINSHENG_POVERTY_LINE",
        2952.0,
        _positive_float,
        "per-capita net income (元/year) under which a household counts as poor in reports",
    )
    overdue_urgent_days: int = _setting(
        "MINSHENG_OVERDUE_URGENT_DAYS",
        30,
        _positive_int,
        "days an urgent (急需) need may stay open after the survey that raised it before it is"
        " overdue, on the needs pages and in reports",
    )
    overdue_normal_days: int = _setting(
        "MINSHENG_OVERDUE_NORMAL_DAYS",
        90,
        _positive_int,
        "days a normal (一般) need may stay open before it is overdue; long-term (长期) needs"
        " are never overdue",
    )
    report_workers: int = _setting(
        "MINSHENG_REPORT_WORKERS", 1, _positive_int, "PDF reports rendered at the same time"
    )
    report_queue: int = _setting(
        "MINSHENG_REPORT_QUEUE",
        8,
        _positive_int,
        "distinct PDF reports queued or rendering at once; a request for another beyond it"
        " gets 503 with Retry-After",
    )
    report_cache_dir: Path = _setting(
        "MINSHENG_REPORT_CACHE", Path("var/reports"), Path, "folder for rendered PDF reports"
    )
    report_cache_mb: int = _setting(
        "MINSHENG_REPORT_CACHE_MB",
        500,
        _positive_int,
        "size budget of the report folder in MB; least recently used PDFs are removed beyond it",
    )

    surveys_dir: Path = _setting(
        "MINSHENG_SURVEYS",
        Path(__file__).resolve().parent.parent / "forms" / "surveys",
        Path,
        "folder of survey files published at start-up (a file whose content is new to its form"
        " becomes its next version; a broken one is skipped and its problems logged)",
    )

    timezone: str = _setting(
        "MINSHENG_TZ",
        "Asia/Shanghai",
        _zone,
        "time zone whose calendar decides 'today' (a survey date may not be after it)",
    )

    session_days: float = _setting(
        "MINSHENG_SESSION_DAYS",
        30.0,
        _positive_float,
        "days a login lasts: a cadre can fill and queue answers offline this long after logging in",
    )
    link_key_file: Path | None = _setting(
        "MINSHENG_LINK_KEY",
        None,
        Path,
        "file holding the key a village's printed QR codes are derived from, made on first"
        " use (default: beside the database, its name ending in .key)",
    )
    round_start_day: date | None = _setting(
        "MINSHENG_ROUND_START",
        None,
        _day,
        "first day of the current survey round, YYYY-MM-DD (default: 1 January of this year)",
    )

    @property
    def round_start(self) -> date:
        """The first day of the current survey round (a household surveyed since is done)."""
        return self.round_start_day or self.today().replace(month=1, day=1)

    @property
    def overdue_days(self) -> dict[str, int]:
        """Days a need may stay open, by urgency; an urgency not named is never overdue."""
        return {"urgent": self.overdue_urgent_days, "normal": self.overdue_normal_days}

    @property
    def link_key_path(self) -> Path:
        """Where the key of printable household links is kept."""
        return self.link_key_file or self.db_path.with_suffix(".key")

    def today(self) -> date:
        """Today's date where the surveys are made, whatever the server's clock zone."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every setting from the environment; raise SettingsError on a bad value."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            try:
                values[f.name] = f.metadata["parse"](raw)
            except ValueError as exc:
                raise SettingsError(f"{f.metadata['env']}={raw!r}: {exc}") from exc
        settings = cls(**values)
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given) if given else settings

    @classmethod
    def help(cls) -> list[tuple[str, str, str]]:
        """(variable, default, help) for each setting, for the README and --help."""
        return [(f.metadata["env"], str(f.default), f.metadata["help"]) for f in fields(cls)]
