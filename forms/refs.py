"""A form as the phone shows it: references inlined and `allOf` merges flattened.

A designer shares a choice list or a group of questions through `$defs` (or the older
`definitions`) and `$ref`, and builds an object from parts with `allOf`. The validators
follow these keywords themselves, so the server and the phone validate the stored
schema unchanged; but the renderer, the plain-POST reader and the phone's script walk
a form by its `properties`, `items` and conditions. They walk this **view** instead:

- a `$ref` to a schema of the same document (`#/$defs/villages`) is replaced by that
  schema, the keywords beside the `$ref` (a `title`) taking precedence over the target's;
- an `allOf` entry that is not a condition (`if`/`then`/`else`) is merged into the object
  around it: properties side by side (a property named in two parts is merged too),
  `required` added together; conditions stay in `allOf`, where the renderer reads them;
- a choice written as `anyOf`/`oneOf` of single-value `enum`s reads as `const` options.

The view is worked out once per schema (keyed by its hash, as forms/media.py keeps
photo paths) and remembers where each of its schemas came from, so a problem found in
it is reported at its place in the file. References that leave the document or go round
in a circle are refused before a view is made (forms/references.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from forms.issues import pointer
from forms.subschemas import Path

MAX_SCHEMAS = 5000  # as forms/limits.py: a view that inlines more is refused, not built
DEFINITIONS = ("$defs", "definitions")
_CONDITION = ("if", "then", "else")
# Keywords whose value is one schema, or a map or list of schemas, rebuilt in the view.
_ONE = ("items", "if", "then", "else", "not", "contains", "propertyNames", "unevaluatedItems")
_CLOSING = ("additionalProperties", "unevaluatedProperties")
_MAPS = ("properties", "patternProperties", "dependentSchemas")
_LISTS = ("oneOf", "anyOf", "prefixItems")


class ViewTooBig(Exception):
    """Inlining the references would give a form too big for a phone."""


@dataclass
class View:
    schema: dict[str, Any]
    origins: dict[Path, Path] = field(default_factory=dict)  # view path -> path in the file
    problems: list[tuple[str, str]] = field(default_factory=list)  # pointers into the file
    changed: bool = True  # False when the view is the schema itself: nothing to inline

    def where(self, view_pointer: str) -> str:
        """The place in the file of a place in the view (a JSON pointer)."""
        parts: list[str | int] = [
            p.replace("~1", "/").replace("~0", "~") for p in view_pointer.split("/")[1:]
        ]
        for cut in range(len(parts), -1, -1):
            origin = self.origins.get(tuple(parts[:cut]))
            if origin is not None:
                return pointer(*origin, *parts[cut:])
        return view_pointer


def needs_view(schema: Any) -> bool:
    """Whether a form uses anything the view changes: otherwise the view is the form."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node or any(not _is_condition(e) for e in _list(node.get("allOf"))):
                return True
            if any(_single_enum(b) for k in ("oneOf", "anyOf") for b in _list(node.get(k))):
                return True
            stack.extend(v for k, v in node.items() if k not in ("const", "enum", "default"))
        elif isinstance(node, list):
            stack.extend(node)
    return False


_VIEWS: dict[str, View] = {}


