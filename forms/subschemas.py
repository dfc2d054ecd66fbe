"""Which values of a JSON Schema 2020-12 document are schemas, found without recursion.

A check that looks inside a form must tell the keywords whose values are schemas
(each value of `properties`, each entry of `allOf`, the value of `items`) from
the ones whose values are data (`enum`, `const`, `default`, `examples`):
walking the raw JSON would take a question called "properties" for the keyword.
The walk keeps its own stack, so a document nested a hundred thousand deep
cannot exhaust Python's, and it reads documents the metaschema has not yet
passed, so it takes nothing about their shape for granted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]

# keyword -> whether its subschemas describe a value one level down in the answer
ONE_SCHEMA = {
    "items": True,
    "additionalProperties": True,
    "unevaluatedProperties": True,
    "unevaluatedItems": True,
    "contains": True,
    "propertyNames": False,  # describes the names, which are not answers
    "if": False,
    "then": False,
    "else": False,
    "not": False,
    "contentSchema": False,
}
SCHEMA_BY_NAME = {"properties": True, "patternProperties": True, "dependentSchemas": False}
SCHEMA_LIST = {"allOf": False, "anyOf": False, "oneOf": False, "prefixItems": True}
# Schemas for $ref, at no place in the answer of their own; `definitions` is draft 7's name,
# which every validator still follows a JSON pointer into.
DEFINITIONS = ("$defs", "definitions")


@dataclass(frozen=True)
class Subschema:
    path: Path  # from the document's root, as JSON pointer parts
    node: dict[str, Any] | bool
    answer_depth: int  # objects and arrays around the value it describes


def children(node: dict[str, Any]) -> Iterator[tuple[Path, Any, bool]]:
    """(relative path, subschema, whether it is one level down in the answer), in key order."""
    for key, value in node.items():
        if key in ONE_SCHEMA:
            yield (key,), value, ONE_SCHEMA[key]
        elif key in SCHEMA_BY_NAME and isinstance(value, dict):
            for name, sub in value.items():
                yield (key, name), sub, SCHEMA_BY_NAME[key]
        elif key in DEFINITIONS and isinstance(value, dict):
            for name, sub in value.items():
                yield (key, name), sub, False
        elif key in SCHEMA_LIST and isinstance(value, list):
            for index, sub in enumerate(value):
                yield (key, index), sub, SCHEMA_LIST[key]


def subschemas(schema: Any) -> Iterator[Subschema]:
    """Every schema in the document, the root first, in document order.

    Values where a schema belongs but that are neither an object nor a boolean
    are skipped: the metaschema reports those.
    """
    stack: list[tuple[Path, Any, int]] = [((), schema, 0)]
    while stack:
        path, node, depth = stack.pop()
        if not isinstance(node, dict | bool):
            continue
        yield Subschema(path, node, depth)
        if isinstance(node, dict):
            below = [((*path, *step), sub, depth + down) for step, sub, down in children(node)]
            stack.extend(reversed(below))


def chosen_alternative(branches: list[dict[str, Any]], shared: Any, value: Any) -> int | None:
    """The alternative an answer took: the first whose own questions it answers."""
    answered = set(value) if isinstance(value, dict) else set()
    for index, branch in enumerate(branches):
        if answered & (set(branch["properties"]) - set(shared or {})):
            return index
    return None
