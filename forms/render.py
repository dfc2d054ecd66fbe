"""Turning a survey schema into a page a cheap phone can fill, with or without JavaScript.

The schema is the only description of a form, so everything a person sees is
read from it: labels and help in Chinese (`title`, `description`) or English
(`x-en`), top-level properties as pages, nested objects as groups, arrays of
objects as repeat groups, and the questions of an `if`/`then`/`else` branch as
conditional questions that carry their condition (the `if` schema itself) in a
data attribute, so the phone decides exactly as the server does.

Form fields are named by the JSON pointer of their answer (`/members/0/name`);
forms/form_post.py turns a plain POST back into answers and forms/client.py
gives the phone's script what it validates with. Pure: no server import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from forms.issues import pointer
from forms.schema import canonical_json
from forms.validate import validator_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
SELECT_ABOVE = 6  # more options than this show as a select, not radio buttons
TEXTAREA_ABOVE = 100  # a maxLength above this is a long answer
ITEM = "__i__"  # stands for a repeat item's index in a <template>
_TEL = re.compile(r"^\^[\\d\[\]0-9\-+{},()]+\$$")
ANNOTATIONS = ("title", "description", "x-en", "x-widget", "x-unit", "examples", "$comment")


@dataclass
class Option:
    value: str
    label: str
    help: str = ""


@dataclass
class Condition:
    """When a question shows (or is required): the `if` schema, checked against the object
    at `at`, and the branch whose questions it governs."""

    schema: dict[str, Any]
    when: str  # "then" or "else"
    hint: str
    at: str = ""  # JSON pointer of the object the `if` is checked against

    @property
    def json(self) -> str:
        return canonical_json(self.schema)


@dataclass
class Field:
    """One question, group or repeat group of the page, with its current answer and errors."""

    # text textarea number date email tel radio select checkboxes yesno const group repeat
    kind: str
    name: str  # JSON pointer of the answer
    type: str  # the JSON type the answer converts to
    label: str
    help: str = ""
    required: bool = False
    required_when: Condition | None = None  # required only while this holds
    unit: str = ""
    options: list[Option] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    value: Any = None
    errors: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)  # group
    items: list[Field] = field(default_factory=list)  # repeat
    template: Field | None = None  # repeat
    item_label: str = ""
    min_items: int = 0
    max_items: int | None = None
    condition: Condition | None = None
    readonly: bool = False

    @property
    def id(self) -> str:
        return "f" + self.name

    def checked(self, option: str) -> bool:
        if isinstance(self.value, list):
            return option in self.value
        if isinstance(self.value, bool):
            return option == ("true" if self.value else "false")
        return self.value is not None and str(self.value) == option

    @property
    def text(self) -> str:
        if self.value is None or isinstance(self.value, dict | list):
            return ""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value)


@dataclass
class Page:
    """The whole form as rendered: its pages and any errors no field could show."""

    title: str
    help: str
    lang: str
    pages: list[Field]
    errors: list[str]


# ---------------------------------------------------------------- reading the schema


def label(node: Mapping[str, Any], lang: str, key: str = "title") -> str:
    zh = node.get(key, "")
    if lang == "en":
        return (node.get("x-en") or {}).get(key) or zh
    return zh


def choices(node: Mapping[str, Any], lang: str) -> list[Option] | None:
    """The options of a single-choice schema (oneOf of consts, or enum), else None."""
    if isinstance(node.get("oneOf"), list) and all(
        isinstance(b, dict) and "const" in b for b in node["oneOf"]
    ):
        return [
            Option(
                str(b["const"]), label(b, lang) or str(b["const"]), label(b, lang, "description")
            )
            for b in node["oneOf"]
        ]
    if isinstance(node.get("enum"), list):
        return [Option(str(v), str(v)) for v in node["enum"]]
    return None


Branches = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]


def conditions(node: Mapping[str, Any]) -> list[Branches]:
    """(if, then, else) for each condition of an object; dependentSchemas read as if-present."""
    found = []
    for entry in node.get("allOf") or []:
        if isinstance(entry, dict) and isinstance(entry.get("if"), dict):
            found.append((entry["if"], entry.get("then") or {}, entry.get("else") or {}))
    for trigger, sub in (node.get("dependentSchemas") or {}).items():
        if isinstance(sub, dict):
            found.append(({"required": [trigger]}, sub, {}))
    return found


def holds(if_schema: dict[str, Any], value: Any) -> bool:
    """Whether a condition's `if` holds, judged exactly as the server validates."""
    return validator_for(if_schema).is_valid(value)


