"""`minsheng form draft|publish|retire|restore|diff|versions|import-xlsform`: the publish cycle
from a shell.

The same actions as the designer's page and the JSON API (server/form_design.py),
audited as the command line (`cli`), for a county whose designer works on files
in an editor and a terminal. `form check` (server/cli.py) checks files alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from server.settings import Settings

T = TypeVar("T")
ACTOR = "cli"
MARKS = {"field_added": "+", "field_removed": "-"}


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    async def main() -> T:
        from server.db import Database

        db = await Database.open(settings.db_path)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(main())


def _actor() -> Any:
    from server.audit import Actor

    return Actor(ACTOR)


def _refused(exc: Exception, lang: str) -> int:
    """An AppError said plainly, with the problems or changes it carries; else raised."""
    from server.errors import AppError

    if not isinstance(exc, AppError):
        raise exc
    print(f"minsheng: {exc.detail_in(lang)}", file=sys.stderr)
    extra = exc.extra or {}
    for problem in extra.get("problems", []):
        where = problem["pointer"] if problem["pointer"] is not None else ""
        line = f" (line {problem['line']})" if problem["line"] else ""
        print(f"  {where or '/'}: {problem['message']}{line}", file=sys.stderr)
    for change in extra.get("changes", []):
        print(f"  ! {change['text']}  {change['pointer']}", file=sys.stderr)
    if exc.code == "acknowledge_required":
        print("minsheng: publish again with --acknowledge to publish anyway", file=sys.stderr)
    return 1


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"minsheng: cannot read {path}: {exc}") from exc


def cmd_form_draft(args: argparse.Namespace, settings: Settings) -> int:
    from server.form_design import get_draft

    if args.file is None:
        draft = _run(settings, lambda db: get_draft(db, args.form))
        if draft is None:
            print(f"minsheng: form {args.form} has no draft", file=sys.stderr)
            return 1
        sys.stdout.write(draft.text)
        return 0
    saved = _save_draft(settings, args.form, _read(args.file), args.file, args.lang)
    return 1 if saved is None else 0


def _save_draft(
    settings: Settings, form_id: str, text: str, source: Path, lang: str
) -> list[Any] | None:
    """Save `text` as the form's draft and check it; its problems, or None when refused."""
    from server.form_design import check_text, save_draft

    async def work(db: Any) -> Any:
        draft, _ = await save_draft(db, _actor(), form_id, text)
        return draft, await check_text(text, str(source))

    try:
        draft, checked = _run(settings, work)
    except Exception as exc:
        _refused(exc, lang)
        return None
    print(f"{settings.db_path}: draft of {form_id} saved from {source} ({draft.text_hash[:12]})")
    for problem in checked.problems:  # kept all the same: a draft is work in progress
        line = f" (line {problem.line})" if problem.line else ""
        print(f"  {problem.pointer or '/'}: {problem.message}{line}", file=sys.stderr)
    if checked.problems:
        print(
            f"minsheng: {len(checked.problems)} problems to fix before publishing", file=sys.stderr
        )
    return list(checked.problems)


