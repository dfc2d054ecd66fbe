"""A small village-level form for the summary's tests: choices, a yes/no with a question
asked only when it is yes, numbers, a date, a multiple choice, free text and a repeat
group whose items hold a name and a phone number (which a summary never prints)."""

from __future__ import annotations

import random
from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FORM_ID = "village_facilities"


def _q(title: str, en: str, **schema: Any) -> dict[str, Any]:
    return {
        "title": title,
        "description": title,
        "x-en": {"title": en, "description": en},
        **schema,
    }


def _option(value: str, title: str, en: str) -> dict[str, Any]:
    return _q(title, en, const=value)


ROADS = [("paved", "硬化路", "Paved"), ("gravel", "砂石路", "Gravel"), ("earth", "土路", "Earth")]
PROBLEMS = [
    ("water", "饮水难", "Water"),
    ("road", "出行难", "Roads"),
    ("school", "上学远", "School"),
    ("clinic", "看病难", "Health care"),
]
ROLES = [("first_secretary", "第一书记", "First secretary"), ("member", "队员", "Team member")]

VILLAGE_FORM: dict[str, Any] = {
    "$schema": DRAFT,
    "type": "object",
    **_q("村级基础设施调查", "Village facilities survey"),
    "x-subject": "village",
    "required": ["facilities"],
    "properties": {
        "facilities": _q(
            "基础设施",
            "Facilities",
            type="object",
            required=["visit_date", "road", "clinic"],
            unevaluatedProperties=False,
            properties={
                "visit_date": _q("走访日期", "Visit date", type="string", format="date"),
                "road": _q("通村道路", "Road", type="string", oneOf=[_option(*r) for r in ROADS]),
                "clinic": _q("有村卫生室", "Has a clinic", type="boolean"),
                "tap_households": _q(
                    "通自来水户数",
                    "Households with tap water",
                    type="integer",
                    minimum=0,
                    maximum=1000,
                    **{"x-unit": "户"},
                ),
                "problems": _q(
                    "主要困难",
                    "Main problems",
                    type="array",
                    uniqueItems=True,
                    items={"type": "string", "oneOf": [_option(*p) for p in PROBLEMS]},
                ),
                "remarks": _q("备注", "Remarks", type="string", maxLength=200),
            },
            allOf=[
                {
                    "if": {"properties": {"clinic": {"const": True}}, "required": ["clinic"]},
                    "then": {
                        "properties": {
                            "doctors": _q(
                                "村医人数",
                                "Village doctors",
                                type="integer",
                                minimum=0,
                                maximum=20,
                            )
                        },
                        "required": ["doctors"],
                    },
                }
            ],
        ),
        "cadres": _q(
            "驻村干部",
            "Resident cadres",
            type="array",
            items=_q(
                "干部",
                "Cadre",
                type="object",
                additionalProperties=False,
                required=["name", "role"],
                properties={
                    "name": _q("姓名", "Name", type="string", maxLength=20),
                    "phone": _q("手机号", "Phone", type="string", pattern="^1[3-9][0-9]{9}$"),
                    "role": _q("职务", "Role", type="string", oneOf=[_option(*r) for r in ROLES]),
                    "days": _q(
                        "上月驻村天数",
                        "Days in the village last month",
                        type="integer",
                        minimum=0,
                        maximum=31,
                    ),
                },
            ),
        ),
    },
}


def village_answers(seed: int, count: int) -> list[dict[str, Any]]:
    """`count` valid answers; free text and names carry a marker (秘) to look for."""
    rng = random.Random(seed)
    found = []
    for i in range(count):
        clinic = rng.random() < 0.6
        facilities: dict[str, Any] = {
            "visit_date": f"2026-{rng.randint(3, 7):02d}-{rng.randint(1, 28):02d}",
            "road": rng.choice(ROADS)[0],
            "clinic": clinic,
        }
        if clinic:
            facilities["doctors"] = rng.randint(0, 3)
        if rng.random() < 0.8:
            facilities["tap_households"] = rng.randint(10, 400)
        if rng.random() < 0.7:
            facilities["problems"] = sorted(
                {rng.choice(PROBLEMS)[0] for _ in range(rng.randint(1, 3))}
            )
        if rng.random() < 0.5:
            facilities["remarks"] = f"秘备注{seed}x{i}村里说道路冬天结冰"
        cadres = [
            {
                "name": f"秘名{seed}{i}{j}",
                "phone": f"139{seed % 10}{i % 10}{j}{rng.randint(10000, 99999)}",
                "role": rng.choice(ROLES)[0],
                "days": rng.randint(5, 25),
            }
            for j in range(rng.randint(0, 3))
        ]
        answer: dict[str, Any] = {"facilities": facilities}
        if cadres:
            answer["cadres"] = cadres
        found.append(answer)
    return found
