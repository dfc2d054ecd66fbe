"""Schema constructs the phone renderer cannot show, found before anyone opens a form."""

from __future__ import annotations

from typing import Any


def unsupported_constructs(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each construct the renderer cannot show."""
    return []
