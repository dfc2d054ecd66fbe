"""A form's own checks and computed values, declared in its schema as JSON Logic.

`"x-rules"` on an object schema lists checks across its answers (true when the
answers are fine); `"x-calculate"` on a question works its value out from the
others. forms/README.md describes both; forms/logic_check.py refuses what would
not work before a form is published. The phone (forms/static/logic.js) finds the
same issues and fills the same values, so what follows is mirrored there line by line:

- vars read an object's answers relative to the object carrying the rule;
- a rule (or a calculation) waits until every value it reads is there, with its
  question's JSON type: a missing answer is `required`'s business, a wrong one the
  schema's;
- a computed number is kept to 2 decimals (fen) and a sent value passes when it is
  within half a fen of it, so a value the phone rounded the way it shows it is the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from forms.issues import Issue, pointer
from forms.logic import UNDEFINED, apply, read_var, reads, strict_equal, to_string, truthy

# Half a fen, plus what binary floating point adds to 0.125 rounded to 0.13.
TOLERANCE = 0.005 + 1e-9
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

Found = tuple[dict[str, Any], dict[str, Any], tuple[str | int, ...]]


def properties(node: dict[str, Any]) -> dict[str, Any]:
    """An object's questions: its properties and those its conditions add."""
    found: dict[str, Any] = {}
    for entry in node.get("allOf") or []:
        for branch in ("then", "else"):
            sub = entry.get(branch) if isinstance(entry, dict) else None
            if isinstance(sub, dict) and isinstance(sub.get("properties"), dict):
                found.update(sub["properties"])
    found.update(node.get("properties") or {})
    return found


def objects(node: Any, value: Any, at: tuple[str | int, ...] = ()) -> Iterator[Found]:
    """(schema, answers, path) of every object answer, the document's first."""
    if not isinstance(node, dict):
        return
    items = node.get("items")
    if node.get("type") == "array" and isinstance(value, list) and isinstance(items, dict):
        for i, item in enumerate(value):
            yield from objects(items, item, (*at, i))
    if node.get("type") != "object" or not isinstance(value, dict):
        return
    yield node, value, at
    for key, sub in properties(node).items():
        if key in value:
            yield from objects(sub, value[key], (*at, key))


def declares_logic(schema: Any) -> bool:
    """Whether any object of the schema has x-rules or any question x-calculate."""
    if isinstance(schema, dict):
        if "x-rules" in schema or "x-calculate" in schema:
            return True
        return any(declares_logic(v) for k, v in schema.items() if k not in ("const", "enum"))
    if isinstance(schema, list):
        return any(declares_logic(v) for v in schema)
    return False


def question_at(node: Any, path: str) -> dict[str, Any] | None:
    """The question a dotted path names in an object's schema (through objects and lists)."""
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        if node.get("type") == "array":
            node = node.get("items")
            continue
        node = properties(node).get(key)
    return node if isinstance(node, dict) else None


