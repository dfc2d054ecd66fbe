"""`minsheng report summary FORM_ID [--village CODE|--county CODE] [--from --to] [--version N]
-o FILE`: a form's summary PDF, made on the command line as an administrator.

The same answers as the web's summary (server/summaries.py), counted and laid out
in this process as `minsheng report village` does; the file is written under
another name and renamed when whole, and the download is audited.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reports.summary import SummaryRequest
from server.cli_export import _day
from server.settings import Settings


async def _request(args: argparse.Namespace, settings: Settings) -> SummaryRequest:
    from server.auth import system_principal
    from server.db import Database
    from server.summaries import SummaryAsk, record_summary, summary_request

    principal = system_principal("cli")
    ask = SummaryAsk(
        args.form, args.village, args.county, args.start, args.end, args.version, args.lang
    )
    db = await Database.open(settings.db_path)
    try:
        wanted = await summary_request(db, principal, ask, settings.timezone, "cli")
        await record_summary(db, principal, wanted)
        return wanted
    finally:
        await db.close()


def cmd_summary(args: argparse.Namespace) -> int:
    from reports.pdf import CJKFontMissing
    from reports.summary_pdf import render_summary
    from server.db import check_file
    from server.errors import AppError

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    settings = Settings.from_env(db_path=args.db)
    check_file(settings.db_path)
    started = time.perf_counter()
    try:
        wanted = asyncio.run(_request(args, settings))
        pdf, summary = render_summary(settings.db_path, wanted)
    except AppError as exc:
        print(f"minsheng: {exc.detail_in('en')}", file=sys.stderr)
        return 2 if exc.status == 400 else 1
    except CJKFontMissing as exc:
        print(f"minsheng: {exc}", file=sys.stderr)
        return 3
    output: Path = args.output
    partial = output.with_name(f".{output.name}.part")
    try:
        partial.write_bytes(pdf)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    print(
        f"{output}: summary of {args.form} ({wanted.area_name or 'everywhere'}),"
        f" {summary.answers} answers counted, {summary.pages} pages, {len(pdf):,} bytes"
        f" in {time.perf_counter() - started:.1f} s"
    )
    return 0


def add_parser(
    report_sub: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    """`minsheng report summary`."""
    p = with_db(
        report_sub.add_parser(
            "summary",
            help="a form's summary: counts and distributions per question",
            description="Write the summary of any form as PDF: per question the count and"
            " share of each option, a number's spread, a date's months, a repeat group's"
            " items; text, ID and phone numbers, photos and locations counted only. One"
            " current answer per household (or village).",
        )
    )
    p.add_argument("form", metavar="FORM_ID", help="form id, e.g. household")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--village", metavar="CODE", help="only this village (12 digits)")
    where.add_argument("--county", metavar="CODE", help="only this county (6 digits)")
    p.add_argument("--from", dest="start", type=_day, metavar="DATE", help="first day YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=_day, metavar="DATE", help="last day YYYY-MM-DD")
    p.add_argument("--version", type=int, metavar="N", help="only answers to version N")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.set_defaults(func=cmd_summary)
