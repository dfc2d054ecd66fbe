"""Error messages in the languages minsheng speaks: Chinese first, English on request."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("zh", "en")

SCHEMA_MESSAGES: dict[str, dict[str, str]] = {
    "required": {"zh": "此项必填", "en": "This field is required"},
    "type": {"zh": "应为{expected}", "en": "Must be {expected_en}"},
    "enum": {"zh": "不是可选的选项", "en": "Not one of the allowed options"},
    "const": {"zh": "应为固定值 {value}", "en": "Must be {value}"},
    "minimum": {"zh": "不能小于 {limit}", "en": "Must be at least {limit}"},
    "maximum": {"zh": "不能大于 {limit}", "en": "Must be at most {limit}"},
    "exclusiveMinimum": {"zh": "应大于 {limit}", "en": "Must be more than {limit}"},
    "exclusiveMaximum": {"zh": "应小于 {limit}", "en": "Must be less than {limit}"},
    "multipleOf": {"zh": "应为 {limit} 的整数倍", "en": "Must be a multiple of {limit}"},
    "minLength": {"zh": "至少 {limit} 个字", "en": "Must be at least {limit} characters"},
    "maxLength": {"zh": "最多 {limit} 个字", "en": "Must be at most {limit} characters"},
    "pattern": {"zh": "格式不正确", "en": "Wrong format"},
    "format": {"zh": "应为{format}", "en": "Must be {format_en}"},
    "minItems": {"zh": "至少 {limit} 项", "en": "Needs at least {limit} items"},
    "maxItems": {"zh": "最多 {limit} 项", "en": "At most {limit} items"},
    "uniqueItems": {"zh": "不能重复选择", "en": "Items must not repeat"},
    "minProperties": {"zh": "至少填写 {limit} 项", "en": "Answer at least {limit} of these"},
    "maxProperties": {"zh": "最多填写 {limit} 项", "en": "Answer at most {limit} of these"},
    "not_applicable": {
        "zh": "此项不适用，不应填写",
        "en": "This question does not apply and must be left out",
    },
    "invalid": {"zh": "填写不正确", "en": "Invalid value"},
    "too_many_values": {
        "zh": "答案过大：最多 {limit} 项内容",
        "en": "The answer is too large: at most {limit} values",
    },
    "too_deep": {
        "zh": "嵌套过深：最多 {limit} 层",
        "en": "Nested too deep: at most {limit} levels",
    },
    "more_errors": {
        "zh": "另有 {count} 处错误未列出，请先改正以上各处",
        "en": "{count} more errors not listed; fix the ones above first",
    },
}

# A question the form works out from other answers (x-calculate, forms/form_logic.py): only
# the server says these, since the phone fills the value itself, so the phone is not sent them.
CALCULATE_MESSAGES: dict[str, dict[str, str]] = {
    "calculated": {
        "zh": "此项由其他答案算出，应为 {value}",
        "en": "Worked out from other answers: must be {value}",
    },
    "calculated_empty": {
        "zh": "此项由其他答案算出，那些答案填好之前应留空",
        "en": "Worked out from other answers: leave it empty until they are given",
    },
}

TYPE_NAMES = {
    "string": ("文字", "text"),
    "integer": ("整数", "a whole number"),
    "number": ("数字", "a number"),
    "boolean": ("是或否", "yes or no"),
    "object": ("一组问题", "a group of answers"),
    "array": ("列表", "a list"),
    "null": ("空值", "empty"),
}

FORMAT_NAMES = {
    "date": ("日期（年-月-日）", "a date (YYYY-MM-DD)"),
    "email": ("电子邮件地址", "an email address"),
    "date-time": ("日期和时间", "a date and time"),
    "time": ("时间（时:分）", "a time (HH:MM)"),
}


def _catalogue() -> dict[str, dict[str, str]]:
    from forms.rules import MESSAGES as RULE_MESSAGES

    return {**SCHEMA_MESSAGES, **CALCULATE_MESSAGES, **RULE_MESSAGES}


def render(code: str, params: dict[str, Any], lang: str) -> str:
    """Put an issue into words; an unknown code still reads as an error, never a crash."""
    entry = _catalogue().get(code) or SCHEMA_MESSAGES["invalid"]
    template = entry.get(lang) or entry["zh"]
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
