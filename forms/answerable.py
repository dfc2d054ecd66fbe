"""Forms the phone can show but no one can finish.

The metaschema passes each keyword on its own; these mistakes are in how a
form's keywords meet, and each leaves a page that can never be passed or a
question that never appears:

- A conditional question (defined in a `then`, `else` or `dependentSchemas`)
  in an object with `additionalProperties: false`. In 2020-12 that keyword sees
  only the `properties` and `patternProperties` beside it, never those of a
  then/else, so the answer the page just asked for is refused as 此项不适用.
  `unevaluatedProperties: false` sees every property a passing then/else
  evaluated, so a conditional question is allowed exactly while its condition
  holds: that is the convention of forms/README.md and is not flagged. Neither
  keyword sees a property that a condition of the *parent* object adds to a
  child (`then: {properties: {causes: {properties: {new: ...}}}}`): the phone
  does not show such a question either, so it is refused wherever it is.
- `required` naming a question that is not asked: one the object does not
  define, one defined only in a condition's branch but required always, or one
  required in one condition's branch but defined in another's.
- A condition (`if`, a `dependentSchemas` trigger) reading a question the object
  does not have, or waiting for a value that is not one of the question's
  options: the questions it governs never appear (a misspelling).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from forms.issues import pointer
from forms.schema import canonical_json
from forms.subschemas import Path

Problem = tuple[str, str]


@dataclass
class _Branch:
    """A then, else or dependentSchemas entry of an object, and when it applies."""

    at: Path
    schema: dict[str, Any]
    when: str  # the `if` and "then"/"else", as one string, to tell equal conditions apart

    @property
    def properties(self) -> dict[str, Any]:
        found = self.schema.get("properties")
        return found if isinstance(found, dict) else {}


def unanswerable(schema: dict[str, Any]) -> list[Problem]:
    """(JSON pointer, why) for each question that can never be answered or never appears."""
    found: list[Problem] = []
    for at, node in _objects(schema):
        found.extend(_check_object(at, node))
    return found


def _objects(schema: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each object of questions: the form, its sections, groups and repeat items."""
    stack: list[tuple[Path, Any]] = [((), schema)]
    while stack:
        at, node = stack.pop()
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("items"), dict):
            stack.append(((*at, "items"), node["items"]))
            continue
        if not isinstance(node.get("properties"), dict):
            continue
        yield at, node
        props = node["properties"]
        inside = [((*at, "properties", key), sub) for key, sub in props.items()]
        for branch in _branches(at, node):
            inside += [
                ((*branch.at, "properties", key), sub)
                for key, sub in branch.properties.items()
                if key not in props
            ]
        stack.extend(reversed(inside))


def _branches(at: Path, node: dict[str, Any]) -> list[_Branch]:
    found = []
    entries = node.get("allOf")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        for when in ("then", "else"):
            if isinstance(entry.get(when), dict):
                condition = canonical_json([entry.get("if"), when])
                found.append(_Branch((*at, "allOf", index, when), entry[when], condition))
    dependent = node.get("dependentSchemas")
    for trigger, sub in (dependent if isinstance(dependent, dict) else {}).items():
        if isinstance(sub, dict):
            condition = canonical_json([{"required": [trigger]}, "then"])
            found.append(_Branch((*at, "dependentSchemas", trigger), sub, condition))
    return found


def _check_object(at: Path, node: dict[str, Any]) -> list[Problem]:
    props: dict[str, Any] = node["properties"]
    branches = _branches(at, node)
    conditional: dict[str, list[_Branch]] = {}
    for branch in branches:
        for key in branch.properties:
            if key not in props:
                conditional.setdefault(key, []).append(branch)
    found = _closed_against_branches(at, node, conditional)
    found += _required_names(at, node, props, conditional)
    for branch in branches:
        found += _branch_required(branch, props, conditional)
        found += _constraints_on_shown(branch, props)
    known = {**props, **{key: b[0].properties[key] for key, b in conditional.items()}}
    entries = node.get("allOf")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("if"), dict):
            found += _condition(entry["if"], (*at, "allOf", index, "if"), known)
    dependent = node.get("dependentSchemas")
    for trigger in dependent if isinstance(dependent, dict) else {}:
        if trigger not in known:
            found.append(
                (
                    pointer(*at, "dependentSchemas", trigger),
                    f"{_show(trigger)} is not a question of this object, so the questions that "
                    "depend on it never appear (a misspelling?)",
                )
            )
    return found


def _closed_against_branches(
    at: Path, node: dict[str, Any], conditional: dict[str, list[_Branch]]
) -> list[Problem]:
    if node.get("additionalProperties") is not False:
        return []
    keyed = node.get("patternProperties")
    found = []
    for key, branches in conditional.items():
        if isinstance(keyed, dict) and any(_search(p, key) for p in keyed):
            continue
        for branch in branches:
            found.append(
                (
                    pointer(*branch.at, "properties", key),
                    f"additionalProperties: false at {pointer(*at, 'additionalProperties')} "
                    "refuses this conditional question: it sees only the object's own "
                    "properties, so the answer is refused as 此项不适用 and the page can never "
                    'be passed. Write "unevaluatedProperties": false instead, which sees '
                    "then/else",
                )
            )
    return found