def _describe(if_schema: dict[str, Any], props: Mapping[str, Any], when: str, lang: str) -> str:
    """A condition in words, for people without JavaScript who see every question."""
    parts = []
    for name, sub in (if_schema.get("properties") or {}).items():
        target = props.get(name) or {}
        what = label(target, lang) or name
        while isinstance(sub.get("properties"), dict) and len(sub["properties"]) == 1:
            ((inner, sub),) = sub["properties"].items()
            target = (target.get("properties") or {}).get(inner) or {}
            what = label(target, lang) or inner
        options = {o.value: o.label for o in choices(target, lang) or []}
        if "const" in sub:
            values = [sub["const"]]
        elif isinstance(sub.get("enum"), list):
            values = sub["enum"]
        elif "exclusiveMinimum" in sub:
            parts.append(f"{what} > {sub['exclusiveMinimum']}")
            continue
        else:
            return "仅在适用时填写" if lang == "zh" else "Only when it applies"
        shown = [options.get(str(v), str(v)) for v in values]
        negate = when == "else"
        if lang == "en":
            parts.append(f"{what} is {'not ' if negate else ''}{' or '.join(shown)}")
        else:
            parts.append(f"「{what}」{'不' if negate else ''}为“{'”或“'.join(shown)}”")
    if not parts:
        return "仅在适用时填写" if lang == "zh" else "Only when it applies"
    if lang == "en":
        return "Only when " + " and ".join(parts)
    return "仅当" + "且".join(parts) + "时填写"


# ---------------------------------------------------------------- the page model


def build_page(
    schema: dict[str, Any],
    lang: str = "zh",
    answers: Mapping[str, Any] | None = None,
    errors: Iterable[Mapping[str, str]] = (),
) -> Page:
    """The page model of a form, filled with `answers` and with `errors` at their fields."""
    by_path: dict[str, list[str]] = {}
    for error in errors:
        by_path.setdefault(error.get("path", ""), []).append(error.get("message", ""))
    root = _object_field(schema, "", lang, answers or {}, fresh=answers is None)
    for page in root.children:
        _attach_errors(page, by_path)
    leftover = [m for msgs in by_path.values() for m in msgs]
    return Page(
        label(schema, lang), label(schema, lang, "description"), lang, root.children, leftover
    )


def _attach_errors(node: Field, by_path: dict[str, list[str]]) -> None:
    for child in node.children + node.items:
        _attach_errors(child, by_path)
    node.errors = by_path.pop(node.name, [])
    if node.kind == "repeat":  # errors inside an item's missing field show on the item
        for item in node.items:
            prefix = item.name + "/"
            for path in [p for p in by_path if p.startswith(prefix)]:
                item.errors.extend(by_path.pop(path))


def _field(
    node: dict[str, Any], name: str, lang: str, value: Any, fresh: bool, required: bool
) -> Field:
    widget = node.get("x-widget")
    kind_type = node.get("type")
    common: dict[str, Any] = {
        "name": name,
        "type": kind_type or "string",
        "label": label(node, lang),
        "help": label(node, lang, "description"),
        "required": required,
        "unit": node.get("x-unit", ""),
        "readonly": bool(node.get("readOnly")),
    }
    if value is None and fresh and "default" in node:
        value = node["default"]
    if kind_type == "object":
        return _object_field(
            node, name, lang, value if isinstance(value, dict) else {}, fresh, common
        )
    if kind_type == "array":
        items = node.get("items") or {}
        if items.get("type") == "object":
            return _repeat_field(
                node, items, lang, value if isinstance(value, list) else [], fresh, common
            )
        attrs: dict[str, Any] = {k: node[k] for k in ("minItems", "maxItems") if k in node}
        return Field(
            kind="checkboxes",
            options=choices(items, lang) or [],
            attrs=attrs,
            value=value,
            **common,
        )
    if kind_type == "boolean":
        yes_no = [
            Option("true", "是" if lang == "zh" else "Yes"),
            Option("false", "否" if lang == "zh" else "No"),
        ]
        return Field(kind=widget or "yesno", options=yes_no, value=value, **common)
    if "const" in node:
        common["readonly"] = True
        return Field(kind="const", value=node["const"], **common)
    listed = choices(node, lang)
    if listed is not None:
        kind = widget or ("select" if len(listed) > SELECT_ABOVE else "radio")
        return Field(kind=kind, options=listed, value=value, **common)
    if kind_type in ("integer", "number"):
        attrs = {
            "min": node.get("minimum"),
            "max": node.get("maximum"),
            "step": node.get("multipleOf", 1 if kind_type == "integer" else "any"),
            "inputmode": "numeric" if kind_type == "integer" else "decimal",
        }
        return Field(kind="number", attrs=attrs, value=value, **common)
    attrs = {"minlength": node.get("minLength"), "maxlength": node.get("maxLength")}
    pattern = node.get("pattern")
    if isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$"):
        attrs["pattern"] = pattern[1:-1]
    kind = widget or "text"
    if node.get("format") in ("date", "email"):
        kind = widget or node["format"]
    elif (node.get("maxLength") or 0) > TEXTAREA_ABOVE:
        kind = widget or "textarea"
    elif isinstance(pattern, str) and _TEL.match(pattern):
        attrs["inputmode"] = "numeric"
        if pattern.startswith("^1") or pattern.startswith("^\\+"):
            kind = widget or "tel"
    return Field(kind=kind, attrs=attrs, value=value, **common)


