"""`minsheng db backup FILE`, `minsheng db restore FILE` (server/backup.py) and
`minsheng db prune-photos` (server/media.py)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.settings import Settings


def cmd_backup(args: argparse.Namespace) -> int:
    from server.backup import backup

    settings = Settings.from_env(db_path=args.db)
    done = backup(settings.db_path, args.file)
    print(
        f"{done.path}: backup of {settings.db_path}, {done.bytes:,} bytes ({done.pages:,} pages),"
        f" integrity ok, {done.seconds:.2f} s"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from server.backup import restore

    settings = Settings.from_env(db_path=args.db)
    done = restore(args.file, settings.db_path)
    kept = f"; the database before is kept as {done.kept}" if done.kept else ""
    print(f"{done.path}: restored from {args.file}{kept}")
    return 0


def _days(text: str) -> int:
    days = int(text)
    if days < 1:  # a photo uploaded a moment ago may be for an answer on its way
        raise argparse.ArgumentTypeError("at least 1 day")
    return days


def cmd_prune_photos(args: argparse.Namespace) -> int:
    from server.db import Database
    from server.media import prune_unnamed

    settings = Settings.from_env(db_path=args.db)

    async def main() -> int:
        db = await Database.open(settings.db_path)
        try:
            done = await prune_unnamed(db, "cli", args.days)
        finally:
            await db.close()
        print(
            f"{settings.db_path}: {done.photos} photos no answer names, uploaded over"
            f" {args.days} days ago, deleted ({done.bytes:,} bytes)"
        )
        return 0

    return asyncio.run(main())


def add_parsers(
    sub: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    """`minsheng db backup|restore|prune-photos`."""
    from server.media import UNNAMED_DAYS

    db = sub.add_parser("db", help="back up, restore or tidy the database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    p = with_db(
        db_sub.add_parser(
            "backup",
            help="copy the database to FILE, safely while the server runs",
            description="Copy the database to FILE with SQLite's online backup API while the"
            " server keeps answering; FILE appears only once complete and integrity-checked.",
        )
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_backup)
    p = with_db(
        db_sub.add_parser(
            "restore",
            help="put a backup in place of the database (the server must be stopped)",
            description="Check FILE (integrity, this minsheng's migrations), keep the current"
            " database as <name>.before-restore-<time> and put a copy of FILE in its place."
            " Refused while a server or another command has the database open.",
        )
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_restore)
    p = with_db(
        db_sub.add_parser(
            "prune-photos",
            help="delete uploaded photos no answer names, after DAYS",
            description="Delete the photos that no answer names and that were uploaded more"
            f" than DAYS (default {UNNAMED_DAYS}) days ago: retaken photos and those of"
            " answers never sent. Safe while the server runs; audited.",
        )
    )
    p.add_argument("--days", type=_days, default=UNNAMED_DAYS, metavar="DAYS")
    p.set_defaults(func=cmd_prune_photos)
