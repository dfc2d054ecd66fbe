"""Checking answers: JSON Schema first, then the form's own rules.

The server is the judge of every answer; the phone runs the same schema so a
person sees the same messages before sending. Both report issues in one shape:
a JSON pointer, a code and a message.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from forms import messages
from forms.issues import Issue, pointer
from forms.schema import canonical_json

# Only the formats the phone's validator checks too, so both sides agree.
FORMAT_CHECKER = FormatChecker(formats=("date", "email"))

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


_VALIDATORS: dict[str, Draft202012Validator] = {}


def validator_for(schema: dict[str, Any], key: str | None = None) -> Draft202012Validator:
    """A compiled validator for `schema`, kept under `key`.

    `key` is a published version's stored hash, so the submission path does not
    serialise an 80 KB schema on every answer just to find its validator; without
    one the schema's canonical JSON is the key. The validator holds its own copy,
    so a caller that later changes its dict changes nothing here.
    """
    key = key or canonical_json(schema)
    found = _VALIDATORS.get(key)
    if found is None:
        if len(_VALIDATORS) >= 256:
            _VALIDATORS.clear()
        found = Draft202012Validator(json.loads(json.dumps(schema)), format_checker=FORMAT_CHECKER)
        _VALIDATORS[key] = found
    return found


def _limits(error: ValidationError) -> dict[str, Any]:
    return {"limit": error.validator_value}


def _issues_from(error: ValidationError) -> Iterator[Issue]:
    where = list(error.absolute_path)
    keyword = str(error.validator)
    instance = error.instance
    if keyword in ("required", "dependentRequired"):
        wanted = error.validator_value
        if keyword == "dependentRequired":
            wanted = [name for names in wanted.values() for name in names]
        for name in wanted:
            if isinstance(instance, dict) and name not in instance:
                yield Issue(pointer(*where, name), "required")
        return
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        names = _QUOTED.findall(error.message) if isinstance(instance, dict) else []
        for name in names or [""]:
            yield Issue(pointer(*where, name) if name else pointer(*where), "not_applicable")
        return
    if keyword == "type":
        expected = error.validator_value
        first = expected[0] if isinstance(expected, list) else expected
        zh, en = messages.TYPE_NAMES.get(first, (first, first))
        yield Issue(pointer(*where), "type", {"expected": zh, "expected_en": en})
        return
    if keyword == "format":
        zh, en = messages.FORMAT_NAMES.get(error.validator_value, (error.validator_value,) * 2)
        yield Issue(pointer(*where), "format", {"format": zh, "format_en": en})
        return
    if keyword in ("oneOf", "anyOf", "enum"):
        yield Issue(pointer(*where), "enum" if _is_choice(error) else "invalid")
        return
    if keyword == "const":
        yield Issue(pointer(*where), "const", {"value": error.validator_value})
        return
    if keyword in messages.SCHEMA_MESSAGES:
        yield Issue(pointer(*where), keyword, _limits(error))
        return
    yield Issue(pointer(*where), "invalid")


def _is_choice(error: ValidationError) -> bool:
    if error.validator == "enum":
        return True
    branches = error.validator_value
    return isinstance(branches, list) and all(
        isinstance(b, dict) and "const" in b for b in branches
    )


def _non_finite(value: Any, at: tuple[str | int, ...] = ()) -> Iterator[Issue]:
    """NaN and infinities: JSON has no such numbers, and `minimum` lets NaN through."""
    if isinstance(value, float) and not math.isfinite(value):
        zh, en = messages.TYPE_NAMES["number"]
        yield Issue(pointer(*at), "type", {"expected": zh, "expected_en": en})
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield from _non_finite(sub, (*at, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _non_finite(sub, (*at, index))


def schema_issues(
    schema: dict[str, Any], answers: Any, schema_key: str | None = None
) -> list[Issue]:
    """Every place the answers break the schema, one issue per field and code."""
    seen: dict[tuple[str, str], Issue] = {(i.path, i.code): i for i in _non_finite(answers)}
    for error in validator_for(schema, schema_key).iter_errors(answers):
        for issue in _issues_from(error):
            seen.setdefault((issue.path, issue.code), issue)
    # 2020-12 also calls a conditional answer "unevaluated" when its own value is
    # wrong; the real error is enough there.
    wrong = {path for path, code in seen if code != "not_applicable"}
    kept = [i for i in seen.values() if i.code != "not_applicable" or i.path not in wrong]
    return sorted(kept, key=lambda i: (i.path, i.code))


def rule_issues(form_id: str, answers: Any, today: date) -> list[Issue]:
    from forms.rules import RULES

    if not isinstance(answers, dict):
        return []
    found: list[Issue] = []
    for rule in RULES.get(form_id, []):
        found.extend(rule(answers, today))
    return found


def check_answers(
    form_id: str,
    schema: dict[str, Any],
    answers: Any,
    today: date | None = None,
    *,
    schema_key: str | None = None,
) -> list[Issue]:
    """All issues with these answers: the schema's, then the form rules'.

    `schema_key` identifies the schema cheaply (a version's stored hash).
    """
    issues = schema_issues(schema, answers, schema_key)
    known = {(i.path, i.code) for i in issues}
    for issue in rule_issues(form_id, answers, today or date.today()):
        if (issue.path, issue.code) not in known:
            issues.append(issue)
    return issues


def localize(issues: Iterable[Issue], lang: str) -> list[dict[str, str]]:
    """Issues as the API returns them: path, code, message in the asked language."""
    return [
        {"path": i.path, "code": i.code, "message": messages.render(i.code, i.params, lang)}
        for i in issues
    ]
