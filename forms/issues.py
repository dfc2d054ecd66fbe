"""The one shape every answer error takes, whether JSON Schema or a form rule found it.

A phone shows an error beside the field its `path` (a JSON pointer into the
answers) names, so schema errors and rule errors must look the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Issue:
    """Something wrong with one answer, before it is put into words."""

    path: str  # JSON pointer into the answers, "" for the whole document
    code: str  # a key of forms.messages.MESSAGES
    params: dict[str, Any] = field(default_factory=dict)
    # The message itself, by language, when the form wrote it (an x-rules entry's).
    words: dict[str, str] | None = None


def pointer(*parts: str | int) -> str:
    """Build a JSON pointer, escaping "~" and "/" as RFC 6901 asks."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
