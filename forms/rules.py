"""Form rules that neither JSON Schema nor the schema's own JSON Logic can express.

A schema checks each answer on its own, and its `x-rules` (forms/form_logic.py)
compare answers with each other and with today (a survey date, the main cause of
poverty against the members who would explain it). What is left here needs more
than they can say: an ID number against the birth date and sex typed beside it,
the GB 11643 check digit, one head among the members, a per-capita income worked
out and rounded as the reports do, an option's label in a message. The server runs them after
schema validation, on answers that may still be partly invalid, so every rule
skips what it cannot check instead of raising. Each finding is an `Issue`
whose path names the exact field a phone should mark.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from forms.issues import Issue, pointer

Rule = Callable[[dict[str, Any], date], Iterable[Issue]]

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# [0-9], not \d: Python's \d also matches full-width and other scripts' digits.
_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_POOR_INCOME_CEILING = 100_000
_INCOME_FIELDS = ("wages", "business_income", "business_expense", "property_income")
_TRANSFER_FIELDS = ("dibao", "pension", "eco_compensation", "other")

MESSAGES: dict[str, dict[str, str]] = {
    # The expected digit is not named: it invites fixing the last digit when the wrong one
    # is usually among the first 17.
    "id_number.check_digit": {
        "zh": "身份证号有误：最后一位校验位与前17位不符，请逐位核对",
        "en": "The ID number is wrong: its last character (the check digit) does not agree "
        "with the first 17 digits; check each digit",
    },
    "id_number.birth_date_invalid": {
        "zh": "身份证号第7-14位 {digits} 不是有效的出生日期",
        "en": "Digits 7-14 of the ID number, {digits}, are not a valid date of birth",
    },
    "id_number.duplicate": {
        "zh": "身份证号 {id_number} 与第 {first} 位成员重复",
        "en": "ID number {id_number} is the same as member {first}'s",
    },
    "member.birth_date_mismatch": {
        "zh": "出生日期 {birth_date} 与身份证号中的 {id_birth_date} 不一致",
        "en": "Date of birth {birth_date} does not match {id_birth_date} in the ID number",
    },
    "member.sex_mismatch": {
        "zh": "身份证号第17位为 {digit}（奇数为男、偶数为女），与所填性别不符",
        "en": "The ID number's 17th digit is {digit} (odd for male, even for female), "
        "which does not match the sex given",
    },
    "members.no_head": {
        "zh": "家庭成员中没有户主，须有且只有一位成员的关系为“户主”",
        "en": "No member is the head; exactly one member must have the relation Head",
    },
    "members.extra_head": {
        "zh": "第 {first} 位成员已是户主，每户只能有一位户主",
        "en": "Member {first} is already the head; a household has only one head",
    },
    "causes.other_repeats_main": {
        "zh": "其他致贫原因不能包含主要致贫原因“{cause_zh}”",
        "en": "Other causes must not include the main cause, {cause_en}",
    },
    "income.per_capita_out_of_range": {
        "zh": "人均纯收入 {per_capita} 元不在 0（不含）到 100000 元之间，请核对收支",
        "en": "Per-capita net income of {per_capita} yuan is not above 0 and at most "
        "100000 yuan; check the income figures",
    },
}


def id_number_check_digit(id17: str) -> str:
    """The GB 11643 check character ("0"-"9" or "X") for the first 17 digits."""
    if len(id17) != 17 or not id17.isascii() or not id17.isdigit():
        raise ValueError(f"need exactly 17 digits, got {id17!r}")
    total = sum(int(d) * w for d, w in zip(id17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def parse_id_number(idn: str) -> tuple[date | None, str | None]:
    """The birth date and sex code ("male"/"female") an 18-character ID number states.

    Either is None when the number does not state it: the birth date when
    digits 7-14 are not a real date from 1900 on, both when the number is not
    17 digits followed by a digit or X.
    """
    if not isinstance(idn, str) or not _ID_PATTERN.fullmatch(idn):
        return None, None
    sex = "male" if int(idn[16]) % 2 == 1 else "female"
    return _parse_compact_date(idn[6:14]), sex


def _parse_compact_date(digits: str) -> date | None:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return born if born.year >= 1900 else None


def _parse_iso_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    """A JSON number as float; None for anything else (booleans included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _section(answers: Any, name: str) -> dict[str, Any]:
    value = answers.get(name) if isinstance(answers, dict) else None
    return value if isinstance(value, dict) else {}


def _members(answers: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, member) for every member that is an object; indexes stay those of the answers."""
    members = answers.get("members") if isinstance(answers, dict) else None
    if not isinstance(members, list):
        return []
    return [(i, m) for i, m in enumerate(members) if isinstance(m, dict)]


def _format_amount(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@cache
def _option_labels(field: str) -> dict[str, tuple[str, str]]:
    """code -> (zh, en) labels of a causes option list, read from the shipped schema."""
    path = Path(__file__).parent / "surveys" / "household.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    options = schema["properties"]["causes"]["properties"][field]["oneOf"]
    return {o["const"]: (o["title"], o["x-en"]["title"]) for o in options}


# ---------------------------------------------------------------- members


def check_id_numbers(answers: dict[str, Any], today: date) -> Iterator[Issue]:
    """Check digit, birth date digits, agreement with birth_date and sex."""
    for i, member in _members(answers):
        idn = member.get("id_number")
        if not isinstance(idn, str) or not _ID_PATTERN.fullmatch(idn):
            continue  # the schema pattern reports it
        expected = id_number_check_digit(idn[:17])
        if expected != idn[17]:
            yield Issue(
                pointer("members", i, "id_number"),
                "id_number.check_digit",
                {"expected": expected, "actual": idn[17]},
            )
        id_birth, id_sex = parse_id_number(idn)
        if id_birth is None:
            yield Issue(
                pointer("members", i, "id_number"),
                "id_number.birth_date_invalid",
                {"digits": idn[6:14]},
            )
        else:
            birth = _parse_iso_date(member.get("birth_date"))
            if birth is not None and birth != id_birth:
                yield Issue(
                    pointer("members", i, "birth_date"),
                    "member.birth_date_mismatch",
                    {"birth_date": birth.isoformat(), "id_birth_date": id_birth.isoformat()},
                )
        sex = member.get("sex")
        if sex in ("male", "female") and sex != id_sex:
            yield Issue(
                pointer("members", i, "sex"),
                "member.sex_mismatch",
                {"digit": idn[16], "sex": sex, "id_sex": id_sex},
            )


def check_duplicate_id_numbers(answers: dict[str, Any], today: date) -> Iterator[Issue]:
    """Each later member carrying an ID number already seen is reported at its id_number."""
    first_seen: dict[str, int] = {}
    for i, member in _members(answers):
        idn = member.get("id_number")
        if not isinstance(idn, str) or not idn:
            continue
        if idn in first_seen:
            yield Issue(
                pointer("members", i, "id_number"),
                "id_number.duplicate",
                {"id_number": idn, "first": first_seen[idn] + 1},
            )
        else:
            first_seen[idn] = i


def check_one_head(answers: dict[str, Any], today: date) -> Iterator[Issue]:
    """Exactly one member is the head: none is reported at /members, extras at their relation."""
    members = _members(answers)
    if not members:
        return  # no members at all is the schema's minItems error
    heads = [i for i, m in members if m.get("relation") == "head"]
    if not heads:
        yield Issue(pointer("members"), "members.no_head")
    for i in heads[1:]:
        yield Issue(
            pointer("members", i, "relation"), "members.extra_head", {"first": heads[0] + 1}
        )


# ---------------------------------------------------------------- other sections


def check_other_causes(answers: dict[str, Any], today: date) -> Iterator[Issue]:
    causes = _section(answers, "causes")
    main_cause, other_causes = causes.get("main_cause"), causes.get("other_causes")
    if (
        isinstance(main_cause, str)
        and isinstance(other_causes, list)
        and main_cause in other_causes
    ):
        zh, en = _option_labels("main_cause").get(main_cause, (main_cause, main_cause))
        yield Issue(
            pointer("causes", "other_causes"),
            "causes.other_repeats_main",
            {"cause": main_cause, "cause_zh": zh, "cause_en": en},
        )


def net_income(answers: dict[str, Any]) -> float | None:
    """家庭纯收入, or None unless every income field (the four transfers included) is a number."""
    income = _section(answers, "income")
    transfers = income.get("transfers")
    if not isinstance(transfers, dict):
        return None
    figures = [_number(income.get(k)) for k in _INCOME_FIELDS]
    figures += [_number(transfers.get(k)) for k in _TRANSFER_FIELDS]
    known = [v for v in figures if v is not None]
    if len(known) != len(figures):
        return None
    wages, business_income, business_expense, property_income, *transfer_figures = known
    total = wages + business_income - business_expense + property_income + sum(transfer_figures)
    return round(total, 2)


def check_per_capita_income(answers: dict[str, Any], today: date) -> Iterator[Issue]:
    members = answers.get("members") if isinstance(answers, dict) else None
    net = net_income(answers)
    if net is None or not isinstance(members, list) or not members:
        return
    per_capita = net / len(members)
    if not 0 < per_capita <= _POOR_INCOME_CEILING:
        yield Issue(
            pointer("income"),
            "income.per_capita_out_of_range",
            {
                "per_capita": _format_amount(per_capita),
                "net_income": _format_amount(net),
                "members": len(members),
            },
        )


RULES: dict[str, list[Rule]] = {
    "household": [
        check_one_head,
        check_id_numbers,
        check_duplicate_id_numbers,
        check_other_causes,
        check_per_capita_income,
    ],
}


def derive(form_id: str, answers: dict[str, Any]) -> dict[str, Any]:
    """Figures the server stores beside a submission; {} for a form with none.

    For "household": net_income and per_capita_income are None unless every
    income field, the four transfers included, is present; members counts the
    members list (0 when it is missing).
    """
    if form_id != "household":
        return {}
    members = answers.get("members") if isinstance(answers, dict) else None
    count = len(members) if isinstance(members, list) else 0
    net = net_income(answers)
    per_capita = round(net / count, 2) if net is not None and count else None
    return {"net_income": net, "per_capita_income": per_capita, "members": count}


# What `derive` stores for each form, for tables of answers: (key, zh, en, kind).
DERIVED: dict[str, list[tuple[str, str, str, str]]] = {
    "household": [
        ("net_income", "家庭纯收入", "Net income", "number"),
        ("per_capita_income", "人均纯收入", "Per-capita net income", "number"),
        ("members", "家庭人口", "Household size", "integer"),
    ],
}
