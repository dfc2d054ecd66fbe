"""References (`$ref`) in a form: to something in the document, and never round in a circle.

A form is published as one document and filled on phones that are often
offline, so everything it uses must be in it: a `$ref` to another address
(`https://...`, `urn:...`, `other.json`) is refused, never fetched. A reference
that leads back to a schema it is inside, directly (`a` -> `b` -> `a`) or
through the questions it contains (a member whose children are members),
describes a form without end: the validators and the renderer would follow it
until Python's stack gives out. Such cycles are found by following every
reference once, with a stack of our own, before anything else follows them.

Rendering local references (`$defs` shared choice lists) comes later; until then
forms.render_check refuses every `$ref`, and this module gives the ones that
could never work their own message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin

from forms.issues import pointer
from forms.subschemas import Path, children

REFERENCES = ("$ref", "$dynamicRef")
ANCHORS = ("$anchor", "$dynamicAnchor")
SHOWN_HOPS = 4  # references named in a cycle's message; a long one is cut in the middle


@dataclass
class _Document:
    """What the walk of a document finds: its schemas, resources, anchors and references."""

    schemas: set[Path] = field(default_factory=set)
    resources: dict[str, Path] = field(default_factory=dict)  # $id without fragment -> schema
    anchors: dict[tuple[str, str], Path] = field(default_factory=dict)
    references: list[tuple[Path, str, str, str]] = field(default_factory=list)
    edges: dict[Path, list[Path]] = field(default_factory=dict)  # schema -> schemas inside it


def reference_problems(schema: Any) -> list[tuple[str, str]]:
    """(JSON pointer of the keyword, why) for each reference that leaves the document,
    points at nothing, or leads round in a circle."""
    document = _walk(schema)
    found: list[tuple[str, str]] = []
    targets: dict[Path, tuple[Path, str]] = {}  # one reference per schema is followed
    for at, keyword, base, value in document.references:
        target, problem = _resolve(schema, document, base, value)
        if problem:
            found.append((pointer(*at, keyword), problem))
        elif target is not None:
            targets.setdefault(at, (target, keyword))
    found.extend(_cycles(document, targets))
    return found


def _walk(schema: Any) -> _Document:
    document = _Document()
    stack: list[tuple[Path, Any, str]] = [((), schema, "")]
    while stack:
        at, node, base = stack.pop()
        if not isinstance(node, dict | bool):
            continue
        document.schemas.add(at)
        document.edges[at] = []
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("$id"), str):
            base = urljoin(base, node["$id"]).partition("#")[0]
            document.resources.setdefault(base, at)
        elif at == ():
            document.resources[base] = at
        for keyword in ANCHORS:
            if isinstance(node.get(keyword), str):
                document.anchors.setdefault((base, node[keyword]), at)
        for keyword in REFERENCES:
            if isinstance(node.get(keyword), str):
                document.references.append((at, keyword, base, node[keyword]))
        inside = [((*at, *step), sub) for step, sub, _ in children(node)]
        document.edges[at] = [path for path, sub in inside if isinstance(sub, dict | bool)]
        stack.extend((path, sub, base) for path, sub in reversed(inside))
    return document


def _resolve(
    schema: Any, document: _Document, base: str, value: str
) -> tuple[Path | None, str | None]:
    """The schema a reference names, or why it names none."""
    address, _, fragment = (
        base + value if value.startswith("#") else urljoin(base, value)
    ).partition("#")
    resource = document.resources.get(address)
    if resource is None:
        return None, (
            f"{value} refers outside this form: a form must hold everything it uses "
            "(copy what it needs into $defs); nothing is fetched"
        )
    if not fragment.startswith("/") and fragment:
        found = document.anchors.get((address, fragment))
        if found is None:
            return None, f"{value} names an anchor no schema in this form has"
        return found, None
    at: list[str | int] = list(resource)
    node = _value_at(schema, at)
    for part in fragment.split("/")[1:] if fragment else []:
        key = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
            at.append(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
            at.append(int(key))
        else:
            return None, f"{value} points at nothing in this form"
    if tuple(at) not in document.schemas:
        return None, f"{value} points at something that is not a schema"
    return tuple(at), None


def _value_at(document: Any, at: list[str | int]) -> Any:
    for step in at:
        document = document[step]
    return document


def _cycles(
    document: _Document, targets: dict[Path, tuple[Path, str]]
) -> Iterator[tuple[str, str]]:
    """A problem at each reference that closes a circle, found by one depth-first walk."""
    state: dict[Path, int] = {}  # 1 while on the walk's path, 2 when done
    path: list[Path] = []
    for root in document.edges:
        if root in state:
            continue
        work: list[tuple[Path, int]] = [(root, 0)]
        while work:
            node, step = work.pop()
            if step == 0:
                state[node] = 1
                path.append(node)
            onward = list(document.edges[node])
            if node in targets:
                onward.append(targets[node][0])
            if step < len(onward):
                work.append((node, step + 1))
                target = onward[step]
                if state.get(target) == 1:  # only a reference can lead back up the walk
                    yield _cycle_problem(path[path.index(target) :], targets, node)
                elif target not in state:
                    work.append((target, 0))
                continue
            state[node] = 2
            path.pop()


def _cycle_problem(
    circle: list[Path], targets: dict[Path, tuple[Path, str]], closing: Path
) -> tuple[str, str]:
    """The problem at the reference `closing`, naming each reference round the circle."""
    hops = [
        at
        for index, at in enumerate(circle)
        if at in targets and (at == closing or circle[index + 1] == targets[at][0])
    ]
    named = [f"{pointer(*at, targets[at][1])} refers to #{pointer(*targets[at][0])}" for at in hops]
    if len(named) > SHOWN_HOPS:
        named = [*named[: SHOWN_HOPS - 1], f"... {len(named)} references in all", named[-1]]
    return (
        pointer(*closing, targets[closing][1]),
        f"$ref cycle ({'; '.join(named)}): following it leads back where it started, "
        "so the form would never end",
    )