def _object_field(
    node: dict[str, Any],
    name: str,
    lang: str,
    value: Mapping[str, Any],
    fresh: bool,
    common: dict[str, Any] | None = None,
) -> Field:
    props: dict[str, Any] = node.get("properties") or {}
    required = set(node.get("required") or [])
    group = Field(kind="group", **(common or {"name": name, "type": "object", "label": ""}))
    children = {
        key: _field(sub, pointer_join(name, key), lang, value.get(key), fresh, key in required)
        for key, sub in props.items()
    }
    order = list(props)
    last_after: dict[str | None, str] = {}  # anchor -> the last question inserted after it
    for if_schema, then, else_ in conditions(node):
        anchor = next(
            (k for k in reversed(list((if_schema.get("properties") or {}))) if k in props), None
        )
        after = last_after.get(anchor, anchor)
        at = order.index(after) + 1 if after in order else len(order)
        for when, branch in (("then", then), ("else", else_)):
            branch_required = set(branch.get("required") or [])
            hint = _describe(if_schema, props, when, lang)
            for key, sub in (branch.get("properties") or {}).items():
                if key in props:  # a constraint on a question that is always shown
                    for inner in sub.get("required") or []:
                        _mark_required_when(
                            children[key], inner, Condition(if_schema, when, hint, name)
                        )
                    continue
                child = _field(
                    sub,
                    pointer_join(name, key),
                    lang,
                    value.get(key),
                    fresh,
                    key in branch_required,
                )
                child.condition = Condition(if_schema, when, hint, name)
                children[key] = child
                order.insert(at, key)
                at += 1
                last_after[anchor] = key
            for key in branch_required & set(props):
                children[key].required_when = Condition(if_schema, when, hint, name)
    group.children = [children[key] for key in order]
    return group


def _mark_required_when(group: Field, key: str, condition: Condition) -> None:
    for child in group.children:
        if child.name.rsplit("/", 1)[-1] == key:
            child.required_when = condition
            condition.hint = condition.hint.replace("填写", "必填")


def _repeat_field(
    node: dict[str, Any],
    items: dict[str, Any],
    lang: str,
    value: list[Any],
    fresh: bool,
    common: dict[str, Any],
) -> Field:
    min_items = int(node.get("minItems", 0))
    count = max(len(value), min_items if fresh else 0)
    name = common["name"]
    repeat = Field(
        kind="repeat",
        min_items=min_items,
        max_items=node.get("maxItems"),
        item_label=label(items, lang) or label(node, lang),
        **common,
    )
    for i in range(count):
        item_value = value[i] if i < len(value) and isinstance(value[i], dict) else {}
        repeat.items.append(_field(items, f"{name}/{i}", lang, item_value, fresh, False))
    repeat.template = _field(items, f"{name}/{ITEM}", lang, {}, True, False)
    return repeat


def pointer_join(base: str, key: str) -> str:
    return base + pointer(key)


UI: dict[str, dict[str, str]] = {
    "zh": {
        "next": "下一页",
        "back": "上一页",
        "review": "核对",
        "send": "提交",
        "edit": "返回修改",
        "page": "第 {n}/{total} 页",
        "summary": "提交前请核对",
        "fix": "本页有 {n} 处需要修改",
        "saved": "草稿已保存",
        "waiting": "待发送",
        "sent": "已发送",
        "draft": "草稿",
        "rejected": "被退回",
        "received": "服务器收到于 {at}",
        "queued": "已存入待发送，联网后自动发送",
        "done": "已提交，服务器已收到",
        "send_now": "立即发送",
        "open": "打开",
        "offline": "没有网络：答案保存在手机上",
        "unsent": "还有答案没有发送",
        "new": "填写新的一份",
        "none": "（未填）",
        "records": "本机记录",
        "remove": "删除",
        "add": "添加",
        "sending": "正在发送…",
        "renew": "作为新的一份重新发送",
        "conflict": "可在上方本机记录中把它作为新的一份重新发送。",
        "sent_heading": "已提交的答案",
        "held": "这一户（户主：{head}）正在另一个窗口中填写。",
        "take": "在这里继续填写",
        "fresh": "填写新的一户",
        "moved": "这一户已在另一个窗口中提交：",
    },
    "en": {
        "next": "Next",
        "back": "Back",
        "review": "Review",
        "send": "Send",
        "edit": "Change answers",
        "page": "Page {n} of {total}",
        "summary": "Check before sending",
        "fix": "{n} answers on this page need fixing",
        "saved": "Draft saved",
        "waiting": "waiting",
        "sent": "sent",
        "draft": "draft",
        "rejected": "returned",
        "received": "received by the server at {at}",
        "queued": "Saved to the outbox; it will be sent when there is a network",
        "done": "Sent; the server received it",
        "send_now": "Send now",
        "open": "Open",
        "offline": "No network: answers are kept on this phone",
        "unsent": "Some answers are not sent yet",
        "new": "Fill a new one",
        "none": "(empty)",
        "records": "On this phone",
        "remove": "Remove",
        "add": "Add",
        "sending": "Sending…",
        "renew": "Send as a new answer",
        "conflict": "It can be sent again as a new answer from the list above.",
        "sent_heading": "Answer sent",
        "held": "This household (head: {head}) is being filled in another window.",
        "take": "Continue it here",
        "fresh": "Start a new household",
        "moved": "This household was sent from another window:",
    },
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["UI"] = UI
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
