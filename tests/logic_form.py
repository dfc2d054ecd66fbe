"""A small form that shows a schema's own checks and computed values end to end.

A 村民小组 (village group) survey: 贫困户 may not exceed 户数 (x-rules), the share
of poor households is worked out (x-calculate), and the visit may not be after
today. No Python knows any of it: the server, the no-JavaScript page and the phone
all read it from the schema. Answered per roster household, like the household
form, so the same pages and API carry it.
"""

from __future__ import annotations

import copy
from typing import Any

FORM_ID = "group_survey"


def _q(kind: str, zh: str, en: str, **more: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "title": zh,
        "description": zh,
        "x-en": {"title": en, "description": en},
        **more,
    }


GROUP = _q(
    "object",
    "小组情况",
    "The group",
    properties={
        "households": _q("integer", "户数", "Households", minimum=0),
        "poor_households": _q("integer", "贫困户数", "Poor households", minimum=0),
        "poor_share": _q(
            "number",
            "贫困户占比",
            "Share of poor households",
            **{
                "x-unit": "%",
                "x-calculate": {
                    "*": [{"/": [{"var": "poor_households"}, {"var": "households"}]}, 100]
                },
            },
        ),
        "visited": _q("string", "走访日期", "Visited on", format="date"),
    },
    required=["households", "poor_households"],
    additionalProperties=False,
)
GROUP["x-rules"] = [
    {
        "id": "poor_le_total",
        "rule": {"<=": [{"var": "poor_households"}, {"var": "households"}]},
        "field": "poor_households",
        "message": {"zh": "贫困户不能多于户数", "en": "Poor households cannot exceed households"},
    },
    {
        "id": "visited_not_after_today",
        "rule": {"<=": [{"var": "visited"}, {"today": []}]},
        "field": "visited",
        "message": {
            "zh": "走访日期 {visited} 晚于今天（{today}）",
            "en": "Visited on {visited}, after today ({today})",
        },
    },
]

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "村民小组情况",
    "description": "村民小组的户数和贫困户数。",
    "x-en": {"title": "Village group", "description": "Households and poor households."},
    "properties": {"group": GROUP},
    "required": ["group"],
    "additionalProperties": False,
}


def schema() -> dict[str, Any]:
    return copy.deepcopy(SCHEMA)