def _of_type(kind: Any, value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return {
        "string": isinstance(value, str),
        "number": number,
        "integer": number and float(value).is_integer(),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }.get(kind, True)


def ready(node: dict[str, Any], logic: Any, value: dict[str, Any]) -> bool:
    """Whether every value `logic` reads without a default is there, of its question's type."""
    for path, has_default in reads(logic):
        if has_default:
            continue
        found = read_var(value, path)
        question = question_at(node, path)
        if found is None or (question is not None and not _of_type(question.get("type"), found)):
            return False
    return True


def _shown(value: Any) -> str:
    """A value in a message as the phone writes it (JavaScript's String(value))."""
    return "" if value is None else to_string(value)


def _words(text: str, logic: Any, value: dict[str, Any], today: str) -> str:
    """A rule's message with {name} (a value the rule reads) and {today} filled in."""
    names = {path for path, _ in reads(logic)}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "today":
            return today
        return _shown(read_var(value, name)) if name in names else match.group(0)

    return _PLACEHOLDER.sub(fill, text)


def field_pointer(at: tuple[str | int, ...], field: str) -> str:
    return pointer(*at, *field.split("."))


def _refused(logic: Any, at: tuple[str | int, ...], wrong: frozenset[str]) -> bool:
    return any(field_pointer(at, path) in wrong for path, _ in reads(logic))


def rule_issues(
    schema: dict[str, Any], answers: Any, today: str, wrong: frozenset[str] = frozenset()
) -> list[Issue]:
    """The x-rules every object of the answers breaks, each at its rule's field; a rule
    reading a value the schema refused (at a path in `wrong`) waits for it to be fixed."""
    found: list[Issue] = []
    for node, value, at in objects(schema, answers):
        for rule in node.get("x-rules") or []:
            logic = rule["rule"]
            if not ready(node, logic, value) or _refused(logic, at, wrong):
                continue
            if truthy(apply(logic, value, today)):
                continue
            words = {
                lang: _words(text, logic, value, today) for lang, text in rule["message"].items()
            }
            found.append(Issue(field_pointer(at, rule["field"]), rule["id"], words=words))
    return found


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def calculated(schema: dict[str, Any], answers: Any, today: str) -> Iterator[tuple[str, Any]]:
    """(pointer, value) of each computed question of the answers; None while it cannot be
    worked out or comes out as no number (NaN, infinity)."""
    for node, value, at in objects(schema, answers):
        for key, question in (node.get("properties") or {}).items():
            if not isinstance(question, dict) or "x-calculate" not in question:
                continue
            logic = question["x-calculate"]
            result: Any = apply(logic, value, today) if ready(node, logic, value) else None
            if result is UNDEFINED or (_number(result) and not math.isfinite(result)):
                result = None
            if _number(result) and question.get("type") == "number":
                result = float(f"{result:.2f}")
            yield pointer(*at, key), result


def _at(answers: Any, path: str) -> Any:
    node = answers
    for part in path.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(key)]
        else:
            node = node.get(key) if isinstance(node, dict) else None
    return node


def _same(given: Any, computed: Any) -> bool:
    if _number(given) and _number(computed):
        return abs(float(given) - float(computed)) <= TOLERANCE
    return strict_equal(given, computed)


def calculate_issues(schema: dict[str, Any], answers: Any, today: str) -> list[Issue]:
    """Computed questions whose answer is not the value worked out from the others."""
    found: list[Issue] = []
    for path, computed in calculated(schema, answers, today):
        parent, _, key = path.rpartition("/")
        holder = _at(answers, parent)
        name = key.replace("~1", "/").replace("~0", "~")
        given = holder.get(name) if isinstance(holder, dict) else None
        if computed is None:
            if given is not None:
                found.append(Issue(path, "calculated_empty"))
        elif given is None or not _same(given, computed):
            found.append(Issue(path, "calculated", {"value": _shown(computed)}))
    return found


def fill_calculated(schema: dict[str, Any], answers: Any, today: str) -> Any:
    """The answers with every computed question set to its value (left out while it has
    none): what a page sent without JavaScript, which cannot work them out, stands for."""
    for path, computed in list(calculated(schema, answers, today)):
        parent, _, key = path.rpartition("/")
        holder = _at(answers, parent)
        name = key.replace("~1", "/").replace("~0", "~")
        if not isinstance(holder, dict):
            continue
        if computed is None:
            holder.pop(name, None)
        else:
            holder[name] = computed
    return answers


def localized(schema: Any, lang: str) -> Any:
    """The schema with each x-rules message as its words in the page's language (zh when it
    has no other): what the phone needs, and half the words."""
    if isinstance(schema, list):
        return [localized(v, lang) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: localized(v, lang) for k, v in schema.items() if k not in ("x-rules", "x-calculate")}
    if "x-calculate" in schema:
        out["x-calculate"] = schema["x-calculate"]
    if isinstance(schema.get("x-rules"), list):
        out["x-rules"] = [
            {**rule, "message": rule["message"].get(lang) or rule["message"]["zh"]}
            if isinstance(rule, dict) and isinstance(rule.get("message"), dict)
            else rule
            for rule in schema["x-rules"]
        ]
    return out
