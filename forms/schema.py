"""Loading and checking survey schemas.

A schema that is not valid JSON Schema 2020-12, or that the phone cannot show or
no one could finish, must never reach a phone: it is refused when a designer
checks it and when the server starts, with the file, the JSON pointer and the
line of each thing wrong. The checks run cheapest first, and the first stages
stop the rest: a document too big or too deep is refused before it is parsed or
walked, and anything recursive (the metaschema, the renderer's checks) runs only
on a document whose size, nesting and patterns are known to be safe for it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from forms.issues import pointer
from forms.json_lines import pointer_lines
from forms.limits import document_problems, size_problem, text_problem
from forms.references import reference_problems

SURVEYS_DIR = Path(__file__).parent / "surveys"


class SchemaProblem(Exception):
    """A schema file that cannot be used, with where the problem is."""

    def __init__(
        self,
        source: str,
        where: str,
        message: str,
        more: list[tuple[str, str]] | None = None,
        lines: dict[str, int] | None = None,
    ) -> None:
        self.source = source
        self.where = where
        self.message = message
        # Every (pointer, message) found, this one first, so a designer fixes all in one go.
        self.problems = [(where, message), *(more or [])]
        self.lines = lines or {}  # pointer -> line in the file, where the text is known
        super().__init__(source, where, message)

    @classmethod
    def of(cls, source: str, problems: list[tuple[str, str]]) -> SchemaProblem:
        (where, message), *more = problems
        return cls(source, where, message, more)

    def report(self) -> list[str]:
        """One line per problem: `FILE: /pointer: message (line N)`."""
        return [
            f"{self.source}: {where or '/'}: {message}"
            # "line 3 column 18" (a JSON typo) names its line itself
            + (f" (line {self.lines[where]})" if where in self.lines and _is_pointer(where) else "")
            for where, message in self.problems
        ]

    def __str__(self) -> str:
        return "\n".join(self.report())

    def items(self) -> list[dict[str, Any]]:
        """Each problem as `{"pointer", "line", "column", "message"}`, for the API and the
        designer's page: `pointer` is None for a place named by position only (a JSON typo),
        `line` and `column` None where they are not known."""
        found = []
        for where, message in self.problems:
            at = _POSITION.fullmatch(where)
            found.append(
                {
                    "pointer": where if _is_pointer(where) else None,
                    "line": self.lines.get(where) or (int(at["line"]) if at else None),
                    "column": int(at["column"]) if at and at["column"] else None,
                    "message": message if _is_pointer(where) or at else f"{where}: {message}",
                }
            )
        return found


_POSITION = re.compile(r"line (?P<line>[0-9]+)(?: column (?P<column>[0-9]+))?")


def _is_pointer(where: str) -> bool:
    return where == "" or where.startswith("/")


def canonical_json(value: Any) -> str:
    """One spelling of a JSON value, so equal values hash equally."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as stored: compact, keys in the designer's order (the order of questions)."""
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def schema_hash(schema: dict[str, Any]) -> str:
    """Equal for equal documents; moving a question changes it, as it changes the form."""
    return hashlib.sha256(schema_text(schema).encode()).hexdigest()


def parse_schema(text: str, source: str) -> dict[str, Any]:
    """Parse and check a schema document; raise SchemaProblem naming what is wrong."""
    too_big = text_problem(text)
    if too_big:
        where, message = too_big
        line = int(where.split()[1]) if where.startswith("line ") else None
        raise SchemaProblem(source, where, message, lines={where: line} if line else None)
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise SchemaProblem(source, where, exc.msg, lines={where: exc.lineno}) from exc
    try:
        check_schema(schema, source)
    except SchemaProblem as problem:
        problem.lines = pointer_lines(text, [where for where, _ in problem.problems])
        raise
    return schema


