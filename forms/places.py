"""Village questions: "which village?" answered by choosing from the place roster.

A question `{"type": "string", "pattern": "^[0-9]{12}$", "x-widget": "village"}` is
answered with a village's 12-digit statistical code, chosen, never typed. Which villages
may be chosen depends on who answers (a cadre's paired villages, an official's area), so
the list cannot be part of a form's page, which is rendered once and shared by everyone
who opens it (server/pages.py). The renderer leaves a mark in the question's <select>
(`<!--ms-villages:CODE-->`, CODE the answer shown) and the server puts each visitor's
villages there, grouped by township, with `fill_villages`. The phone turns that list into
a township list and a village list (forms/static/places.js); the server checks an answer's
code against the roster and the sender's villages (server/place_answers.py).

Pure: no I/O, no server import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import groupby
from typing import Any, NamedTuple

from markupsafe import escape

from forms.media import widget_answers, widget_shape

VILLAGE = "village"
# What the phone's lists are called and what the empty choice says, by language.
LEVELS = {
    "zh": {"county": "县区", "township": "乡镇", "village": "村", "choose": "请选择"},
    "en": {"county": "County", "township": "Township", "village": "Village", "choose": "Choose"},
}
_MARK = re.compile(r"<!--ms-villages:([0-9]{0,12})[^>]*?-->")


class VillageChoice(NamedTuple):
    """A village one may choose, with the township it is listed under."""

    code: str
    name: str
    township_code: str
    township_name: str


def village_problems(node: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(where under the question, problem) for a village question of the wrong shape."""
    if node.get("x-widget") != VILLAGE:
        return []
    if node.get("type") != "string" or "oneOf" in node or "anyOf" in node or "enum" in node:
        return [
            (
                (),
                "x-widget village needs type string without options (its answer is the"
                ' village\'s 12-digit code; write "pattern": "^[0-9]{12}$")',
            )
        ]
    return []


def has_village_question(schema: dict[str, Any], schema_key: str | None = None) -> bool:
    return widget_shape(schema, VILLAGE, schema_key) is not None


def village_answers(
    schema: dict[str, Any], answers: Any, schema_key: str | None = None
) -> list[tuple[str, str]]:
    """(JSON pointer, code) of every village the answers name, in order."""
    return widget_answers(schema, answers, VILLAGE, schema_key)


def answered_village(
    schema: dict[str, Any], answers: Any, schema_key: str | None = None
) -> str | None:
    """For a village-level form (`x-subject: village`), the village its answers name in
    a village question outside any repeat group: what the answer is about when the
    sender did not name it beside the answers (a page sent without JavaScript, say)."""
    for where, code in village_answers(schema, answers, schema_key):
        if not any(part.isdigit() for part in where.split("/")):
            return code
    return None


def village_mark(value: Any) -> str:
    """What the renderer leaves in a village question's <select>: the answer it shows."""
    code = value if isinstance(value, str) and value.isascii() and value.isdigit() else ""
    return f"<!--ms-villages:{code[:12]}-->"


def village_options(villages: Iterable[VillageChoice], chosen: str = "") -> str:
    """The <option>s of a village question: by township (<optgroup>), as they are given."""
    out: list[str] = []
    for (_, township), group in groupby(villages, lambda v: (v.township_code, v.township_name)):
        out.append(f'<optgroup label="{escape(township)}">')
        for v in group:
            selected = " selected" if v.code == chosen else ""
            out.append(f'<option value="{escape(v.code)}"{selected}>{escape(v.name)}</option>')
        out.append("</optgroup>")
    return "".join(out)


def fill_villages(html: str, villages: list[VillageChoice]) -> str:
    """A rendered page with each village question offering `villages`."""
    return _MARK.sub(lambda m: village_options(villages, m.group(1)), html)


def has_mark(html: str) -> bool:
    return "<!--ms-villages:" in html