def cmd_form_import_xlsform(args: argparse.Namespace, settings: Settings) -> int:
    """An XLSForm workbook as the form's draft, with what did not carry over listed by row."""
    from forms.schema import form_id_problem
    from forms.xlsform import XLSFormError, import_xlsform, schema_json
    from forms.xlsform_sheets import MAX_FILE_BYTES

    path: Path = args.file
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SystemExit(
                f"minsheng: {path}: {path.stat().st_size:,} bytes is over the limit of "
                f"{MAX_FILE_BYTES // 1_000_000} MB"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SystemExit(f"minsheng: cannot read {path}: {exc}") from exc
    try:
        imported = import_xlsform(data)
    except XLSFormError as exc:
        print(f"minsheng: {path}: {exc.text(args.lang)}", file=sys.stderr)
        return 1
    form_id = args.form or imported.form_id
    if not form_id:
        print(
            f"minsheng: {path} names no form_id in its settings sheet: give one with --form",
            file=sys.stderr,
        )
        return 1
    problem = form_id_problem(form_id)
    if problem:
        print(f"minsheng: {problem}: give another with --form", file=sys.stderr)
        return 1
    for note in imported.notes:
        print(f"  {note.text(args.lang)}")
    print(
        f"{path}: {len(imported.notes)} "
        + (
            "处未按原样转换，见上"
            if args.lang == "zh"
            else "things not converted as written, above"
        )
    )
    problems = _save_draft(settings, form_id, schema_json(imported.schema), path, args.lang)
    return 0 if problems == [] else 1


def cmd_form_publish(args: argparse.Namespace, settings: Settings) -> int:
    from server.form_design import PublishRequest, publish_draft, save_draft

    async def work(db: Any) -> Any:
        if args.file is not None:
            await save_draft(db, _actor(), args.form, _read(args.file))
        ask = PublishRequest(acknowledge=args.acknowledge, note=args.note)
        return await publish_draft(db, _actor(), args.form, ask, args.lang)

    try:
        published = _run(settings, work)
    except Exception as exc:
        return _refused(exc, args.lang)
    for change in published.changes:
        print(f"  ! {change.text}  {change.pointer}")
    print(f"{settings.db_path}: form {args.form} published as version {published.version}")
    return 0


def cmd_form_status(args: argparse.Namespace, settings: Settings) -> int:
    from server.form_design import set_status

    status = "retired" if args.form_command == "retire" else "published"
    try:
        info = _run(
            settings,
            lambda db: set_status(db, _actor(), args.form, args.version, status, args.reason),
        )
    except Exception as exc:
        return _refused(exc, args.lang)
    done = "retired" if status == "retired" else "in use again"
    print(f"{settings.db_path}: version {info.version} of {args.form} is {done}")
    return 0


def _schema_of(form_id: str, which: str) -> Any:
    """A function reading the schema of a version, the draft, or a file."""
    from server.form_design import schema_at

    path = Path(which)
    if not which.isdigit() and which != "draft":
        try:
            schema = json.loads(_read(path))
        except json.JSONDecodeError as exc:
            raise SystemExit(f"minsheng: {which} is not JSON: {exc}") from exc

        async def from_file(db: Any) -> Any:
            return schema

        return from_file

    async def stored(db: Any) -> Any:
        return (await schema_at(db, form_id, which))[1]

    return stored


def cmd_form_diff(args: argparse.Namespace, settings: Settings) -> int:
    from forms.compat import diff_schemas

    old, new = _schema_of(args.form, args.old), _schema_of(args.form, args.new)

    async def work(db: Any) -> Any:
        return diff_schemas(await old(db), await new(db))

    try:
        changes = _run(settings, work)
    except Exception as exc:
        return _refused(exc, args.lang)
    for change in changes:
        mark = "!" if change.breaking else MARKS.get(change.kind, "~")
        print(f"{mark} {change.text(args.lang)}  {change.pointer or '/'}")
    breaking = sum(c.breaking for c in changes)
    print(f"{len(changes)} changes from {args.old} to {args.new}, {breaking} may break answers")
    return 0


def cmd_form_versions(args: argparse.Namespace, settings: Settings) -> int:
    from server.form_design import list_versions

    versions = _run(settings, lambda db: list_versions(db, args.form))
    if not versions:
        print(f"minsheng: form {args.form} has no version", file=sys.stderr)
        return 1
    for v in versions:
        state = "current" if v.current else v.status
        who = v.published_by_name or v.published_by
        line = f"{v.version:4} {state:9} published {v.published_at} by {who}"
        if v.status == "retired":
            line += f"; retired {v.retired_at} by {v.retired_by}"
        if v.reason:
            line += f" ({v.reason})"
        print(line)
    return 0


def add_parsers(forms: Any, with_db: Any) -> None:
    """Under `minsheng form`: draft, publish, retire, restore, diff, versions."""

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = with_db(forms.add_parser(name, help=help))
        p.add_argument("form", metavar="FORM", help="the form id (its file name without .json)")
        p.add_argument("--lang", choices=("zh", "en"), default="zh", help="words of the report")
        return p

    draft = command("draft", "save FILE as the form's draft, or print the draft without FILE")
    draft.add_argument("file", nargs="?", type=Path, metavar="FILE")
    draft.set_defaults(people=cmd_form_draft)

    publish = command(
        "publish", "check the draft (FILE first saved as it, if given) and publish it"
    )
    publish.add_argument("file", nargs="?", type=Path, metavar="FILE")
    publish.add_argument(
        "--acknowledge",
        action="store_true",
        help="publish even though answers made for the current version may not fit",
    )
    publish.add_argument("--note", help="why this version, kept with it")
    publish.set_defaults(people=cmd_form_publish)

    for name, help in (
        ("retire", "retire a version: its answers stay, new ones to it are refused"),
        ("restore", "put a retired version back in use"),
    ):
        p = command(name, help)
        p.add_argument("version", type=int, metavar="VERSION")
        p.add_argument("--reason", help="why, kept with the version")
        p.set_defaults(people=cmd_form_status)

    diff = command("diff", "what changed between two versions, the draft or a file")
    diff.add_argument("old", metavar="FROM", help="a version number, draft, or a schema file")
    diff.add_argument("new", metavar="TO", help="a version number, draft, or a schema file")
    diff.set_defaults(people=cmd_form_diff)

    command("versions", "every version: who published, retired, restored it and when").set_defaults(
        people=cmd_form_versions
    )

    imports: argparse.ArgumentParser = with_db(
        forms.add_parser(
            "import-xlsform",
            help="save an XLSForm workbook (.xlsx) as a form's draft; list what is not converted",
        )
    )
    imports.add_argument("file", type=Path, metavar="FILE", help="the XLSForm (.xlsx)")
    imports.add_argument(
        "--form", metavar="FORM_ID", help="the form id (default: form_id of the settings sheet)"
    )
    imports.add_argument("--lang", choices=("zh", "en"), default="zh", help="words of the notes")
    imports.set_defaults(people=cmd_form_import_xlsform)
