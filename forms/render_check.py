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

WIDGETS = {"radio", "select", "checkboxes", "textarea", "yesno", PHOTO, LOCATION}
FORMATS = {"date", "email"}  # the only formats both the server and the phone check
SCALARS = {"string", "integer", "number", "boolean"}
# Keywords that only constrain an answer; the validators enforce them, nothing to show.
_UNSUPPORTED = {
    "$ref": "references ($ref) are not rendered; write the question out",
    "$dynamicRef": "dynamic references are not rendered",
    "patternProperties": "patternProperties has no questions to show",
    "prefixItems": "tuples (prefixItems) cannot be shown as a repeat group",
    "contains": "contains cannot be shown as a question",
    "not": "not cannot be shown as a question",
    "anyOf": "anyOf is not rendered; use oneOf of const options for a choice",
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
    if "oneOf" in node and not _is_choice(node["oneOf"]):
        found.append(
            (
                pointer(*at, "oneOf"),
                "oneOf is rendered only as a choice: each branch a const with a title",
            )
        )
    elif "oneOf" in node:
        _option_titles(node["oneOf"], (*at, "oneOf"), found)
    if kind in SCALARS:
        fmt = node.get("format")
        if fmt is not None and fmt not in FORMATS:
            found.append(
                (
                    pointer(*at, "format"),
                    f"format {fmt!r} is not checked on the phone; use date or email, or a pattern",
                )
            )
        if (
            kind == "string"
            and node.get("oneOf") is None
            and node.get("enum") is None
            and widget in ("radio", "select", "checkboxes", "yesno")
        ):
            found.append((pointer(*at, "x-widget"), f"x-widget {widget} needs options"))
        return
    if kind == "object":
        if not isinstance(node.get("properties"), dict):
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
            if in_repeat:
                found.append((pointer(*at), "a repeat group inside a repeat group is not rendered"))
                return
            _question(items, (*at, "items"), found, in_repeat=True, titled=False)
            return
        if _is_choice(items.get("oneOf")):
            _option_titles(items["oneOf"], (*at, "items", "oneOf"), found)
        elif not isinstance(items.get("enum"), list):
            found.append(
                (
                    pointer(*at, "items"),
                    "an array of answers must be a multiple choice "
                    "(items with oneOf of const options, or enum) or of objects",
                )
            )
        return
    found.append((pointer(*at, "type"), f"type {kind!r} cannot be shown as a question"))


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
