"""Limits checked before an answer is validated, so no answer costs more than a bounded effort.

A body under the size limit can still hold 250,000 empty members (751 KB), and
full validation of it took a minute and gigabytes while the answer was wrong at
its first glance: the form allows 20. So before anything else one walk over the
answers, beside their schema, counts values and depth and looks at each list
and text. One far beyond what its question allows (a list more than
ITEMS_SLACK items over its `maxItems`, a text over MAX_TEXT characters), too
many values or too deep a nesting is reported at its field and full
validation is skipped. Anything less, a list one item too long included, goes
to full validation, which then lists it with every other error; within these
limits that takes bounded time. Knows no field names of any form.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from forms.issues import Issue, pointer

MAX_VALUES = 5_000  # every value in an answer, at any depth (a full household is ~600)
MAX_DEPTH = 16  # nesting of objects and lists (the household form uses 4)
MAX_TEXT = 10_000  # characters in any one text answer
MAX_ITEMS = 1_000  # items in any one list the schema gives no maxItems
ITEMS_SLACK = 50  # items past a list's maxItems still worth validating one by one
MAX_ERRORS = 100  # issues reported for one answer; the rest are counted


def _branches(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The schema itself and the then/else/allOf/dependentSchemas parts that add properties."""
    yield node
    for key in ("then", "else"):
        if isinstance(node.get(key), dict):
            yield node[key]
    for sub in node.get("allOf") or []:
        if isinstance(sub, dict):
            yield sub
    for sub in (node.get("dependentSchemas") or {}).values():
        if isinstance(sub, dict):
            yield sub


def _property(node: Any, key: str) -> Any:
    if not isinstance(node, dict):
        return None
    for part in _branches(node):
        found = (part.get("properties") or {}).get(key)
        if found is not None:
            return found
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _limit(node: Any, keyword: str, cap: int) -> int:
    value = node.get(keyword) if isinstance(node, dict) else None
    return min(value, cap) if isinstance(value, int) and not isinstance(value, bool) else cap


def oversized(schema: dict[str, Any], answers: Any) -> list[Issue]:
    """Issues for every list, text, depth or count over its limit; [] when within them."""
    found: list[Issue] = []
    seen = 0
    # An explicit stack: the answers may nest deeper than Python's recursion allows.
    stack: list[tuple[Any, Any, tuple[str | int, ...]]] = [(answers, schema, ())]
    while stack:
        value, node, at = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            return [Issue("", "too_many_values", {"limit": MAX_VALUES})]
        if len(at) > MAX_DEPTH:
            found.append(Issue(pointer(*at), "too_deep", {"limit": MAX_DEPTH}))
            continue
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                limit = _limit(node, "maxLength", MAX_TEXT)
                found.append(Issue(pointer(*at), "maxLength", {"limit": limit}))
        elif isinstance(value, list):
            limit = _limit(node, "maxItems", MAX_ITEMS)
            if len(value) > min(limit + ITEMS_SLACK, MAX_ITEMS):
                found.append(Issue(pointer(*at), "maxItems", {"limit": limit}))
                continue
            items = node.get("items") if isinstance(node, dict) else None
            stack.extend((v, items, (*at, i)) for i, v in enumerate(value))
        elif isinstance(value, dict):
            if len(value) > MAX_VALUES:
                return [Issue("", "too_many_values", {"limit": MAX_VALUES})]
            stack.extend((v, _property(node, k), (*at, k)) for k, v in value.items())
        if len(found) >= MAX_ERRORS:
            break
    return found
