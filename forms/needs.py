"""Which answers are needs: the arrays a form declares with `"x-needs": true`.

A need raised on a visit is followed after the visit, step by step, until it is
solved or honestly explained; the server keeps each one as an item of its own
(server/needs_sync.py). Which of a form's arrays hold such needs is said by the
form, not known by a field's name: a top-level array section whose schema has
`"x-needs": true`. Each of its entries is one need, with a `category` and an
`item` (the two together say which need it is when the household is surveyed
again), a `description` and an `urgency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forms.issues import pointer

KEYWORD = "x-needs"
# The fields of a need entry: the first two name it, the others describe it.
KEY_FIELDS = ("category", "item")
FIELDS = (*KEY_FIELDS, "description", "urgency")


@dataclass(frozen=True)
class ListedNeed:
    """One need as an answer lists it, at `path` (a JSON pointer such as /needs/2)."""

    path: str
    category: str
    item: str
    description: str | None
    urgency: str | None

    @property
    def key(self) -> tuple[str, str]:
        return self.category, self.item


def needs_fields(schema: dict[str, Any]) -> tuple[str, ...]:
    """The names of the top-level arrays of `schema` that hold needs, in the form's order."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return ()
    return tuple(
        name
        for name, node in properties.items()
        if isinstance(node, dict) and node.get(KEYWORD) is True
    )


def listed_needs(answers: Any, fields: tuple[str, ...]) -> list[ListedNeed]:
    """Every need an answer lists in the arrays `fields`, in the order written.

    An entry without a category and an item (text) is not a need one could follow
    up; the schema requires both, so a stored answer has none such.
    """
    found: list[ListedNeed] = []
    for name in fields:
        entries = answers.get(name) if isinstance(answers, dict) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            category, item = entry.get("category"), entry.get("item")
            if not (isinstance(category, str) and isinstance(item, str)):
                continue
            description, urgency = entry.get("description"), entry.get("urgency")
            found.append(
                ListedNeed(
                    pointer(name, index),
                    category,
                    item,
                    description if isinstance(description, str) else None,
                    urgency if isinstance(urgency, str) else None,
                )
            )
    return found


def needs_problems(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each `x-needs` the server could not follow up."""
    found: list[tuple[str, str]] = []
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for at in _elsewhere(schema, ()):
        if not (len(at) == 2 and at[0] == "properties"):
            found.append(
                (
                    pointer(*at, KEYWORD),
                    "x-needs marks a top-level array section (a property of the survey"
                    " itself), not a question inside one",
                )
            )
    for name, node in (properties or {}).items():
        if not isinstance(node, dict) or KEYWORD not in node:
            continue
        at = ("properties", name)
        if node[KEYWORD] is not True:
            found.append((pointer(*at, KEYWORD), "x-needs is true or absent"))
            continue
        items = node.get("items")
        if node.get("type") != "array" or not isinstance(items, dict):
            found.append((pointer(*at), "x-needs marks an array of needs (type: array, items)"))
            continue
        fields = items.get("properties") if isinstance(items.get("properties"), dict) else {}
        missing = [f for f in FIELDS if f not in (fields or {})]
        if missing:
            found.append(
                (
                    pointer(*at, "items", "properties"),
                    "each need has " + ", ".join(FIELDS) + "; missing: " + ", ".join(missing),
                )
            )
        required = items.get("required") if isinstance(items.get("required"), list) else []
        unrequired = [f for f in KEY_FIELDS if f not in (required or [])]
        if unrequired:
            found.append(
                (
                    pointer(*at, "items", "required"),
                    "a need's category and item say which need it is when the household is"
                    " surveyed again: require " + " and ".join(unrequired),
                )
            )
    return found


def _elsewhere(node: Any, at: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """The pointers of every schema holding x-needs, wherever it is."""
    found: list[tuple[str | int, ...]] = []
    if isinstance(node, dict):
        if KEYWORD in node and at:
            found.append(at)
        for key, child in node.items():
            if key not in ("const", "enum", "default", "examples", "x-en"):
                found += _elsewhere(child, (*at, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _elsewhere(child, (*at, index))
    return found
