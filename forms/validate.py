"""Checking answers: limits first, then JSON Schema, then the form's own rules.

The server is the judge of every answer; the phone runs the same schema so a
person sees the same messages before sending. Both report issues in one shape:
a JSON pointer, a code and a message.

Python's jsonschema is the reference: its verdict and its error list are what
a person sees. It takes about 3 ms for a valid household answer, so answers
are first put to jsonschema-rs (about 10 µs), configured to check exactly the
formats the reference checks; an answer it calls valid is valid, and every
other answer goes to the reference for its full list of errors. A schema the
fast validator might read differently (a pattern using more than the plain
regular-expression subset both engines share) is left to the reference alone.
tests/forms/test_fast_validation.py holds the two to the same verdicts on the
JSON Schema Test Suite, the shipped forms and generated answers.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterable, Iterator
from datetime import date
from functools import lru_cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from forms import form_logic, messages
from forms.bounds import MAX_ERRORS, oversized
from forms.issues import Issue, pointer
from forms.schema import canonical_json
from forms.subschemas import chosen_alternative

# Only the formats the phone's validator checks too, so both sides agree: date and email
# as jsonschema checks them, date-time and time (RFC 3339, with an offset) as below and as
# forms/static/check.js checks them.
FORMAT_CHECKER = FormatChecker(formats=("date", "email"))
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))"
_DATE_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]" + _TIME)


def is_time(value: object) -> bool:
    """RFC 3339 full-time: 08:30:00+08:00, 00:30:00Z; no leap second."""
    if not isinstance(value, str):
        return True
    found = re.fullmatch(_TIME, value)
    return found is not None and _clock(found.groups())


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time: 2026-11-29T08:30:00+08:00 (a real day; T or t, Z or z)."""
    if not isinstance(value, str):
        return True
    found = _DATE_TIME.fullmatch(value)
    if found is None or not _clock(found.groups()[1:]):
        return False
    try:
        date.fromisoformat(found.group(1))
    except ValueError:
        return False
    return True


def _clock(parts: tuple[str | None, ...]) -> bool:
    hour, minute, second, off_hour, off_minute = (int(p or 0) for p in parts)
    return hour <= 23 and minute <= 59 and second <= 59 and off_hour <= 23 and off_minute <= 59


