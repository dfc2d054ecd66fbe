"""The line of a JSON text where the value a JSON pointer names begins.

A designer's editor jumps to `file:line`, not to a JSON pointer, so problems are
printed with both. Python's JSON parser keeps no positions, so this reads the
text once more with a small tokenizer that follows where it is in the document.
It only runs on text that parsed, so it trusts the text's shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

# A string (an unterminated one runs to the end, so no start is scanned twice),
# a punctuation mark, or a run of anything else (a number, true, false, null).
_TOKEN = re.compile(r'"[^"\\]*(?:\\[\s\S][^"\\]*)*(?:"|\\?\Z)|[\[\]{}:,]|[^\s\[\]{}:,"]+')


@dataclass
class _Container:
    at: str  # the container's own pointer
    is_object: bool
    key: str = "0"  # the member or index being read
    wants_key: bool = False


def pointer_lines(text: str, pointers: Iterable[str]) -> dict[str, int]:
    """Each pointer's line (counted from 1); a pointer to something absent (a missing
    `title`) gets the line of the nearest value around it that is present."""
    wanted = {at for at in pointers if at == "" or at.startswith("/")}
    prefixes = {""}
    for at in wanted:
        parts = at.split("/")
        prefixes.update("/".join(parts[:n]) for n in range(2, len(parts) + 1))
    starts: dict[str, int] = {}
    stack: list[_Container] = []
    line, counted = 1, 0
    for token in _TOKEN.finditer(text):
        kind = token.group()
        top = stack[-1] if stack else None
        if top is not None and top.is_object and top.wants_key:
            if kind.startswith('"'):
                top.key, top.wants_key = json.loads(kind), False
            elif kind == "}":
                stack.pop()
            continue
        if kind == ":":
            continue
        if kind == ",":
            if top is not None:
                top.wants_key = top.is_object
                if not top.is_object:
                    top.key = str(int(top.key) + 1)
            continue
        if kind in "]}":
            stack.pop()
            continue
        at = "" if top is None else top.at + "/" + top.key.replace("~", "~0").replace("/", "~1")
        if at in prefixes:
            line += text.count("\n", counted, token.start())
            counted = token.start()
            starts[at] = line
        if kind in "[{":
            stack.append(_Container(at, kind == "{", wants_key=kind == "{"))
    found = {}
    for at in wanted:
        probe = at
        while probe not in starts and probe:
            probe = probe.rsplit("/", 1)[0]  # a pointer's parts each start with "/"
        if probe in starts:
            found[at] = starts[probe]
    return found
