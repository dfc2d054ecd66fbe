"""A small form with a village question (`"x-widget": "village"`, forms/places.py).

A 帮扶走访 (help visit) record: which village the visit was in, chosen from the villages
the cadre works in, and what was done. Answered per roster household, like the household
form, so the same pages and API carry it.
"""

from __future__ import annotations

import copy
from typing import Any

FORM_ID = "visit_place"


def _q(kind: str, zh: str, en: str, **more: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "title": zh,
        "description": zh,
        "x-en": {"title": en, "description": en},
        **more,
    }


_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_q("object", "帮扶走访", "Help visit"),
    "properties": {
        "visit": {
            **_q("object", "走访", "Visit"),
            "properties": {
                "village": _q(
                    "string",
                    "走访村",
                    "Village visited",
                    pattern="^[0-9]{12}$",
                    **{"x-widget": "village"},
                ),
                "note": _q("string", "所做的事", "What was done", maxLength=50),
            },
            "required": ["village"],
            "additionalProperties": False,
        }
    },
    "required": ["visit"],
    "additionalProperties": False,
}


def schema() -> dict[str, Any]:
    return copy.deepcopy(_SCHEMA)
