"""A small form using every construct forms/refs.py and the renderer added: a shared choice
list by $ref, an object's alternatives (oneOf), enum labels (x-enumNames), a date-time and a
time, a repeat group inside a repeat group's item, and minProperties."""

from __future__ import annotations

from typing import Any

from tests.forms.small_forms import DRAFT


def words(zh: str, en: str) -> dict[str, Any]:
    return {"title": zh, "description": zh + "。", "x-en": {"title": en, "description": en + "."}}


def farm_form() -> dict[str, Any]:
    crop = {
        "type": "string",
        **words("作物", "Crop"),
        "enum": ["corn", "potato", "wheat"],
        "x-enumNames": ["玉米", "土豆", "小麦"],
    }
    crop["x-en"]["enumNames"] = ["Maize", "Potato", "Wheat"]
    season = {
        "type": "object",
        **words("种植季", "Season"),
        "properties": {"crop": {"$ref": "#/$defs/crop"}},
        "required": ["crop"],
        "additionalProperties": False,
    }
    plot = {
        "type": "object",
        **words("地块", "Plot"),
        "properties": {
            "name": {"type": "string", "maxLength": 20, **words("地块名称", "Plot name")},
            "seasons": {"type": "array", **words("各季作物", "Seasons"), "items": season},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    income = {
        "type": "object",
        **words("主要收入来源", "Main income"),
        "oneOf": [
            {
                **words("外出务工", "Migrant work"),
                "properties": {"employer": {"type": "string", **words("务工单位", "Employer")}},
                "required": ["employer"],
            },
            {
                **words("种植业", "Farming"),
                "properties": {
                    "crop": {"$ref": "#/$defs/crop"},
                    "area": {"type": "number", "minimum": 0, **words("种植面积", "Area")},
                },
                "required": ["crop"],
            },
        ],
    }
    return {
        "$schema": DRAFT,
        **words("农业生产回访", "Farming follow-up"),
        "type": "object",
        "$defs": {"crop": crop},
        "properties": {
            "farm": {
                "type": "object",
                **words("农业生产", "Farming"),
                "properties": {
                    "main_crop": {"$ref": "#/$defs/crop", **words("主要作物", "Main crop")},
                    "visited_at": {
                        "type": "string",
                        "format": "date-time",
                        **words("走访时间", "Visited at"),
                    },
                    "starts": {
                        "type": "string",
                        "format": "time",
                        **words("出工时间", "Starts work"),
                    },
                    "income": income,
                    "plots": {"type": "array", **words("承包地块", "Plots"), "items": plot},
                },
                "required": ["main_crop"],
                # the main crop, the plots (a list the page always sends, perhaps empty) and
                # at least one more answer
                "minProperties": 3,
            }
        },
        "required": ["farm"],
        "additionalProperties": False,
    }
