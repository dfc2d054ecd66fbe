"""A plain form POST back to answers, for phones that run no JavaScript.

Form fields are named by the JSON pointer of their answer (`/members/0/name`),
so the posted pairs convert back to answers by walking the same schema the page
was rendered from, and the answers to questions whose condition is false are
dropped, as the phone's script drops them before sending.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from forms.refs import form_view
from forms.render import (
    ALT,
    LOCAL_OFFSET,
    alternatives,
    code_pattern,
    conditions,
    holds,
    normalize_code,
    pointer_join,
)

# Linear: each part matches in one way only (a run of digits, then at most one point).
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# Longer than any number a form holds: left as text, so the schema says "must be a number".
_NUMBER_CHARS = 40
_MISSING = object()
_SAFE = 2**53 - 1


def answers_from_form(
    schema: dict[str, Any], pairs: Iterable[tuple[str, str]], schema_key: str | None = None
) -> dict[str, Any]:
    """The answers a plain form POST (names are JSON pointers) stands for, typed by the schema.

    Empty strings are no answer; a number that does not parse stays text, so the
    schema reports it at its field. Fields the schema does not know are ignored, and so
    are the answers to an object's alternatives other than the one chosen.
    """
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        if key.startswith(("/", ALT + "/")) or key == ALT:
            values.setdefault(key, []).append(value)
    answers = _convert(form_view(schema, schema_key), "", values)
    return answers if isinstance(answers, dict) else {}


def _convert(node: dict[str, Any], name: str, values: dict[str, list[str]]) -> Any:
    kind = node.get("type")
    if kind == "object":
        result: dict[str, Any] = {}
        props = dict(node.get("properties") or {})
        for _, then, else_ in conditions(node):
            for branch in (then, else_):
                for key, sub in (branch.get("properties") or {}).items():
                    props.setdefault(key, sub)
        chosen = (values.get(ALT + name) or [""])[-1]
        for index, alternative in enumerate(alternatives(node)):
            if chosen == str(index):
                for key, sub in alternative["properties"].items():
                    props.setdefault(key, sub)
        required = set(node.get("required") or [])
        for key, sub in props.items():
            converted = _convert(sub, pointer_join(name, key), values)
            # An optional group left empty whose parts are required (a location) is no answer.
            if converted is not _MISSING and not (
                key not in required and _unanswered(sub, converted)
            ):
                result[key] = converted
        return result
    if kind == "array" and (node.get("items") or {}).get("type") == "object":
        indexes = {
            int(m.group(1))
            for key in values
            if (m := re.match(re.escape(name) + r"/([0-9]{1,4})(?:/|$)", key))
        }
        count = max(indexes) + 1 if indexes else 0
        # One past maxItems, so the schema still says "at most N"; a field name like
        # /members/9999/name must not conjure thousands of empty members.
        limit = min(int(node.get("maxItems", 100)) + 1, 200)
        return [_convert(node["items"], f"{name}/{i}", values) for i in range(min(count, limit))]
    raw = [v for v in values.get(name, []) if v != ""]
    if not raw:
        return _MISSING
    return raw if kind == "array" else typed(node, raw[-1])


def _unanswered(node: Mapping[str, Any], value: Any) -> bool:
    asked = bool(node.get("required")) or bool(alternatives(node))  # a part must be answered
    return node.get("type") == "object" and asked and value == {}


def typed(node: Mapping[str, Any], raw: str) -> Any:
    """A typed answer from the text of one field; the text itself when it does not parse.

    Full-width digits (a Chinese keyboard's) read as digits; a code (an ID number) loses
    its spaces and gets an upper-case X. forms/static/check.js `typed` is the same.
    """
    kind = node.get("type")
    if code_pattern(node) is not None:
        return normalize_code(raw)
    text = raw.strip()
    if len(text) > _NUMBER_CHARS and kind in ("integer", "number"):
        return raw
    if kind in ("integer", "number"):
        text = unicodedata.normalize("NFKC", text)
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, raw)
    if kind == "string" and node.get("format") in ("date-time", "time"):
        return _with_offset(text, node["format"]) or raw
    if kind == "integer" and re.fullmatch(r"[-+]?[0-9]{1,16}", text) and abs(int(text)) <= _SAFE:
        return int(text)  # beyond 2**53 a phone cannot hold the number exactly: it stays text
    if kind == "number" and _NUMBER.fullmatch(text) and math.isfinite(float(text)):
        number = float(text)
        return (
            int(number)
            if number.is_integer() and "." not in text and "e" not in text.lower()
            else number
        )
    return raw


# What a datetime-local or time input gives: the wall clock, to the minute or second.
_LOCAL = {
    "date-time": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?"),
    "time": re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?"),
}


def _with_offset(text: str, fmt: str) -> str | None:
    """A wall-clock time as typed, made a full RFC 3339 one in China's time; None for
    anything else, which stays as typed (a complete date-time is checked as it is)."""
    found = _LOCAL[fmt].fullmatch(text)
    if not found:
        return None
    return text + ("" if found.group(1) else ":00") + LOCAL_OFFSET


def prune_hidden(schema: dict[str, Any], answers: Any, schema_key: str | None = None) -> Any:
    """The answers without those to questions whose condition is false, at every depth.

    A question that lives only in a `then` (or `else`) branch is hidden while
    its `if` fails (holds); the phone never sends its value, and neither does
    this. Conditions are checked again after each removal, since one hidden
    answer can change another condition.
    """
    return _prune(form_view(schema, schema_key), answers)


def _prune(schema: dict[str, Any], answers: Any) -> Any:
    kind = schema.get("type")
    if kind == "array" and isinstance(answers, list):
        items = schema.get("items")
        return [_prune(items, a) for a in answers] if isinstance(items, dict) else answers
    if kind != "object" or not isinstance(answers, dict):
        return answers
    props: dict[str, Any] = schema.get("properties") or {}
    result = dict(answers)
    for _ in range(4):
        active: set[str] = set()
        inactive: set[str] = set()
        for if_schema, then, else_ in conditions(schema):
            shown, hidden = (then, else_) if holds(if_schema, result) else (else_, then)
            active |= set(shown.get("properties") or {})
            inactive |= set(hidden.get("properties") or {})
        drop = {k for k in inactive - active - set(props) if k in result}
        if not drop:
            break
        for key in drop:
            del result[key]
    branch_props: dict[str, Any] = {}
    for if_schema, then, else_ in conditions(schema):
        shown = then if holds(if_schema, result) else else_
        branch_props.update(shown.get("properties") or {})
    for key, value in result.items():
        sub = props.get(key) or branch_props.get(key)
        if isinstance(sub, dict) and "type" in sub:
            result[key] = _prune(sub, value)
    return result
