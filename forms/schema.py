"""Loading and checking survey schemas.

A schema that is not valid JSON Schema 2020-12 must never reach a phone: it is
refused when a designer checks it and when the server starts, with the file and
the JSON pointer of what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from forms.issues import pointer

SURVEYS_DIR = Path(__file__).parent / "surveys"


class SchemaProblem(Exception):
    """A schema file that cannot be used, with where the problem is."""

    def __init__(
        self, source: str, where: str, message: str, more: list[tuple[str, str]] | None = None
    ) -> None:
        self.source = source
        self.where = where
        self.message = message
        # Every (pointer, message) found, this one first, so a designer fixes all in one go.
        self.problems = [(where, message), *(more or [])]
        super().__init__(f"{source}: {where or '/'}: {message}")


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
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaProblem(source, f"line {exc.lineno} column {exc.colno}", exc.msg) from exc
    check_schema(schema, source)
    return schema


def check_schema(schema: Any, source: str) -> None:
    """Check a parsed schema against the 2020-12 metaschema and minsheng's conventions."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SchemaProblem(source, "", "a survey schema must be an object schema (type: object)")
    declared = schema.get("$schema")
    if declared != "https://json-schema.org/draft/2020-12/schema":
        raise SchemaProblem(
            source, "/$schema", "must be https://json-schema.org/draft/2020-12/schema"
        )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise SchemaProblem(source, pointer(*exc.path), exc.message) from exc
    # Imported here because the renderer builds on this module.
    from forms.patterns import pattern_problems
    from forms.render_check import unsupported_constructs

    problems = unsupported_constructs(schema) + pattern_problems(schema)
    if problems:
        (where, message), *more = problems
        raise SchemaProblem(source, where, message, more)


def load_schema_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaProblem(str(path), "", f"cannot read the file: {exc}") from exc
    return parse_schema(text, str(path))


def shipped_forms(directory: Path = SURVEYS_DIR) -> dict[str, dict[str, Any]]:
    """Every survey shipped with minsheng, by form id (the file name without .json)."""
    return {path.stem: load_schema_file(path) for path in sorted(directory.glob("*.json"))}
