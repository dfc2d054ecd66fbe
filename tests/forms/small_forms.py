"""Small survey schemas for tests of the checks: each test builds the one mistake it is about."""

from __future__ import annotations

from typing import Any

from forms.schema import SchemaProblem, check_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def form(**sections: Any) -> dict[str, Any]:
    """A form whose top-level properties are `sections`."""
    return {"$schema": DRAFT, "type": "object", "title": "测试", "properties": sections}


def group(**questions: Any) -> dict[str, Any]:
    """A section (or group) of `questions`."""
    return {"type": "object", "title": "部分", "properties": questions}


def text(title: str = "问题", **more: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, **more}


def yes_no(title: str = "是否") -> dict[str, Any]:
    return {"type": "boolean", "title": title}


def choice(*values: str, title: str = "选择") -> dict[str, Any]:
    return {
        "type": "string",
        "title": title,
        "oneOf": [{"const": value, "title": value} for value in values],
    }


def problems(schema: Any) -> list[tuple[str, str]]:
    """Every (pointer, message) the check finds; [] when the form passes."""
    try:
        check_schema(schema, "test.json")
    except SchemaProblem as problem:
        return problem.problems
    return []


def pointers(schema: Any) -> list[str]:
    return [where for where, _ in problems(schema)]