FORMAT_CHECKER.checks("date-time")(is_date_time)
FORMAT_CHECKER.checks("time")(is_time)
# Every format jsonschema-rs knows; all but the checked ones are annotations, as in the reference.
_RS_FORMATS = (
    *("date", "date-time", "time", "duration", "email", "idn-email", "hostname"),
    *("idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference"),
    *("uri-template", "json-pointer", "relative-json-pointer", "regex", "uuid"),
)
# Patterns both engines read alike: literals, classes, anchors, groups, alternation, counts.
_PLAIN_PATTERN = re.compile(r"(?:[^\\(]|\\[dDsSwW.\-+*?()\[\]{}|/^$\\]|\((?!\?))*")

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _js_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` read as the phone's JavaScript reads it: `$` only at the very end.

    Python's `$` also matches before a final newline, so "620523102201\n" passed
    `^62[0-9]{10}$` on the server and failed on the phone (and in jsonschema-rs).
    """
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append("\\Z" if char == "$" and not in_class else char)
        i += 1
    return _compiled("".join(out))


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _js_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# The reference: draft 2020-12, with patterns read as the phone reads them.
Reference = validators.extend(Draft202012Validator, {"pattern": _pattern})

_VALIDATORS: dict[str, Any] = {}


def validator_for(schema: dict[str, Any], key: str | None = None) -> Any:
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
        found = Reference(json.loads(json.dumps(schema)), format_checker=FORMAT_CHECKER)
        _VALIDATORS[key] = found
    return found


def _conforms(name: str) -> Any:
    if name in FORMAT_CHECKER.checkers:
        return lambda value: FORMAT_CHECKER.conforms(value, name)
    return lambda value: True


_FAST: dict[str, Any] = {}


def fast_validator(schema: dict[str, Any], key: str | None = None) -> Any:
    """A jsonschema-rs validator for `schema` with the reference's formats; None where the
    schema uses something the two engines might read differently."""
    key = key or canonical_json(schema)
    if key not in _FAST:
        if len(_FAST) >= 256:
            _FAST.clear()
        _FAST[key] = None
        if all(_PLAIN_PATTERN.fullmatch(p) for p in _patterns(schema)):
            # A schema it cannot compile is left to the reference, which says what is wrong.
            with contextlib.suppress(ValueError, jsonschema_rs.ValidationError):
                _FAST[key] = jsonschema_rs.validator_for(
                    schema,
                    validate_formats=True,
                    formats={name: _conforms(name) for name in _RS_FORMATS},
                )
    return _FAST[key]


def _patterns(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            elif key == "patternProperties" and isinstance(value, dict):
                yield from (k for k in value if isinstance(k, str))
                for sub in value.values():
                    yield from _patterns(sub)
            elif key not in ("const", "enum", "default", "examples"):
                yield from _patterns(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _patterns(item)


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
    if keyword in ("oneOf", "anyOf") and (inside := _in_chosen_alternative(error)):
        for sub in inside:  # the answers took this alternative: its own issues, at their fields
            yield from _issues_from(sub)
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


def _in_chosen_alternative(error: ValidationError) -> list[ValidationError]:
    """For an object's alternatives (a oneOf/anyOf of groups of questions) that its answers
    do not pass: the errors of the alternative the answers took (the first whose own
    questions they answer, as the page shows it: forms.subschemas.chosen_alternative)."""
    branches, instance = error.validator_value, error.instance
    if not (isinstance(branches, list) and isinstance(instance, dict)):
        return []
    if not all(isinstance(b, dict) and isinstance(b.get("properties"), dict) for b in branches):
        return []
    shared = error.schema.get("properties") if isinstance(error.schema, dict) else None
    chosen = chosen_alternative(branches, shared, instance)
    if chosen is None:
        return []
    return [
        e
        for e in error.context or ()
        if e.relative_schema_path and e.relative_schema_path[0] == chosen
    ]


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
    """Every place the answers break the schema, one issue per field and code.

    An answer over the limits of forms.bounds gets those issues only: checking
    the rest of something that large is work nobody should wait for.
    """
    too_big = oversized(schema, answers)
    if too_big:
        return too_big
    seen: dict[tuple[str, str], Issue] = {(i.path, i.code): i for i in _non_finite(answers)}
    fast = fast_validator(schema, schema_key)
    if not seen and fast is not None:
        try:
            if fast.is_valid(answers):
                return []
        except (ValueError, OverflowError, TypeError):
            pass  # a value it cannot represent (a 30-digit integer): the reference decides
    for error in validator_for(schema, schema_key).iter_errors(answers):
        for issue in _issues_from(error):
            seen.setdefault((issue.path, issue.code), issue)
    # 2020-12 also calls a conditional answer "unevaluated" when its own value is
    # wrong; the real error is enough there.
    wrong = {path for path, code in seen if code != "not_applicable"}
    kept = [i for i in seen.values() if i.code != "not_applicable" or i.path not in wrong]
    return sorted(kept, key=lambda i: (i.path, i.code))


def quickly_valid(schema: dict[str, Any], answers: Any, schema_key: str | None = None) -> bool:
    """True when the fast validator alone can tell the answers fit the schema (microseconds);
    False means "ask schema_issues", which may take milliseconds.

    The answers must come from parsed JSON or a parsed form (both refuse NaN and the
    infinities, which JSON has not): this path does not look for them again. An
    oversized answer costs the fast validator no more than its first error.
    """
    fast = fast_validator(schema, schema_key)
    if fast is None:
        return False
    try:
        return bool(fast.is_valid(answers))
    except (ValueError, OverflowError, TypeError, RecursionError):
        return False


def rule_issues(
    form_id: str,
    answers: Any,
    today: date,
    schema: dict[str, Any] | None = None,
    wrong: frozenset[str] = frozenset(),
) -> list[Issue]:
    """The form's own rules: its schema's x-rules and x-calculate (forms/form_logic.py),
    then its Python rules (forms/rules.py). `wrong` are the paths the schema refused: a
    rule reading one waits, and a computed question refused there is not refused twice."""
    from forms.rules import RULES

    if not isinstance(answers, dict):
        return []
    found: list[Issue] = []
    if schema is not None:
        found += form_logic.rule_issues(schema, answers, today.isoformat(), wrong)
        calculated = form_logic.calculate_issues(schema, answers, today.isoformat())
        found += [i for i in calculated if i.path not in wrong]
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
    """All issues with these answers: the limits', else the schema's, then the form rules'.

    `schema_key` identifies the schema cheaply (a version's stored hash).
    """
    too_big = oversized(schema, answers)
    if too_big:
        return too_big
    issues = schema_issues(schema, answers, schema_key)
    known = {(i.path, i.code) for i in issues}
    wrong = frozenset(i.path for i in issues)
    for issue in rule_issues(form_id, answers, today or date.today(), schema, wrong):
        if (issue.path, issue.code) not in known:
            issues.append(issue)
    return issues


def localize(issues: Iterable[Issue], lang: str) -> list[dict[str, str]]:
    """Issues as the API returns them: path, code, message in the asked language.

    At most MAX_ERRORS of them; past that one last entry says how many more there are.
    """
    listed = list(issues)
    if len(listed) > MAX_ERRORS:
        more = Issue("", "more_errors", {"count": len(listed) - MAX_ERRORS})
        listed = [*listed[:MAX_ERRORS], more]
    return [
        {
            "path": i.path,
            "code": i.code,
            "message": (i.words.get(lang) or i.words["zh"])
            if i.words
            else messages.render(i.code, i.params, lang),
        }
        for i in listed
    ]
