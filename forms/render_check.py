"""Schema constructs the phone renderer cannot show, found before anyone opens a form.

`forms.render` shows a fixed set of constructs (see forms/README.md). Anything
else would silently vanish from the page, or be shown as a question no one can
answer, so `minsheng form check` and start-up refuse it here, naming the
JSON pointer of the construct in the schema.
"""

from __future__ import annotations

from typing import Any

from forms.issues import pointer
from forms.media import LOCATION, PHOTO, widget_problems
from forms.places import VILLAGE, village_problems

WIDGETS = {"radio", "select", "checkboxes", "textarea", "yesno", PHOTO, LOCATION, VILLAGE}
# the only formats both the server and the phone check (forms/validate.py FORMAT_CHECKER)
FORMATS = {"date", "email", "date-time", "time"}
SCALARS = {"string", "integer", "number", "boolean"}
# What an alternative of an object's oneOf/anyOf may hold: its questions and their labels.
ALTERNATIVE_KEYS = {"properties", "required", "title", "description", "x-en", "type", "$comment"}
# Keywords that only constrain an answer; the validators enforce them, nothing to show.
_UNSUPPORTED = {
    "$ref": "only references to a schema of this form by JSON pointer (#/$defs/name) are "
    "rendered, not anchors or $id",
    "$dynamicRef": "dynamic references are not rendered",
    "patternProperties": "patternProperties has no questions to show",
    "prefixItems": "tuples (prefixItems) cannot be shown as a repeat group",
    "contains": "contains cannot be shown as a question",
    "not": "not cannot be shown as a question",
    "propertyNames": "propertyNames has no questions to show",
    # Outside allOf, JSON Schema applies if/then/else but the renderer does not see them.
    "if": "a condition is read only inside allOf: write allOf: [{if, then}]",
    "then": "a then is read only beside its if, inside allOf: write allOf: [{if, then}]",
    "else": "an else is read only beside its if, inside allOf: write allOf: [{if, else}]",
}
_TOP_LEVEL = {
    "oneOf": "a survey that is one of several alternatives (oneOf at the top level) cannot be "
    "shown yet: each top-level property is a page. Put every alternative's questions in "
    "properties and show them with conditions (allOf of if/then)",
    "anyOf": "a survey that is any of several alternatives (anyOf at the top level) cannot be "
    "shown yet: each top-level property is a page. Put every alternative's questions in "
    "properties and show them with conditions (allOf of if/then)",
}
_NO_TITLE = (
    "every question needs a title (its label in Chinese); without one the phone shows a "
    "blank question and the review page fails"
)