def check_schema(schema: Any, source: str) -> None:
    """Check a parsed schema: limits, references, the 2020-12 metaschema, then whether
    the phone can show it, its patterns are safe, and it can be finished."""
    problems = document_problems(schema)
    if problems:
        raise SchemaProblem.of(source, problems)
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SchemaProblem(source, "", "a survey schema must be an object schema (type: object)")
    declared = schema.get("$schema")
    if declared != "https://json-schema.org/draft/2020-12/schema":
        raise SchemaProblem(
            source, "/$schema", "must be https://json-schema.org/draft/2020-12/schema"
        )
    problems = reference_problems(schema)
    metaschema = _metaschema_problems(schema)
    if metaschema:
        raise SchemaProblem.of(source, metaschema + problems)
    # Imported here because the renderer builds on this module.
    from forms.answerable import unanswerable
    from forms.logic_check import logic_problems
    from forms.needs import needs_problems
    from forms.patterns import pattern_problems
    from forms.refs import ViewTooBig, build_view
    from forms.render_check import unsupported_constructs

    view = None
    if not problems:  # the form as the phone shows it: references inlined, allOf merged
        try:
            view = build_view(schema)
        except ViewTooBig as exc:
            raise SchemaProblem(source, "", str(exc)) from exc
        problems += view.problems
        problems += [(view.where(at), why) for at, why in unsupported_constructs(view.schema)]
    problems += pattern_problems(schema)
    if view is not None:
        problems += [(view.where(at), why) for at, why in unanswerable(view.schema)]
    problems += needs_problems(schema)
    problems += logic_problems(schema)
    if problems:
        raise SchemaProblem.of(source, list(dict.fromkeys(problems)))


_METASCHEMA = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)
LONGEST_MESSAGE = 300  # a metaschema message quotes the value, which may be a whole section


def _metaschema_problems(schema: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for error in _METASCHEMA.iter_errors(schema):
        message = error.message
        if len(message) > LONGEST_MESSAGE:
            message = message[: LONGEST_MESSAGE - 1] + "…"
        found.append((pointer(*error.absolute_path), message))
    return found


def load_schema_file(path: Path) -> dict[str, Any]:
    try:
        too_big = size_problem(path.stat().st_size)
        if too_big:
            raise SchemaProblem(str(path), *too_big)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaProblem(str(path), "", f"cannot read the file: {exc}") from exc
    return parse_schema(text, str(path))


def shipped_forms(directory: Path = SURVEYS_DIR) -> dict[str, dict[str, Any]]:
    """Every survey shipped with minsheng, by form id (the file name without .json)."""
    return {path.stem: load_schema_file(path) for path in sorted(directory.glob("*.json"))}


def check_surveys(
    directory: Path = SURVEYS_DIR,
) -> tuple[dict[str, dict[str, Any]], list[SchemaProblem]]:
    """The surveys of a folder that pass the check, by form id, and the problems of those
    that do not: one broken file is refused alone, never taking the others with it."""
    good: dict[str, dict[str, Any]] = {}
    broken: list[SchemaProblem] = []
    for path in sorted(directory.glob("*.json")):
        try:
            bad_name = form_id_problem(path.stem)
            if bad_name:
                raise SchemaProblem(str(path), "", bad_name)
            good[path.stem] = load_schema_file(path)
        except SchemaProblem as problem:
            broken.append(problem)
    return good, broken


FORM_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


def form_id_problem(form_id: str) -> str | None:
    """Why `form_id` cannot name a form (it is in every address of the form), or None."""
    if FORM_ID.fullmatch(form_id):
        return None
    return (
        f"{form_id!r} cannot be a form id: lower-case letters, digits and _, starting with a"
        " letter, at most 40"
    )


SUBJECTS = ("household", "village")


def form_subject(schema: dict[str, Any]) -> str:
    """What each answer to this form is about: a household of the roster (the default) or a
    village, as the schema declares with `"x-subject": "village"`."""
    subject = schema.get("x-subject", "household")
    return subject if subject in SUBJECTS else "household"
