"""`minsheng place import`, `minsheng household import` and `minsheng household link`.

An administrator loads a county's places and its 建档立卡 roster from the
spreadsheets officials keep (CSV in UTF-8 or GBK), then links the answers
stored before the roster existed to its households. Every refused line is
printed with its line number, column and why; a file with any refused line
imports nothing unless --good-rows is given.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from server.roster_csv import MAX_BYTES
from server.settings import Settings

if TYPE_CHECKING:
    from server.household_link import Outcome
    from server.roster_store import ImportReport

T = TypeVar("T")
ACTOR = "cli"


def _run(args: argparse.Namespace, work: Callable[[Any], Awaitable[T]]) -> T:
    settings = Settings.from_env(db_path=args.db)

    async def main() -> T:
        from server.db import Database

        db = await Database.open(settings.db_path)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(main())


def print_report(name: str, report: ImportReport, out: TextIO | None = None) -> None:
    """A report as the command line shows it: how the file was read, each refused line, counts."""
    out = out or sys.stdout
    unit = "households" if report.kind == "households" else "places"
    delimiter = "tab-separated" if report.delimiter == "tab" else "comma-separated"
    people = f" ({report.people} people)" if report.kind == "households" else ""
    print(
        f"{name}: {report.encoding}, {delimiter}, {report.lines} lines,"
        f" {report.found} {unit}{people}",
        file=out,
    )
    kept = [f"{c.header}→{c.field}" for c in report.columns if c.kept]
    print(f"  columns: {', '.join(kept)}", file=out)
    ignored = [c.header for c in report.columns if not c.kept]
    if ignored:
        print(f"  understood, not kept: {', '.join(ignored)}", file=out)
    if report.unknown_columns:
        print(f"  not understood (not imported): {', '.join(report.unknown_columns)}", file=out)
    if report.skipped_lines:
        lines = ", ".join(str(n) for n in report.skipped_lines)
        print(f"  skipped above the header: line {lines}", file=out)
    if report.errors_total:
        print(f"  refused lines ({report.errors_total}):", file=out)
        for e in report.errors:
            where = f"第 {e.line} 行" + (f"「{e.column}」" if e.column else "")
            print(f"    {where}：{e.zh}", file=out)
        if report.errors_total > len(report.errors):
            print(f"    ... {report.errors_total - len(report.errors)} more", file=out)
    print(f"{report.summary('zh')} ({report.summary('en')})", file=out)


def _import(args: argparse.Namespace, kind: str) -> int:
    from server.errors import AppError
    from server.roster_store import import_file

    path = Path(args.file)
    try:
        size = path.stat().st_size
    except OSError as exc:
        print(f"minsheng: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    if size > MAX_BYTES:
        print(
            f"minsheng: {path} is {size / 1048576:.1f} MB; at most {MAX_BYTES // 1048576} MB"
            " at a time: split it by township / 文件过大，请按乡镇拆分",
            file=sys.stderr,
        )
        return 2
    data = path.read_bytes()
    try:
        report = _run(
            args,
            lambda db: import_file(
                db, ACTOR, kind, data, good_rows=args.good_rows, dry_run=args.dry_run
            ),
        )
    except AppError as exc:
        print(f"minsheng: {path}: {exc.detail_in('zh')} / {exc.detail_in('en')}", file=sys.stderr)
        return 2
    print_report(str(path), report)
    if report.errors_total and not report.imported:
        if not args.dry_run:
            print(
                "the file has refused lines, so nothing was imported; add --good-rows to import"
                " the good ones",
                file=sys.stderr,
            )
        return 1
    return 0


def cmd_place_import(args: argparse.Namespace) -> int:
    return _import(args, "places")


def cmd_household_import(args: argparse.Namespace) -> int:
    return _import(args, "households")


def print_outcomes(outcomes: list[Outcome], report_only: bool, out: TextIO | None = None) -> None:
    """What `household link` found: each answer it cannot link (with --report), and counts."""
    out = out or sys.stdout
    unlinkable = [o for o in outcomes if not o.household_id]
    linked = [o for o in outcomes if o.household_id]
    by_id = sum(1 for o in linked if o.by == "head_id")
    if report_only and unlinkable:
        print("answer                                village       head      why", file=out)
        for o in unlinkable:
            print(
                f"{o.submission_id:37} {o.village_code or '-':13} {o.head_name or '-':8}"
                f"  {o.why_zh}",
                file=out,
            )
    counts = (
        f"{len(linked)} ({by_id} by the head's ID number,"
        f" {len(linked) - by_id} by village + head name)"
    )
    if report_only:
        print(
            f"{len(outcomes)} answers not linked to the roster: {counts} can be linked;"
            f" {len(unlinkable)} cannot" + (" (listed above)" if unlinkable else ""),
            file=out,
        )
    else:
        print(
            f"linked {counts}; {len(unlinkable)} cannot be linked"
            + (" (minsheng household link --report lists them)" if unlinkable else ""),
            file=out,
        )


def cmd_household_link(args: argparse.Namespace) -> int:
    from server.household_link import link_answers

    outcomes = _run(args, lambda db: link_answers(db, ACTOR, report_only=args.report))
    print_outcomes(outcomes, args.report)
    return 0


def add_parsers(
    sub: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    """`minsheng place import` and `minsheng household import|link`."""

    def importing(p: argparse.ArgumentParser, what: str) -> argparse.ArgumentParser:
        p.add_argument("file", metavar="FILE", help=f"{what} as CSV, UTF-8 or GBK")
        p.add_argument(
            "--good-rows",
            action="store_true",
            help="import the good lines of a file that has refused lines (a household with a"
            " refused line is left out whole)",
        )
        p.add_argument("--dry-run", action="store_true", help="check and count; change nothing")
        return with_db(p)

    place = sub.add_parser("place", help="the administrative tree (省/市/县/乡镇/村)")
    places = place.add_subparsers(dest="place_command", required=True)
    importing(
        places.add_parser("import", help="import places: 区划代码, 名称, 户数 ..."),
        "a list of places",
    ).set_defaults(func=cmd_place_import)

    household = sub.add_parser("household", help="the household roster (建档立卡户)")
    households = household.add_subparsers(dest="household_command", required=True)
    importing(
        households.add_parser(
            "import", help="import the roster: the national system's export, one row a person"
        ),
        "the roster export",
    ).set_defaults(func=cmd_household_import)
    link = with_db(
        households.add_parser(
            "link", help="link answers stored before the roster to roster households"
        )
    )
    link.add_argument(
        "--report", action="store_true", help="list what cannot be linked; change nothing"
    )
    link.set_defaults(func=cmd_household_link)