def form_view(schema: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """The form as the renderer walks it (the schema itself when nothing needs inlining)."""
    return view_of(schema, key).schema


def view_of(schema: dict[str, Any], key: str | None = None) -> View:
    """The view with where each of its schemas came from, kept under `key` (the schema's
    hash; worked out here when not given)."""
    if key is None:
        from forms.schema import schema_hash

        key = schema_hash(schema)
    found = _VIEWS.get(key)
    if found is None:
        if len(_VIEWS) >= 256:
            _VIEWS.clear()
        found = _VIEWS[key] = build_view(schema)
    return found


def build_view(schema: dict[str, Any]) -> View:
    """The view of a schema whose references are all local and acyclic (checked first)."""
    if not needs_view(schema):
        return View(schema, {(): ()}, changed=False)
    builder = _Builder(schema)
    try:
        view = builder.node([(schema, ())], ())
    except RecursionError as exc:
        raise ViewTooBig("references nested too deep to show") from exc
    return View(view, builder.origins, builder.problems)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_condition(entry: Any) -> bool:
    return isinstance(entry, dict) and any(k in entry for k in _CONDITION)


def _single_enum(branch: Any) -> bool:
    return (
        isinstance(branch, dict)
        and "const" not in branch
        and isinstance(branch.get("enum"), list)
        and len(branch["enum"]) == 1
    )


Part = tuple[dict[str, Any], Path]  # a schema that makes up a view node, and its place


class _Builder:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.count = 0
        self.origins: dict[Path, Path] = {}
        self.problems: list[tuple[str, str]] = []

    def target(self, ref: str) -> tuple[Any, Path]:
        """The schema a local `#/...` reference names (checked to exist beforehand)."""
        node: Any = self.root
        at: list[str | int] = []
        for part in unquote(ref.partition("#")[2]).split("/")[1:]:
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(key)]
                at.append(int(key))
            else:
                node = node[key]
                at.append(key)
        return node, tuple(at)

    def parts(self, node: Any, origin: Path, seen: frozenset[Path]) -> list[Part]:
        """The node, what it references and the allOf entries merged into it, flattened."""
        if not isinstance(node, dict):
            return []
        own = {k: v for k, v in node.items() if k != "$ref"}
        merged = [(i, e) for i, e in enumerate(_list(node.get("allOf"))) if not _is_condition(e)]
        if merged:
            own["allOf"] = [e for e in _list(node.get("allOf")) if _is_condition(e)]
            own["x-allOf-at"] = [
                (*origin, "allOf", i) for i, e in enumerate(node["allOf"]) if _is_condition(e)
            ]
        found: list[Part] = [(own, origin)]
        ref = node.get("$ref")
        if (isinstance(ref, str) and ref.startswith("#/")) or ref == "#":
            target, at = self.target(str(ref))
            if at not in seen:  # a cycle is refused by forms/references.py
                found += self.parts(target, at, seen | {at})
        for index, entry in merged:
            found += self.parts(entry, (*origin, "allOf", index), seen)
        self._closed(found)
        return found

    def _closed(self, parts: list[Part]) -> None:
        """A part closed by additionalProperties: false sees only its own properties: the
        properties another part adds are refused as 此项不适用, whatever the page shows."""
        names = {k: at for part, at in parts for k in _dict(part.get("properties"))}
        for part, at in parts:
            if part.get("additionalProperties") is not False:
                continue
            own = set(_dict(part.get("properties")))
            for name in sorted(set(names) - own):
                self.problems.append(
                    (
                        pointer(*at, "additionalProperties"),
                        f"additionalProperties: false here sees only the properties beside it, "
                        f"so {name!r} (from {pointer(*names[name]) or '/'}) is refused as "
                        "此项不适用 and the page can never be passed; put additionalProperties: "
                        "false (or unevaluatedProperties: false) only on the object that has "
                        "every property",
                    )
                )

    def node(self, parts: list[Part], at: Path) -> Any:
        """The view of the schema made of `parts`, placed at `at` in the view."""
        flat: list[Part] = []
        for schema, origin in parts:
            flat += self.parts(schema, origin, frozenset({origin}))
        if not flat:
            return parts[0][0] if parts else {}
        self.count += 1
        if self.count > MAX_SCHEMAS:
            raise ViewTooBig(f"inlining the references makes more than {MAX_SCHEMAS} schemas")
        self.origins[at] = flat[0][1]
        out: dict[str, Any] = {}
        for part, origin in flat:
            for key, value in part.items():
                if key == "x-allOf-at" or key in DEFINITIONS:
                    continue
                if key == "properties" and isinstance(value, dict):
                    props = out.setdefault("properties", {})
                    for name, sub in value.items():
                        props.setdefault(name, []).append((sub, (*origin, key, name)))
                elif key == "required" and isinstance(value, list):
                    names = out.setdefault("required", [])
                    names += [n for n in value if n not in names]
                elif key == "allOf" and isinstance(value, list):
                    places = part.get("x-allOf-at") or [
                        (*origin, "allOf", i) for i in range(len(value))
                    ]
                    out.setdefault("allOf", []).extend(zip(value, places, strict=True))
                elif key == "type":
                    if "type" not in out:
                        out["type"] = value
                        self.origins[(*at, key)] = (*origin, key)
                    elif isinstance(out["type"], list) and isinstance(value, str):
                        out["type"] = value if value in out["type"] else out["type"]
                elif key == "x-en" and key in out and isinstance(value, dict):
                    words, where = out[key]  # English words beside a $ref come first
                    out[key] = ({**value, **words} if isinstance(words, dict) else words, where)
                elif key not in out:
                    out[key] = (value, (*origin, key))
                    self.origins[(*at, key)] = (*origin, key)
        return self._rebuild(out, at)

    def _rebuild(self, out: dict[str, Any], at: Path) -> dict[str, Any]:
        view: dict[str, Any] = {}
        for key, value in out.items():
            if key == "properties":
                view[key] = {
                    name: self.node(subs, (*at, key, name)) for name, subs in value.items()
                }
            elif key == "required" or key == "type":
                view[key] = value
            elif key == "allOf" and not value:
                continue
            elif key == "allOf":
                view[key] = [
                    self.node([(entry, origin)], (*at, key, index))
                    for index, (entry, origin) in enumerate(value)
                ]
            else:
                raw, origin = value
                view[key] = self._keyword(key, raw, origin, (*at, key))
        return view

    def _keyword(self, key: str, value: Any, origin: Path, at: Path) -> Any:
        if key in _ONE + _CLOSING and isinstance(value, dict):
            return self.node([(value, origin)], at)
        if key in _MAPS and isinstance(value, dict):
            return {n: self.node([(s, (*origin, n))], (*at, n)) for n, s in value.items()}
        if key in _LISTS and isinstance(value, list):
            branches = [self.node([(s, (*origin, i))], (*at, i)) for i, s in enumerate(value)]
            if key != "prefixItems" and all(_single_enum(b) or _const(b) for b in branches):
                branches = [_as_const(b) for b in branches]
            return branches
        return value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _const(branch: Any) -> bool:
    return isinstance(branch, dict) and "const" in branch


def _as_const(branch: dict[str, Any]) -> dict[str, Any]:
    """`{"enum": [v], ...}` as `{"const": v, ...}`: one option of a choice."""
    if "const" in branch:
        return branch
    return {
        ("const" if k == "enum" else k): (v[0] if k == "enum" else v) for k, v in branch.items()
    }
