"""Photos and locations: the two questions whose answer is more than what a person types.

A photo question (the house, for 危房改造) is a string with `"x-widget": "photo"`. Its
answer is the photo's id, a UUID the phone makes; the picture itself is uploaded on its
own (`PUT /api/media/{id}`, idempotent), before the answer that names it. So an answer
stays small JSON that can be resent any number of times, and a picture travels once.

A location question is an object with `"x-widget": "location"` whose answer is the
phone's GPS fix: `lat` and `lon` (degrees, WGS 84 as the phone gives them), `accuracy_m`
(the fix's accuracy in metres) and `at` (when it was taken, ISO 8601 UTC).

The server finds photos by this convention, never by a field's name. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from forms.issues import pointer
from forms.refs import form_view

PHOTO = "photo"
LOCATION = "location"
# A location's parts and their JSON types; lat and lon are the fix itself.
LOCATION_PARTS = {"lat": "number", "lon": "number", "accuracy_m": "number", "at": "string"}
LOCATION_NEEDS = ("lat", "lon")


def widget_problems(node: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(where under the question, problem) for a photo or location question of the wrong
    shape; none for any other question."""
    widget = node.get("x-widget")
    if widget == PHOTO:
        if node.get("type") != "string" or "oneOf" in node or "enum" in node:
            return [((), "x-widget photo needs type string (its answer is the photo's id)")]
        return []
    if widget != LOCATION:
        return []
    if node.get("type") != "object":
        return [((), "x-widget location needs type object with lat, lon, accuracy_m, at")]
    props = node.get("properties") or {}
    found: list[tuple[tuple[str, ...], str]] = []
    for key in LOCATION_NEEDS:
        if key not in props:
            found.append((("properties",), f"a location needs {key} (a number)"))
    for key, sub in props.items():
        want = LOCATION_PARTS.get(key)
        if want is None:
            found.append((("properties", key), "a location holds only lat, lon, accuracy_m and at"))
        elif not isinstance(sub, dict) or sub.get("type") != want:
            found.append((("properties", key, "type"), f"a location's {key} is a {want}"))
    if "allOf" in node or "dependentSchemas" in node:
        found.append(((), "a location cannot have conditional questions"))
    return found


# Where a schema's questions of one widget are, worked out once per schema and widget (key:
# its hash): the answers are then walked only along those paths, and not at all for a form
# without one.
_SHAPES: dict[tuple[str, str], Any] = {}


def photo_refs(
    schema: dict[str, Any], answers: Any, schema_key: str | None = None
) -> list[tuple[str, str]]:
    """(JSON pointer of the answer, photo id) of every photo the answers name, in order."""
    return widget_answers(schema, answers, PHOTO, schema_key)


def widget_answers(
    schema: dict[str, Any], answers: Any, widget: str, schema_key: str | None = None
) -> list[tuple[str, str]]:
    """(JSON pointer, answer) of every non-empty text answer to a question with this
    `x-widget` (a photo's id, a village's code), in order."""
    shape = widget_shape(schema, widget, schema_key)
    return list(_answers(shape, widget, answers, "")) if shape is not None else []


def widget_shape(schema: dict[str, Any], widget: str, schema_key: str | None = None) -> Any:
    """The schema cut down to the paths that lead to a question with this `x-widget`;
    None for a form without one."""
    if schema_key is None:
        return _shape(form_view(schema), widget)
    key = (schema_key, widget)
    if key not in _SHAPES:
        if len(_SHAPES) >= 256:
            _SHAPES.clear()
        _SHAPES[key] = _shape(form_view(schema, schema_key), widget)
    return _SHAPES[key]


def _shape(node: Any, widget: str) -> Any:
    """The schema cut down to the paths that lead to the widget: `widget` for one of its
    questions, an object's {key: shape}, an array's [shape]; None where none is below."""
    if not isinstance(node, dict):
        return None
    if node.get("x-widget") == widget:
        return widget
    kind = node.get("type")
    if kind == "object":
        inner = {key: _shape(sub, widget) for key, sub in _properties(node).items()}
        kept = {key: shape for key, shape in inner.items() if shape is not None}
        return kept or None
    if kind == "array":
        items = _shape(node.get("items"), widget)
        return [items] if items is not None else None
    return None


def _answers(shape: Any, widget: str, answers: Any, at: str) -> Iterator[tuple[str, str]]:
    if shape == widget:
        if isinstance(answers, str) and answers:
            yield at, answers
    elif isinstance(shape, dict) and isinstance(answers, dict):
        for key, sub in shape.items():
            if key in answers:
                yield from _answers(sub, widget, answers[key], at + pointer(key))
    elif isinstance(shape, list) and isinstance(answers, list):
        for index, item in enumerate(answers):
            yield from _answers(shape[0], widget, item, f"{at}/{index}")


def _properties(node: dict[str, Any]) -> dict[str, Any]:
    """An object's questions: those always asked, then those of its conditions' branches."""
    props = dict(node.get("properties") or {})
    for branch in node.get("oneOf") or node.get("anyOf") or []:  # an object's alternatives
        for key, prop in (
            (branch if isinstance(branch, dict) else {}).get("properties") or {}
        ).items():
            props.setdefault(key, prop)
    for entry in node.get("allOf") or []:
        for branch in ("then", "else"):
            sub = entry.get(branch) if isinstance(entry, dict) else None
            for key, prop in ((sub or {}).get("properties") or {}).items():
                props.setdefault(key, prop)
    return props
