"""`minsheng db backup FILE` and `minsheng db restore FILE` (server/backup.py)."""

from __future__ import annotations

import argparse
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


def add_parsers(
    sub: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    """`minsheng db backup|restore`."""
    db = sub.add_parser("db", help="back up or restore the database")
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
