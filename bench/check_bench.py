"""Form check benchmark: how fast a form is refused, or passed, at and past the limits.

Prints the seconds each takes (the best of three):

- refusing a 50 MB file (load_schema_file: the size is read, the file is not);
- refusing a 50 MB text already in memory (parse_schema: before json.loads);
- refusing a 50 MB dict (check_schema on a parsed document, e.g. from a request);
- refusing text nested 100,000 deep (before json.loads, which would recurse);
- refusing a dict nested 100,000 deep (a dict from elsewhere, e.g. a request);
- refusing a 1,000-reference $ref cycle;
- refusing 40,000 small schemas in 1 MB (the metaschema would take seconds);
- refusing forty intricate patterns that share one analysis budget;
- checking the shipped household form (it passes);
- checking the biggest form the limits allow: 1,000 fields in just under 2 MB,
  every question with a pattern (it passes, and is the slowest a form can be).

Run: .venv/bin/python bench/check_bench.py   (targets: every refusal < 0.1 s except
the patterns, < 1 s; the biggest form < 5 s)
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forms.schema import SchemaProblem, check_schema, load_schema_file, parse_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
HOUSEHOLD = Path(__file__).resolve().parents[1] / "forms" / "surveys" / "household.json"


def best_of_three(action: Callable[[], object]) -> tuple[float, str]:
    """Seconds of the fastest of three runs, and how the last one ended."""
    times, outcome = [], ""
    for _ in range(3):
        start = time.perf_counter()
        try:
            action()
            outcome = "passed"
        except SchemaProblem as problem:
            outcome = f"refused: {problem.where or '/'}: {problem.message[:70]}"
        times.append(time.perf_counter() - start)
    return min(times), outcome


def biggest_form() -> dict[str, Any]:
    """1,000 questions (10 sections of 99 plus their sections) with long help texts."""
    help_text = "请如实填写。" * 55  # with its English, about 1.9 KB per question

    def question(i: int) -> dict[str, Any]:
        return {
            "type": "string",
            "title": f"问题{i}",
            "description": help_text,
            "x-en": {"title": f"Question {i}", "description": "Answer truthfully. " * 30},
            "pattern": f"^[0-9]{{{1 + i % 17}}}(-[0-9]{{4}})?$",
            "maxLength": 40,
        }

    sections = {
        f"s{s}": {
            "type": "object",
            "title": f"第{s}部分",
            "properties": {f"q{q}": question(s * 100 + q) for q in range(99)},
            "additionalProperties": False,
        }
        for s in range(10)
    }
    return {"$schema": DRAFT, "type": "object", "title": "最大", "properties": sections}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        big_file = Path(folder) / "big.json"
        with big_file.open("wb") as file:
            file.truncate(50_000_000)
        big_text = '{"description": "' + "x" * 50_000_000 + '"}'
        big_dict = {f"k{i}": "x" * 50_000 for i in range(1_000)}
        deep_text = "[" * 100_000 + "]" * 100_000
        deep: dict[str, Any] = {}
        inner = deep
        for _ in range(100_000):
            inner["x"] = {}
            inner = inner["x"]
        cycle = {
            "$schema": DRAFT,
            "type": "object",
            "$defs": {f"d{i}": {"$ref": f"#/$defs/d{(i + 1) % 1000}"} for i in range(1000)},
        }
        many = {
            "$schema": DRAFT,
            "type": "object",
            "allOf": [{"allOf": [{"not": {"minLength": 1}} for _ in range(200)]}] * 200,
        }
        intricate = "^(" + "|".join(f"x{i}[a-z]*" for i in range(10)) + ")*$"
        patterns = {
            "$schema": DRAFT,
            "type": "object",
            "properties": {
                "s": {
                    "type": "object",
                    "title": "s",
                    "properties": {
                        f"q{i}": {
                            "type": "string",
                            "title": "q",
                            "pattern": intricate.replace("x0", f"y{i}"),
                        }
                        for i in range(40)
                    },
                }
            },
        }
        household = HOUSEHOLD.read_text(encoding="utf-8")
        biggest = json.dumps(biggest_form(), ensure_ascii=False)
        print(f"the biggest form: {len(biggest.encode()):,} bytes")
        runs: list[tuple[str, Callable[[], object]]] = [
            ("50 MB file", lambda: load_schema_file(big_file)),
            ("50 MB text", lambda: parse_schema(big_text, "big.json")),
            ("50 MB dict", lambda: check_schema(big_dict, "big.json")),
            ("100,000-deep text", lambda: parse_schema(deep_text, "deep.json")),
            ("100,000-deep dict", lambda: check_schema(deep, "deep.json")),
            ("1,000-reference cycle", lambda: check_schema(cycle, "cycle.json")),
            ("40,000 schemas", lambda: check_schema(many, "many.json")),
            ("40 intricate patterns", lambda: check_schema(patterns, "patterns.json")),
            ("household form", lambda: parse_schema(household, "household.json")),
            ("biggest allowed form", lambda: parse_schema(biggest, "biggest.json")),
        ]
        for name, action in runs:
            seconds, outcome = best_of_three(action)
            print(f"{name:24} {seconds * 1000:9.3f} ms  {outcome}")


if __name__ == "__main__":
    main()
