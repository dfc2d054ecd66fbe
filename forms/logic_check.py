"""What `minsheng form check` refuses in a form's x-rules and x-calculate.

A rule the phone and the server cannot both evaluate, or that reads a field the
object does not have, would fail quietly (a var naming no field is null, and the
rule waits for it forever), so every rule is checked before a form is published:
known operations with the right number of arguments, vars naming fields of the
object carrying the rule, messages in Chinese, and a size the phone evaluates at
every keystroke without noticing (forms/limits.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from forms.form_logic import question_at
from forms.issues import pointer
from forms.limits import MAX_LOGIC_DEPTH, MAX_LOGIC_LOOPS, MAX_LOGIC_NODES, MAX_RULES
from forms.logic import OPERATIONS, SCOPED, is_logic
from forms.subschemas import subschemas

Path = tuple[str | int, ...]
Problem = tuple[str, str]

RULE_KEYS = ("id", "rule", "field", "message")
RULE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
SCALARS = ("string", "number", "integer")
CHOICES = ("oneOf", "anyOf", "enum", "const", "x-widget")
# operation -> (fewest, most) arguments; None: no limit
ARGUMENTS: dict[str, tuple[int, int | None]] = {
    **dict.fromkeys(("==", "===", "!=", "!==", ">", ">=", "/", "%", "in"), (2, 2)),
    **dict.fromkeys(("<", "<="), (2, 3)),
    **dict.fromkeys(("!", "!!"), (1, 1)),
    **dict.fromkeys(("or", "and", "if", "max", "min", "+", "*", "cat", "merge"), (1, None)),
    **dict.fromkeys(("map", "filter", "all", "some", "none"), (2, 2)),
    "-": (1, 2),
    "substr": (2, 3),
    "reduce": (2, 3),
    "var": (1, 2),
    "missing": (1, None),
    "missing_some": (2, 2),
    "today": (0, 0),
}

# What the data of a piece of logic is: an object's schema, a list item's schema, the
# {current, accumulator} of a reduce over items of that schema, or unknown (None).
Scope = tuple[str, Any] | None


def _questions(node: Any, at: Path, found: dict[Path, dict[str, Any]]) -> None:
    """Every schema that is a question (or the document), by path: where x-rules may be."""
    if not isinstance(node, dict):
        return
    found[at] = node
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        _questions(node["items"], (*at, "items"), found)
    for key, sub in (node.get("properties") or {}).items():
        _questions(sub, (*at, "properties", key), found)
    for i, entry in enumerate(node.get("allOf") or []):
        for branch in ("then", "else"):
            sub = entry.get(branch) if isinstance(entry, dict) else None
            for key, question in ((sub or {}).get("properties") or {}).items():
                _questions(question, (*at, "allOf", i, branch, "properties", key), found)


def logic_problems(schema: dict[str, Any]) -> list[Problem]:
    """(JSON pointer, message) for each x-rules or x-calculate that would not work."""
    questions: dict[Path, dict[str, Any]] = {}
    _questions(schema, (), questions)
    found: list[Problem] = []
    for sub in subschemas(schema):
        node, at = sub.node, sub.path
        if not isinstance(node, dict):
            continue
        if "x-rules" in node:
            if at not in questions or node.get("type") != "object":
                found.append(
                    (
                        pointer(*at, "x-rules"),
                        "x-rules belongs on an object: the "
                        "survey, a group of questions or a repeat group's item",
                    )
                )
            else:
                found += _rules(node, (*at, "x-rules"))
        if "x-calculate" in node:
            parent = at[:-2] if len(at) >= 2 and at[-2] == "properties" else None
            if parent is None or parent not in questions:
                found.append(
                    (
                        pointer(*at, "x-calculate"),
                        "x-calculate belongs on a question "
                        "in an object's properties (not one asked only under a condition)",
                    )
                )
            else:
                found += _calculation(questions[parent], node, at)
    return found


def _rules(node: dict[str, Any], at: Path) -> list[Problem]:
    rules = node["x-rules"]
    if not isinstance(rules, list):
        return [(pointer(*at), "x-rules is a list of {id, rule, field, message}")]
    if len(rules) > MAX_RULES:
        return [(pointer(*at), f"more than {MAX_RULES} rules on one object")]
    found: list[Problem] = []
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        where = (*at, i)
        if not isinstance(rule, dict):
            found.append((pointer(*where), "a rule is an object {id, rule, field, message}"))
            continue
        found += [
            (pointer(*where, k), f"unknown key {k!r}: a rule has id, rule, field and message")
            for k in rule
            if k not in RULE_KEYS
        ]
        found += [(pointer(*where), f"a rule needs {k!r}") for k in RULE_KEYS if k not in rule]
        rule_id = rule.get("id")
        if "id" in rule and (not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id)):
            found.append(
                (
                    pointer(*where, "id"),
                    "an id is letters, digits, _ . and -, starting"
                    " with a letter or _, at most 64: it is the error's code",
                )
            )
        elif isinstance(rule_id, str):
            if rule_id in seen:
                found.append((pointer(*where, "id"), f"{rule_id!r} is the id of another rule"))
            seen.add(rule_id)
        field = rule.get("field")
        if "field" in rule and (not isinstance(field, str) or question_at(node, field) is None):
            found.append(
                (
                    pointer(*where, "field"),
                    f"{field!r} names no question of this "
                    "object: the error is shown at this field (a name, or a.b inside a group)",
                )
            )
        if "message" in rule:
            found += _message(rule["message"], (*where, "message"))
        if "rule" in rule:
            found += logic_shape(rule["rule"], ("object", node), (*where, "rule"))
    return found


def _message(message: Any, at: Path) -> list[Problem]:
    if not isinstance(message, dict) or not isinstance(message.get("zh"), str) or not message["zh"]:
        return [(pointer(*at), 'a message needs its Chinese words: {"zh": "…", "en": "…"}')]
    return [
        (pointer(*at, lang), "a message is in zh and en, each a text")
        for lang, text in message.items()
        if lang not in ("zh", "en") or not isinstance(text, str)
    ]


def _calculation(parent: dict[str, Any], node: dict[str, Any], at: Path) -> list[Problem]:
    where = (*at, "x-calculate")
    found = logic_shape(node["x-calculate"], ("object", parent), where)
    if node.get("type") not in SCALARS or any(k in node for k in CHOICES):
        found.append(
            (
                pointer(*where),
                "a computed question is a text, a number or a whole number typed in a box: not"
                " a choice or yes/no, whose buttons a page cannot fill",
            )
        )
    if any(op == "today" for op in _operations(node["x-calculate"])):
        found.append(
            (
                pointer(*where),
                "a computed value may not read today: the phone works"
                " it out on the day it is typed, the server on the day it arrives",
            )
        )
    from forms.logic import reads

    for path, _ in reads(node["x-calculate"]):
        question = question_at(parent, path)
        if question is node:
            found.append((pointer(*where), "a computed question cannot read itself"))
        elif question is not None and "x-calculate" in question:
            found.append(
                (
                    pointer(*where),
                    f"{path!r} is computed too: compute from the answers it is computed from",
                )
            )
    return found


def _operations(logic: Any) -> Iterator[str]:
    if isinstance(logic, list):
        for item in logic:
            yield from _operations(item)
    elif is_logic(logic):
        op, values = next(iter(logic.items()))
        yield op
        yield from _operations(values)


def logic_shape(logic: Any, scope: Scope, at: Path) -> list[Problem]:
    """Problems of one piece of logic read against `scope`; first its size, then its shape."""
    nodes, depth = _size(logic)
    if nodes > MAX_LOGIC_NODES:
        return [
            (
                pointer(*at),
                f"{nodes} operations and values; a rule may have at most "
                f"{MAX_LOGIC_NODES}: split it into several",
            )
        ]
    if depth > MAX_LOGIC_DEPTH:
        return [(pointer(*at), f"operations nested more than {MAX_LOGIC_DEPTH} deep")]
    found: list[Problem] = []
    _shape(logic, scope, at, 0, found)
    return found


def _size(logic: Any) -> tuple[int, int]:
    stack: list[tuple[Any, int]] = [(logic, 1)]
    nodes = deepest = 0
    while stack and nodes <= MAX_LOGIC_NODES:
        value, depth = stack.pop()
        nodes += 1
        deepest = max(deepest, depth)
        if isinstance(value, list):
            stack += [(v, depth) for v in value]
        elif isinstance(value, dict):
            stack += [(v, depth + 1) for v in value.values()]
    return nodes, deepest


def _shape(logic: Any, scope: Scope, at: Path, loops: int, found: list[Problem]) -> None:
    if isinstance(logic, list):
        for i, item in enumerate(logic):
            _shape(item, scope, (*at, i), loops, found)
        return
    if not isinstance(logic, dict):
        return
    if not is_logic(logic):
        found.append((pointer(*at), 'an object in a rule is one operation: {"op": [arguments]}'))
        return
    op, raw = next(iter(logic.items()))
    here = (*at, op)
    if op not in OPERATIONS:
        found.append(
            (pointer(*here), f"unknown operation {op!r}; known: " + " ".join(sorted(OPERATIONS)))
        )
        return
    values = raw if isinstance(raw, list) else [raw]
    fewest, most = ARGUMENTS[op]
    if len(values) < fewest or (most is not None and len(values) > most):
        count = (
            str(fewest)
            if fewest == most
            else f"{fewest} or more"
            if most is None
            else (f"{fewest} to {most}")
        )
        found.append((pointer(*here), f"{op} takes {count} arguments, not {len(values)}"))
        return
    if op == "var":
        _var(values, scope, here, found)
        return
    if op in ("missing", "missing_some"):
        names = values[1] if op == "missing_some" else values
        if op == "missing_some" and not isinstance(names, list):
            found.append((pointer(*here), "missing_some takes a count and a list of names"))
            return
        for i, name in enumerate(names):
            _var([name], scope, (*here, i), found)
        return
    if op in SCOPED:
        if loops >= MAX_LOGIC_LOOPS:
            found.append(
                (
                    pointer(*here),
                    f"{op} inside {MAX_LOGIC_LOOPS} others: at most "
                    f"{MAX_LOGIC_LOOPS} map/filter/reduce/all/some/none inside one another",
                )
            )
            return
        _shape(values[0], scope, (*here, 0), loops, found)
        item = _item(values[0], scope)
        inner: Scope = (
            ("reduce", item) if op == "reduce" else (None if item is None else ("item", item))
        )
        _shape(values[1], inner, (*here, 1), loops + 1, found)
        for i, value in enumerate(values[2:], start=2):
            _shape(value, scope, (*here, i), loops, found)
        return
    for i, value in enumerate(values):
        _shape(value, scope, (*here, i) if isinstance(raw, list) else here, loops, found)


def _var(values: list[Any], scope: Scope, at: Path, found: list[Problem]) -> None:
    path = values[0]
    if isinstance(path, bool) or not isinstance(path, str | int):
        found.append(
            (pointer(*at), 'a var names a field: a text such as "households" or "land.irrigated"')
        )
        return
    if len(values) > 1 and isinstance(values[1], dict | list):
        found.append((pointer(*at), "a var's default is a plain value"))
    if scope is None or path == "":
        return
    kind, node = scope
    name = str(path)
    if kind == "reduce":
        head, _, rest = name.partition(".")
        if head == "accumulator" or (head == "current" and (not rest or node is None)):
            return
        if head == "current" and question_at(node, rest) is not None:
            return
        found.append(
            (
                pointer(*at),
                f"{name!r}: inside reduce, read current (the item) or "
                "accumulator (the result so far)",
            )
        )
        return
    if question_at(node, name) is None:
        found.append(
            (
                pointer(*at),
                f"{name!r} names no question of "
                + ("this object" if kind == "object" else "the list's items"),
            )
        )


def _item(logic: Any, scope: Scope) -> Any:
    """The schema of the items `logic` gives a map/filter/... to work on, when known."""
    if scope is None or not is_logic(logic):
        return None
    op, values = next(iter(logic.items()))
    values = values if isinstance(values, list) else [values]
    if op == "var" and values and isinstance(values[0], str) and scope[0] != "reduce":
        question = question_at(scope[1], values[0]) if values[0] else scope[1]
        if isinstance(question, dict) and question.get("type") == "array":
            items = question.get("items")
            return items if isinstance(items, dict) else None
    if op == "filter" and values:
        return _item(values[0], scope)
    return None
