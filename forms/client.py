"""What the phone's script needs to check answers as the server does.

The schema without the words only people read, the server's own messages in
the page's language, and the option labels a rule names in its messages.
"""

from __future__ import annotations

from typing import Any

from forms import form_logic, messages
from forms.places import VILLAGE
from forms.refs import view_of
from forms.render import ANNOTATIONS, UI, alternatives, choices
from forms.rules import MESSAGES as RULE_MESSAGES
from forms.schema import form_subject

_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
# Codes only the server says, each sent with its message: an answer too large or too deep
# (forms/bounds.py) and the count of errors past the listed ones (forms/validate.localize).
SERVER_ONLY = frozenset(("too_many_values", "too_deep", "more_errors"))


def validation_schema(schema: Any) -> Any:
    """The schema without the words only people read: what the phone validates against."""
    if isinstance(schema, list):
        return [validation_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ANNOTATIONS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):  # keys here are names, not keywords
            kept[key] = {name: validation_schema(sub) for name, sub in value.items()}
        elif key in ("const", "enum", "default", "required", "dependentRequired"):
            kept[key] = value
        else:
            kept[key] = validation_schema(value)
    return kept


# Where the phone finds a record's head and village for its list, which answers it carries
# from one household to the next (the surveyor), and which it fills with today's date; what
# a new survey of a household takes from its last answer (`known`) and from the roster
# (`roster`: the village goes to `place`, read-only; `fields`, roster field -> answer;
# `members`, where the roster's members go, their fields named alike; `category`, what a
# roster category says in the answers). Only the phone's conveniences; the server knows no
# field names.
RECORD_FIELDS: dict[str, dict[str, Any]] = {
    "household": {
        "head": "/household/head_name",
        "place": "/household/village_code",
        "carry": ["/survey/surveyor", "/survey/surveyor_unit"],
        "today": ["/survey/date"],
        # an ID number fills the member's birth date and sex beside it
        "identity": {"id": "id_number", "birth": "birth_date", "sex": "sex"},
        "known": ["/household", "/members"],
        "roster": {
            "fields": {
                "group_name": "/household/group",
                "head_name": "/household/head_name",
                "phone": "/household/phone",
            },
            "members": "/members",
            "category": {
                "general": ["/household/category", "non_poor"],
                "not_out": ["/household/status", "not_out"],
                "out": ["/household/status", "out"],
            },
        },
    }
}

# The option lists whose labels a form rule puts into its messages, in both languages
# (forms/rules.py check_other_causes names the main cause); the phone's schema has no labels.
RULE_LABELS: dict[str, tuple[str, ...]] = {"household": ("/causes/main_cause",)}


def option_labels(schema: dict[str, Any], at: str) -> dict[str, list[str]]:
    """value -> [zh, en] label of the single-choice question at pointer `at` ({} if none)."""
    node: Any = schema
    for key in at.split("/")[1:]:
        node = (node.get("properties") or {}).get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return {}
    zh, en = choices(node, "zh") or [], choices(node, "en") or []
    return {a.value: [a.label, b.label] for a, b in zip(zh, en, strict=True)}


def client_data(
    form_id: str,
    version: int,
    schema: dict[str, Any],
    lang: str,
    schema_key: str | None = None,
    tz: str = "Asia/Shanghai",
) -> dict[str, Any]:
    """Everything app.js needs: the schema to validate, the server's own messages, labels,
    for a form whose view differs from it (forms/refs.py) the view its fields follow, and
    the time zone whose today the schema's rules read (the server's MINSHENG_TZ)."""
    catalogue = {**messages.SCHEMA_MESSAGES, **RULE_MESSAGES}
    shown = view_of(schema, schema_key)
    view = shown.schema
    shape: dict[str, Any] = {"view": validation_schema(view)} if shown.changed else {}
    if _needs_more(view):
        shape["more"] = True  # the page loads forms/static/more.js
    logic = form_logic.declares_logic(schema)
    if form_subject(schema) == "village":
        shape["subject"] = "village"  # started without a household: it names its village
    return {
        **shape,
        "form": form_id,
        "version": version,
        "lang": lang,
        "tz": tz,
        "logic": logic,
        "schema": form_logic.localized(validation_schema(schema), lang)
        if logic
        else validation_schema(schema),
        "labels": {at: option_labels(schema, at) for at in RULE_LABELS.get(form_id, ())},
        "messages": {
            code: entry.get(lang) or entry["zh"]
            for code, entry in catalogue.items()
            if code not in SERVER_ONLY
        },
        "types": messages.TYPE_NAMES,
        "formats": messages.FORMAT_NAMES,
        "ui": UI[lang],
        "record": RECORD_FIELDS.get(form_id, {}),
    }


def _is_group(items: Any) -> bool:
    return isinstance(items, dict) and items.get("type") == "object"


def _repeats(node: dict[str, Any]) -> bool:
    """Whether an item of a repeat group holds a repeat group."""
    stack: list[Any] = [node]
    while stack:
        sub = stack.pop()
        if not isinstance(sub, dict):
            continue
        items = sub.get("items")
        if sub is not node and sub.get("type") == "array" and _is_group(items):
            return True
        stack.extend((sub.get("properties") or {}).values())
        for entry in sub.get("allOf") or []:
            if isinstance(entry, dict):
                stack.extend(entry.get(b) or {} for b in ("then", "else"))
        stack.extend(alternatives(sub))
    return False


def _needs_more(view: Any) -> bool:
    """Whether the phone needs forms/static/more.js: an object's alternatives, a date-time or
    a time, or a village question (which more.js turns into a township and a village list)
    somewhere in the form."""
    stack = [view]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if (
                node.get("format") in ("date-time", "time")
                or node.get("x-widget") == VILLAGE
                or (node.get("type") == "object" and alternatives(node))
            ):
                return True
            items = node.get("items")
            if node.get("type") == "array" and isinstance(items, dict) and _repeats(items):
                return True  # a repeat group inside a repeat group's items
            stack.extend(v for k, v in node.items() if k not in ("const", "enum", "default"))
        elif isinstance(node, list):
            stack.extend(node)
    return False
