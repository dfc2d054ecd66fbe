"""`minsheng export FORM --format csv|xlsx|jsonl [filters] -o FILE`.

The same export as the web's (server/exports.py), made by the command line as an
administrator, with a progress line on stderr while it runs. The file is written
beside FILE under another name and renamed when complete, so an export that fails
or is interrupted never leaves a file that looks whole.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from forms.table import ANSWERS
from server.settings import Settings


class ProgressLine:
    """`export: 12,000 of 100,000 answers (12%)`, redrawn in place on a terminal and
    printed every tenth of the way otherwise (a log keeps a few lines, not thousands)."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.out = total, out
        self.tty = out.isatty()
        self.shown = -1

    def __call__(self, done: int) -> None:
        share = done * 100 // self.total if self.total else 100
        if not self.tty and share // 10 == self.shown // 10:
            return
        self.shown = share
        line = f"export: {done:,} of {self.total:,} answers ({share}%)"
        print(f"\r{line}" if self.tty else line, end="" if self.tty else "\n", file=self.out)
        self.out.flush()

    def finish(self) -> None:
        if self.tty and self.shown >= 0:
            print(file=self.out)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


async def _export(args: argparse.Namespace, settings: Settings, out: TextIO) -> tuple[int, int]:
    from server.auth import system_principal
    from server.db import Database
    from server.exports import Export, ExportSpec, record_export

    spec = ExportSpec(
        form_id=args.form,
        format=args.format,
        village_code=args.village,
        county_code=args.county,
        place=args.place,
        start=args.start,
        end=args.end,
        by=args.by,
        version=args.version,
        table=args.table,
        names=args.headers == "names",
        codes=args.values == "codes",
        lang=args.lang,
        all_revisions=args.all_revisions,
    )
    principal = system_principal("cli")
    output: Path = args.output
    partial = output.with_name(f".{output.name}.part")
    db = await Database.open(settings.db_path)
    try:
        export = await Export.prepare(db, principal, spec, settings.timezone)
        total = await export.count(db)
        await record_export(db, principal, spec)
        progress = ProgressLine(total, out)
        progress(0)
        try:
            if spec.format == "xlsx":
                await export.xlsx(db, str(partial), str(output.parent), progress)
            else:
                chunks = (
                    export.csv(db, progress) if spec.format == "csv" else export.jsonl(db, progress)
                )
                with partial.open("wb") as file:
                    async for chunk in chunks:
                        file.write(chunk)
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
            progress.finish()
        return total, output.stat().st_size
    finally:
        await db.close()


def cmd_export(args: argparse.Namespace) -> int:
    from server.db import check_file
    from server.errors import AppError

    settings = Settings.from_env(db_path=args.db)
    check_file(settings.db_path)
    started = time.perf_counter()
    try:
        answers, size = asyncio.run(_export(args, settings, sys.stderr))
    except AppError as exc:
        print(f"minsheng: {exc.detail_in('en')}", file=sys.stderr)
        return 2 if exc.status == 400 else 1
    print(
        f"{args.output}: {answers:,} answers of {args.form} as {args.format},"
        f" {size:,} bytes in {time.perf_counter() - started:.1f} s"
    )
    return 0


def add_parsers(
    sub: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    """`minsheng export`."""
    p = with_db(
        sub.add_parser(
            "export",
            help="write a form's answers as CSV, XLSX or JSON Lines",
            description="Write a form's stored answers (each answer's current revision) to"
            " FILE. XLSX has a sheet for the answers and one per repeat group; CSV holds one"
            " table (--table); JSON Lines has one stored answer a line.",
        )
    )
    p.add_argument("form", metavar="FORM", help="form id, e.g. household")
    p.add_argument("--format", choices=("csv", "xlsx", "jsonl"), required=True)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--village", metavar="CODE", help="only this village (12 digits)")
    where.add_argument("--county", metavar="CODE", help="only this county (6 digits)")
    where.add_argument("--place", metavar="CODE", help="only this place (any code prefix)")
    p.add_argument("--from", dest="start", type=_day, metavar="DATE", help="first day YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=_day, metavar="DATE", help="last day YYYY-MM-DD")
    p.add_argument(
        "--by",
        choices=("survey", "received"),
        default="survey",
        help="--from/--to are survey dates (default) or days the answers arrived",
    )
    p.add_argument("--version", type=int, metavar="N", help="only answers to version N")
    p.add_argument(
        "--table", default=ANSWERS, help="CSV: answers (default) or a repeat group, e.g. members"
    )
    p.add_argument("--headers", choices=("labels", "names"), default="labels")
    p.add_argument("--values", choices=("labels", "codes"), default="labels")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the labels")
    p.add_argument("--all-revisions", action="store_true", help="also answers corrected since")
    p.set_defaults(func=cmd_export)
