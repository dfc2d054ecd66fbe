"""The `minsheng` command: serve, init-db, load-demo, form check, report (the publish cycle,
people, roster, export, report batch, report summary and db commands in cli_forms,
cli_people, cli_roster, cli_export, cli_batch, cli_summary and cli_db)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.settings import Settings, SettingsError

if TYPE_CHECKING:
    from server.demo import DemoLoaded


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        db_path=getattr(args, "db", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )


def uvicorn_options(settings: Settings | None = None) -> dict[str, Any]:
    """How `minsheng serve` runs uvicorn (bench/bare_app.py serves its ceiling the same way).

    Raises this process's open-file limit first (server.connections): the number of
    connections it may hold follows from it.
    """
    from server.connections import RESERVED_DESCRIPTORS, guarded_protocol, raise_open_files_limit

    settings = settings or Settings.from_env()
    ceiling = max(raise_open_files_limit() - RESERVED_DESCRIPTORS, 16)
    max_connections = settings.max_connections
    if max_connections > ceiling:
        logging.getLogger("minsheng").warning(
            "MINSHENG_MAX_CONNECTIONS=%d is more than the open-file limit allows; using %d",
            max_connections,
            ceiling,
        )
        max_connections = ceiling
    return {
        "log_level": "info",
        "timeout_graceful_shutdown": 10,
        # "on": a start-up that fails stops the server ("auto" would serve without it).
        "lifespan": "on",
        # "server: uvicorn" on every response says nothing a phone on a metered line needs.
        "server_header": False,
        "http": guarded_protocol(settings.request_timeout, max_connections, ceiling),
        # No route takes a WebSocket; an upgrade would hand the connection to a protocol
        # without the bounds above.
        "ws": "none",
        "timeout_keep_alive": settings.keep_alive,
        # One more than the connections kept: a request that finds them all busy gets 503.
        "limit_concurrency": max_connections + 1,
    }


async def _open_and_close(settings: Settings) -> None:
    from server.db import Database

    db = await Database.open(settings.db_path)
    await db.close()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app

    settings = _settings(args)
    # The database is checked and migrated before anything listens, so a file that is not
    # SQLite or is damaged stops start-up with one line (main() prints DatabaseUnusable)
    # instead of a traceback from inside the server's start-up.
    asyncio.run(_open_and_close(settings))
    app = create_app(settings, database_checked=True)
    url = f"http://{settings.host}:{settings.port}/"
    print(
        f"minsheng: serving {settings.db_path}; open {url} (the household form: {url}f/household)",
        flush=True,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, **uvicorn_options(settings))
    return 0


async def _init_db(settings: Settings) -> tuple[list[tuple[str, int, bool]], int]:
    """Publish the surveys whose content is new; (form, version, new) each, and how many
    files were too broken to publish (each reported on stderr)."""
    from forms.schema import check_surveys
    from server.db import Database
    from server.form_versions import publish_shipped

    surveys, broken = check_surveys(settings.surveys_dir)
    for problem in broken:
        print(f"minsheng: not published: {problem.source}", file=sys.stderr)
        for line in problem.report():
            print(f"  {line}", file=sys.stderr)
    db = await Database.open(settings.db_path)
    try:
        published = []
        for form_id, schema in surveys.items():
            version, new = await publish_shipped(db, form_id, schema, actor="cli")
            published.append((form_id, version, new))
        return published, len(broken)
    finally:
        await db.close()


def cmd_init_db(args: argparse.Namespace) -> int:
    settings = _settings(args)
    published, broken = asyncio.run(_init_db(settings))
    for form_id, version, new in published:
        print(f"{settings.db_path}: form {form_id} at version {version}{' (new)' if new else ''}")
    return 1 if broken else 0


async def _load_demo(settings: Settings, seed: int) -> DemoLoaded:
    from server.db import Database
    from server.demo import load_demo

    db = await Database.open(settings.db_path)
    try:
        return await load_demo(db, seed)
    finally:
        await db.close()


def cmd_load_demo(args: argparse.Namespace) -> int:
    settings = _settings(args)
    loaded = asyncio.run(_load_demo(settings, args.seed))
    print(
        f"{settings.db_path}: {loaded.villages} villages, {loaded.households} roster households,"
        f" {loaded.answers_stored} answers stored, {loaded.answers_there} already there,"
        f" {loaded.steps} steps taken on needs (seed {args.seed})"
    )
    print("demo accounts (demo only: these passwords are public):")
    for username, role, password in loaded.accounts:
        print(f"  {role:9} {username:9} {password}")
    url = f"http://{settings.host}:{settings.port}"
    print(f"  household link (one household, its own form): {url}{loaded.household_link}")
    return 0


def cmd_form_check(args: argparse.Namespace) -> int:
    from forms.schema import SchemaProblem, load_schema_file

    failed = 0
    for file in args.files:  # every file, so one typo does not hide the others' problems
        try:
            schema = load_schema_file(Path(file))
        except SchemaProblem as problem:
            for line in problem.report():
                print(line, file=sys.stderr)
            failed += 1
            continue
        print(f"{file}: ok ({len(schema.get('properties', {}))} sections)")
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date

    from reports.draw import Period, Scope
    from reports.figures import UnknownScope, build_report
    from reports.pdf import CJKFontMissing, render_pdf
    from server.db import check_file

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    settings = _settings(args)
    check_file(settings.db_path)
    try:
        period = Period(
            args.start and date.fromisoformat(args.start), args.end and date.fromisoformat(args.end)
        )
    except ValueError as exc:
        print(f"minsheng: --from/--to must be dates as YYYY-MM-DD: {exc}", file=sys.stderr)
        return 2
    try:
        report = build_report(
            settings.db_path,
            Scope(args.kind, args.code),
            period,
            settings.poverty_line,
            overdue_days=settings.overdue_days,
        )
        pdf = render_pdf(report, args.lang, generated_by="cli")
    except UnknownScope as exc:
        print(f"minsheng: unknown {exc}", file=sys.stderr)
        return 1
    except CJKFontMissing as exc:
        print(f"minsheng: {exc}", file=sys.stderr)
        return 3
    args.output.write_bytes(pdf)
    print(f"{args.output}: {args.kind} {args.code}, {report.drawn} households, {len(pdf)} bytes")
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings_help = "\n".join(
        f"  {env:26} {help} (default {default})" for env, default, help in Settings.help()
    )
    parser = argparse.ArgumentParser(
        prog="minsheng",
        description="minsheng 民生: 双联 needs-assessment surveys",
        epilog="settings (environment):\n" + settings_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--db", type=Path, help="SQLite file (default $MINSHENG_DB or var/minsheng.db)"
        )
        return p

    serve = with_db(sub.add_parser("serve", help="run the web server"))
    serve.add_argument("--host", help="listen address (default $MINSHENG_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $MINSHENG_PORT or 8000)")
    serve.set_defaults(func=cmd_serve)

    with_db(
        sub.add_parser(
            "init-db", help="create or migrate the database and publish the shipped forms"
        )
    ).set_defaults(func=cmd_init_db)

    demo = with_db(sub.add_parser("load-demo", help="store demo villages and households"))
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.set_defaults(func=cmd_load_demo)

    report = sub.add_parser("report", help="write a village report or county roll-up as PDF")
    report_sub = report.add_subparsers(dest="kind", required=True)
    for kind, what in (("village", "12-digit village code"), ("county", "6-digit county code")):
        p = with_db(report_sub.add_parser(kind, help=f"the {kind} report"))
        p.add_argument("code", metavar="CODE", help=what)
        p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
        p.add_argument("--from", dest="start", metavar="DATE", help="first survey date YYYY-MM-DD")
        p.add_argument("--to", dest="end", metavar="DATE", help="last survey date YYYY-MM-DD")
        p.add_argument("--lang", choices=("zh", "en"), default="zh")
        p.set_defaults(func=cmd_report)
    from server.cli_batch import add_parser as add_batch_parser

    add_batch_parser(report_sub, with_db)
    from server.cli_summary import add_parser as add_summary_parser

    add_summary_parser(report_sub, with_db)

    form = sub.add_parser("form", help="work with survey schemas")
    form_sub = form.add_subparsers(dest="form_command", required=True)
    check = form_sub.add_parser(
        "check",
        help="check schema files against JSON Schema 2020-12 and what the renderer can show",
    )
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=cmd_form_check)

    from server.cli_db import add_parsers as add_db_parsers
    from server.cli_export import add_parsers as add_export_parsers
    from server.cli_forms import add_parsers as add_form_parsers
    from server.cli_people import add_parsers
    from server.cli_roster import add_parsers as add_roster_parsers

    add_form_parsers(form_sub, with_db)
    add_parsers(sub, with_db)
    add_roster_parsers(sub, with_db)
    add_export_parsers(sub, with_db)
    add_db_parsers(sub, with_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if hasattr(args, "people"):
            return int(args.people(args, _settings(args)))
        return int(args.func(args))
    except SettingsError as exc:
        print(f"minsheng: bad setting: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from forms.schema import SchemaProblem
        from server.db import DatabaseUnusable

        if isinstance(exc, SchemaProblem):
            print(f"minsheng: broken survey schema: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, DatabaseUnusable):  # it names the file and says why, on one line
            print(f"minsheng: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