def _required_names(
    at: Path, node: dict[str, Any], props: dict[str, Any], conditional: dict[str, list[_Branch]]
) -> list[Problem]:
    found = []
    names = node.get("required")
    for index, name in enumerate(names if isinstance(names, list) else []):
        if name in props:
            continue
        where = pointer(*at, "required", index)
        if name in conditional:
            found.append(
                (
                    where,
                    f"{_show(name)} is required always but asked only in "
                    f"{pointer(*conditional[name][0].at)}: while it is hidden the page can never "
                    "be passed; require it in that branch instead",
                )
            )
        else:
            found.append((where, _undefined(name)))
    dependent = node.get("dependentRequired")
    for trigger, needed in (dependent if isinstance(dependent, dict) else {}).items():
        if trigger not in props and trigger not in conditional:
            found.append(
                (
                    pointer(*at, "dependentRequired", trigger),
                    f"{_show(trigger)} is not a question of this object (a misspelling?)",
                )
            )
        for index, name in enumerate(needed if isinstance(needed, list) else []):
            if name not in props:
                found.append((pointer(*at, "dependentRequired", trigger, index), _undefined(name)))
    return found


def _branch_required(
    branch: _Branch, props: dict[str, Any], conditional: dict[str, list[_Branch]]
) -> list[Problem]:
    found = []
    names = branch.schema.get("required")
    for index, name in enumerate(names if isinstance(names, list) else []):
        if name in props or name in branch.properties:
            continue
        where = pointer(*branch.at, "required", index)
        elsewhere = conditional.get(name, [])
        if any(other.when == branch.when for other in elsewhere):
            continue  # defined under the same condition: shown exactly when required
        if elsewhere:
            found.append(
                (
                    where,
                    f"{_show(name)} is defined under another condition "
                    f"({pointer(*elsewhere[0].at)}): while that one hides it, this one requires "
                    "it and the page can never be passed; define it in this branch",
                )
            )
        else:
            found.append((where, _undefined(name)))
    return found


def _constraints_on_shown(branch: _Branch, props: dict[str, Any]) -> list[Problem]:
    """A branch naming a question that is always shown may only make it (or its parts) required."""
    found = []
    for key, sub in branch.properties.items():
        target = props.get(key)
        if not isinstance(sub, dict) or not isinstance(target, dict):
            continue
        inner = target.get("properties")
        inner = inner if isinstance(inner, dict) else {}
        added = sub.get("properties")
        for name in added if isinstance(added, dict) else {}:
            if name not in inner:
                found.append(
                    (
                        pointer(*branch.at, "properties", key, "properties", name),
                        f"a question added to {_show(key)} by a condition outside it never "
                        f"appears (the phone reads conditions inside the object they change) "
                        f"and is refused as 此项不适用; put the condition in {_show(key)}'s allOf",
                    )
                )
        names = sub.get("required")
        for index, name in enumerate(names if isinstance(names, list) else []):
            if name not in inner:
                where = pointer(*branch.at, "properties", key, "required", index)
                found.append((where, _undefined(name, of=key)))
    return found


def _condition(condition: dict[str, Any], at: Path, known: dict[str, Any]) -> list[Problem]:
    """A condition must read questions that exist, waiting for values they can have."""
    found: list[Problem] = []
    names = condition.get("required")
    for index, name in enumerate(names if isinstance(names, list) else []):
        if name not in known:
            found.append((pointer(*at, "required", index), _never_holds(name)))
    tested = condition.get("properties")
    for name, sub in (tested if isinstance(tested, dict) else {}).items():
        if name not in known:
            found.append((pointer(*at, "properties", name), _never_holds(name)))
            continue
        target = known[name]
        if not isinstance(sub, dict) or not isinstance(target, dict):
            continue
        options = _options(target)
        where = (*at, "properties", name)
        if options is not None:
            if "const" in sub and not _among(sub["const"], options):
                found.append(
                    (pointer(*where, "const"), _not_an_option(sub["const"], name, options))
                )
            values = sub.get("enum")
            for index, value in enumerate(values if isinstance(values, list) else []):
                if not _among(value, options):
                    found.append(
                        (pointer(*where, "enum", index), _not_an_option(value, name, options))
                    )
        inner = target.get("properties")
        if isinstance(inner, dict) and ("properties" in sub or "required" in sub):
            conditional = {
                key: value
                for branch in _branches((), target)
                for key, value in branch.properties.items()
            }
            found += _condition(sub, where, {**conditional, **inner})
    return found


def _options(question: dict[str, Any]) -> list[Any] | None:
    """The values a question can have, when it is a choice or yes/no."""
    branches = question.get("oneOf")
    if (
        isinstance(branches, list)
        and branches
        and all(isinstance(b, dict) and "const" in b for b in branches)
    ):
        return [b["const"] for b in branches]
    if isinstance(question.get("enum"), list):
        return list(question["enum"])
    if question.get("type") == "boolean":
        return [True, False]
    return None


def _among(value: Any, options: list[Any]) -> bool:
    """JSON equality: true is not 1, and 1 is 1.0."""
    return any(
        canonical_json(_json_number(value)) == canonical_json(_json_number(o)) for o in options
    )


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _search(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _undefined(name: Any, of: str | None = None) -> str:
    where = f"a question of {_show(of)}" if of else "a question of this object"
    return (
        f"{_show(name)} is required but is not {where}, so the page can never be passed "
        "(a misspelling?)"
    )


def _never_holds(name: Any) -> str:
    return (
        f"the condition reads {_show(name)}, which is not a question of this object, so it "
        "never holds and the questions it governs never appear (a misspelling?)"
    )


def _not_an_option(value: Any, name: str, options: list[Any]) -> str:
    listed = ", ".join(_show(o) for o in options)
    return (
        f"{_show(value)} is not an answer {_show(name)} can have ({listed}), so the condition "
        "never holds (a misspelling?)"
    )