def unsupported_constructs(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each construct the renderer cannot show."""
    found: list[tuple[str, str]] = []
    for key, why in (_UNSUPPORTED | _TOP_LEVEL).items():
        if key in schema:
            found.append((pointer(key), _TOP_LEVEL.get(key, why)))
    for key, sub in (schema.get("properties") or {}).items():
        _question(sub, ("properties", key), found, in_repeat=False)
    _object_extras(schema, (), found, in_repeat=False)
    return found


def _question(
    node: Any,
    at: tuple[str | int, ...],
    found: list[tuple[str, str]],
    in_repeat: bool,
    titled: bool = True,
) -> None:
    if not isinstance(node, dict):
        found.append((pointer(*at), "a question must be a schema object, not true/false"))
        return
    for key, why in _UNSUPPORTED.items():
        if key in node:
            found.append((pointer(*at, key), why))
    if titled and not _has_title(node):
        found.append((pointer(*at), _NO_TITLE))
    if ("$ref" in node or "$dynamicRef" in node) and "type" not in node:
        return  # the reference is the question; it was reported above
    kind = node.get("type")
    widget = node.get("x-widget")
    if widget is not None and widget not in WIDGETS:
        found.append(
            (
                pointer(*at, "x-widget"),
                f"unknown x-widget {widget!r}; use one of " + ", ".join(sorted(WIDGETS)),
            )
        )
    if not isinstance(kind, str):
        found.append((pointer(*at, "type"), "each question needs one type (a string, not a list)"))
        return
    if widget in (PHOTO, LOCATION):
        problems = widget_problems(node)
        found.extend((pointer(*at, *where), problem) for where, problem in problems)
        if widget == LOCATION or problems:
            return  # a location's parts are not questions of their own
    if widget == VILLAGE:
        found.extend((pointer(*at, *where), why) for where, why in village_problems(node))
    choice_kw = next((k for k in ("oneOf", "anyOf") if k in node), None)
    if choice_kw and kind == "object" and _is_alternatives(node[choice_kw]):
        _alternatives(node, choice_kw, at, found, in_repeat)
    elif choice_kw and not _is_choice(node[choice_kw]):
        found.append(
            (
                pointer(*at, choice_kw),
                f"{choice_kw} is rendered only as a choice (each branch a const, or one enum "
                "value, with a title) or, in an object, as alternatives (each branch an "
                "object of questions with a title)",
            )
        )
    elif choice_kw:
        _option_titles(node[choice_kw], (*at, choice_kw), found)
    if "enum" in node:
        found.extend(_enum_problems(node, at))
    if kind in SCALARS:
        fmt = node.get("format")
        if fmt is not None and fmt not in FORMATS:
            found.append(
                (
                    pointer(*at, "format"),
                    f"format {fmt!r} is not checked on the phone; use date, date-time, time or "
                    "email, or a pattern",
                )
            )
        if (
            kind == "string"
            and choice_kw is None
            and node.get("enum") is None
            and widget in ("radio", "select", "checkboxes", "yesno")
        ):
            found.append((pointer(*at, "x-widget"), f"x-widget {widget} needs options"))
        return
    if kind == "object":
        if not isinstance(node.get("properties"), dict):
            if choice_kw is None or not _is_alternatives(node[choice_kw]):
                found.append((pointer(*at), "an object needs properties to show as a group"))
            return
        for key, sub in node["properties"].items():
            _question(sub, (*at, "properties", key), found, in_repeat)
        _object_extras(node, at, found, in_repeat)
        return
    if kind == "array":
        items = node.get("items")
        if not isinstance(items, dict):
            found.append((pointer(*at, "items"), "an array needs one items schema"))
            return
        if items.get("type") == "object":
            _question(items, (*at, "items"), found, in_repeat=True, titled=False)
            return
        item_choice = next((k for k in ("oneOf", "anyOf") if k in items), None)
        if item_choice and _is_choice(items[item_choice]):
            _option_titles(items[item_choice], (*at, "items", item_choice), found)
        elif isinstance(items.get("enum"), list):
            found.extend(_enum_problems(items, (*at, "items")))
        else:
            found.append(
                (
                    pointer(*at, "items"),
                    "an array of answers must be a multiple choice "
                    "(items with oneOf of const options, or enum) or of objects",
                )
            )
        return
    found.append((pointer(*at, "type"), f"type {kind!r} cannot be shown as a question"))


def _alternatives(
    node: dict[str, Any],
    keyword: str,
    at: tuple[str | int, ...],
    found: list[tuple[str, str]],
    in_repeat: bool,
) -> None:
    """An object's oneOf/anyOf of objects: the phone asks which applies, then its questions."""
    shared = node.get("properties") or {}
    asked: dict[str, int] = {}  # a question's name -> the alternative that asks it
    for index, branch in enumerate(node[keyword]):
        where = (*at, keyword, index)
        if not _has_title(branch):
            found.append(
                (
                    pointer(*where),
                    "every alternative needs a title: the phone asks which one applies by it",
                )
            )
        extra = sorted(set(branch) - ALTERNATIVE_KEYS)
        if extra:
            found.append(
                (
                    pointer(*where, extra[0]),
                    f"an alternative may hold only its questions (properties, required) and "
                    f"its labels, not {extra[0]}",
                )
            )
        for key, sub in (branch.get("properties") or {}).items():
            if key in shared:
                continue
            if key in asked:
                found.append(
                    (
                        pointer(*where, "properties", key),
                        f"alternatives {asked[key]} and {index} both ask {key!r}: the page "
                        "would show it twice; ask it once in the object's own properties",
                    )
                )
                continue
            asked[key] = index
            _question(sub, (*where, "properties", key), found, in_repeat)


def _enum_problems(node: dict[str, Any], at: tuple[str | int, ...]) -> list[tuple[str, str]]:
    """An enum is shown as options: its values typed back, its labels beside it."""
    values = node.get("enum")
    if not isinstance(values, list):
        return []
    found = []
    if not all(isinstance(v, str | int | float | bool) for v in values):
        found.append(
            (
                pointer(*at, "enum"),
                "an enum of objects, lists or null cannot be picked on the phone; use strings "
                "or numbers (and x-enumNames for their labels)",
            )
        )
    names = [("x-enumNames", node.get("x-enumNames"))]
    names.append(("x-en/enumNames", (node.get("x-en") or {}).get("enumNames")))
    for where, labels in names:
        if labels is None:
            continue
        if (
            not isinstance(labels, list)
            or len(labels) != len(values)
            or not all(isinstance(n, str) and n.strip() for n in labels)
        ):
            found.append(
                (
                    pointer(*at, *where.split("/")),
                    f"{where.replace('/', '.')} must list one label (a string) for each value of "
                    f"enum, in its order: {len(values)} of them",
                )
            )
    return found


def _object_extras(
    node: dict[str, Any], at: tuple[str | int, ...], found: list[tuple[str, str]], in_repeat: bool
) -> None:
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        found.append(
            (
                pointer(*at, "additionalProperties"),
                "additionalProperties must be false (or absent): free keys have no question",
            )
        )
    for i, entry in enumerate(node.get("allOf") or []):
        where = (*at, "allOf", i)
        if not isinstance(entry, dict) or "if" not in entry:
            found.append((pointer(*where), "allOf is rendered only as if/then/else conditions"))
            continue
        for branch in ("then", "else"):
            sub = entry.get(branch)
            if sub is None:
                continue
            if not isinstance(sub, dict) or set(sub) - {"required", "properties"}:
                found.append(
                    (pointer(*where, branch), f"{branch} may hold only required and properties")
                )
                continue
            for key, prop in (sub.get("properties") or {}).items():
                if key in (node.get("properties") or {}):
                    continue  # a constraint on a question that is always shown
                _question(prop, (*where, branch, "properties", key), found, in_repeat)
    for trigger, sub in (node.get("dependentSchemas") or {}).items():
        where = (*at, "dependentSchemas", trigger)
        if not isinstance(sub, dict) or set(sub) - {"required", "properties"}:
            found.append(
                (pointer(*where), "dependentSchemas may hold only required and properties")
            )
            continue
        for key, prop in (sub.get("properties") or {}).items():
            if key not in (node.get("properties") or {}):
                _question(prop, (*where, "properties", key), found, in_repeat)


def _option_titles(
    options: list[dict[str, Any]], at: tuple[str | int, ...], found: list[tuple[str, str]]
) -> None:
    for index, option in enumerate(options):
        if not _has_title(option):
            found.append(
                (
                    pointer(*at, index),
                    "every option needs a title (its label in Chinese); the phone would show "
                    "the stored value instead",
                )
            )


def _has_title(node: dict[str, Any]) -> bool:
    title = node.get("title")
    return isinstance(title, str) and bool(title.strip())


def _is_choice(branches: Any) -> bool:
    return (
        isinstance(branches, list)
        and bool(branches)
        and all(isinstance(b, dict) and "const" in b for b in branches)
    )


def _is_alternatives(branches: Any) -> bool:
    """oneOf/anyOf of objects of questions (not of options)."""
    return (
        isinstance(branches, list)
        and bool(branches)
        and all(isinstance(b, dict) and isinstance(b.get("properties"), dict) for b in branches)
    )
