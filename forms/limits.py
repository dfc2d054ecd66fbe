"""How big a form may be, measured before anything slow or recursive reads it.

The metaschema validation, the renderer and the phone all walk a schema
recursively, and what they cost grows with the document; Python's JSON parser
and regular-expression compiler give up with a RecursionError on deep nesting.
So a form is first measured by loops that keep their own stack and stop at the
first limit passed, in time that grows with the limit and not with the
document: a 50 MB upload or an array nested 100,000 deep is refused in
milliseconds, naming where it went over.

The numbers are generous for a form filled on a phone (the household survey is
84 KB, nested 12 deep, with 83 property definitions in 268 schemas and answers
3 deep) and small enough that every check after them is quick: the metaschema,
the slowest, takes about 0.3 ms a schema, 1.5 s at most (bench/check_bench.py).
"""

from __future__ import annotations

import re
from typing import Any

from forms.issues import pointer
from forms.patterns import MAX_PATTERN_LENGTH, MAX_PATTERN_NESTING, group_nesting
from forms.subschemas import subschemas

MAX_TEXT_BYTES = 2_000_000  # the document as UTF-8
MAX_NESTING = 40  # JSON objects and arrays inside one another
MAX_ANSWER_DEPTH = 8  # objects and lists inside one another in an answer: /a/0/b/... 8 steps
MAX_FIELDS = 1_000  # property definitions, conditional questions and conditions included
MAX_SCHEMAS = 5_000  # questions, options, conditions: the metaschema takes ~0.3 ms for each
MAX_ENTRIES = 1_000  # of any one JSON object or array: options of a choice, required names

Problem = tuple[str, str]  # (JSON pointer, or "line L column C" before parsing; message)

# A JSON string or one bracket: enough to follow nesting without parsing.
# An unterminated string runs to the end, so no start is scanned twice: linear time.
_TOKEN = re.compile(r'"[^"\\]*(?:\\[\s\S][^"\\]*)*(?:"|\\?\Z)|[\[\]{}]')
_STRING_LISTS = ("required",)  # the metaschema's uniqueItems on a list of objects is quadratic


def text_problem(text: str) -> Problem | None:
    """The first limit a document's text passes, found without parsing it."""
    if len(text) > MAX_TEXT_BYTES:
        return "", f"{len(text):,} characters is over the limit of {_megabytes(MAX_TEXT_BYTES)}"
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        return "", f"{size:,} bytes is over the limit of {_megabytes(MAX_TEXT_BYTES)}"
    depth = 0
    for token in _TOKEN.finditer(text):
        kind = token.group()
        if kind in "[{":
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, token.start()) + 1
                column = token.start() - text.rfind("\n", 0, token.start())
                return f"line {line} column {column}", _nesting_message()
        elif kind in "]}":
            depth -= 1
    return None


def document_problems(schema: Any) -> list[Problem]:
    """The limits a parsed document passes, and what would make the metaschema slow.

    Stops at the first limit passed: past one, nothing about the rest is cheap.
    """
    too_big = _json_limit(schema)
    if too_big:
        return [too_big]
    found: list[Problem] = []
    fields = 0
    for count, sub in enumerate(subschemas(schema), start=1):
        if count > MAX_SCHEMAS:
            return [
                (
                    pointer(*sub.path),
                    f"more than {MAX_SCHEMAS:,} schemas (questions, options and conditions): "
                    "split the survey into several forms",
                )
            ]
        if sub.answer_depth > MAX_ANSWER_DEPTH:
            return [
                (
                    pointer(*sub.path),
                    f"answers nested more than {MAX_ANSWER_DEPTH} deep (objects and lists inside "
                    "one another) cannot be shown on a phone",
                )
            ]
        if not isinstance(sub.node, dict):
            continue
        properties = sub.node.get("properties")
        if isinstance(properties, dict):
            fields += len(properties)
            if fields > MAX_FIELDS:
                return [
                    (
                        pointer(*sub.path, "properties"),
                        f"more than {MAX_FIELDS:,} fields (property definitions, conditions "
                        "included): split the survey into several forms",
                    )
                ]
        for key in _STRING_LISTS:
            names = sub.node.get(key)
            if isinstance(names, list) and not all(isinstance(n, str) for n in names):
                found.append((pointer(*sub.path, key), f"{key} must list property names"))
        found.extend(_pattern_limits(sub.path, sub.node))
    return found


def _json_limit(document: Any) -> Problem | None:
    """Nesting, array length and approximate size, in one loop that stops early."""
    stack: list[tuple[tuple[str | int, ...], Any, int]] = [((), document, 1)]
    size = 0
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_NESTING:
                return pointer(*path), _nesting_message()
            if len(value) > MAX_ENTRIES:
                return (
                    pointer(*path),
                    f"{len(value):,} entries; an object or list may have at most {MAX_ENTRIES:,}",
                )
            if isinstance(value, list):
                items: list[tuple[str | int, Any]] = list(enumerate(value))
            else:
                items = list(value.items())
                size += sum(len(str(key)) + 4 for key, _ in items)
            size += 2
            stack.extend(((*path, key), sub, depth + 1) for key, sub in reversed(items))
        else:
            size += len(value) + 2 if isinstance(value, str) else 5
        if size > MAX_TEXT_BYTES:
            return "", f"the document is over the limit of {_megabytes(MAX_TEXT_BYTES)}"
    return None


def _pattern_limits(path: tuple[str | int, ...], node: dict[str, Any]) -> list[Problem]:
    """Patterns Python's regular-expression compiler (run by the metaschema) would choke on."""
    found = []
    patterns: list[tuple[tuple[str | int, ...], Any]] = [((*path, "pattern"), node.get("pattern"))]
    keyed = node.get("patternProperties")
    if isinstance(keyed, dict):
        patterns += [((*path, "patternProperties", key), key) for key in keyed]
    for where, pattern in patterns:
        if not isinstance(pattern, str):
            continue
        if len(pattern) > MAX_PATTERN_LENGTH:
            found.append(
                (
                    pointer(*where),
                    f"a pattern may be at most {MAX_PATTERN_LENGTH} characters; "
                    "use maxLength for lengths",
                )
            )
        elif group_nesting(pattern) > MAX_PATTERN_NESTING:
            found.append(
                (
                    pointer(*where),
                    f"groups nested more than {MAX_PATTERN_NESTING} deep in a pattern",
                )
            )
    return found


def _nesting_message() -> str:
    return f"nested more than {MAX_NESTING} deep (JSON objects and arrays inside one another)"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def size_problem(size: int) -> Problem | None:
    """A file too big to read, by its size in bytes."""
    if size > MAX_TEXT_BYTES:
        return "", f"{size:,} bytes is over the limit of {_megabytes(MAX_TEXT_BYTES)}"
    return None

# A form's JSON Logic (x-rules, x-calculate; forms/logic_check.py): each rule is evaluated
# for every answer, on the phone at every keystroke, and an operation over a list inside
# another multiplies the work by the list's length.
MAX_LOGIC_NODES = 200  # operations and values of one rule or calculation
MAX_LOGIC_DEPTH = 12  # operations inside one another
MAX_LOGIC_LOOPS = 2  # map/filter/reduce/all/some/none inside one another
MAX_RULES = 100  # x-rules entries of one object
