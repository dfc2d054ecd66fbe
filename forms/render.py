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
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from forms.issues import pointer
from forms.media import LOCATION, PHOTO
from forms.places import LEVELS, VILLAGE, village_mark
from forms.refs import form_view
from forms.schema import canonical_json
from forms.subschemas import chosen_alternative
from forms.validate import validator_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
SELECT_ABOVE = 6  # more options than this show as a select, not radio buttons
TEXTAREA_ABOVE = 100  # a maxLength above this is a long answer
ITEM = "__i__"  # stands for a repeat item's index in a <template>
_TEL = re.compile(r"^\^[\\d\[\]0-9\-+{},()]+\$$")
# A code: a pattern of digits, upper-case letters and classes of them, each a fixed number of
# times (^62[0-9]{10}$, ^[0-9]{17}[0-9X]$). Such an answer is typed on a number pad or pasted:
# forms/static/check.js reads the same pattern the same way.
_CODE = re.compile(r"\^(?:(?:[0-9A-Z]|\[(?:[0-9A-Z](?:-[0-9A-Z])?)+\])(?:\{[0-9]+\})?)+\$")
_CODE_PART = re.compile(r"(\[[^\]]+\]|[0-9A-Z])(?:\{([0-9]+)\})?")
ANNOTATIONS = (
    *("title", "description", "x-en", "x-widget", "x-unit", "x-enumNames", "examples"),
    "$comment",
)
# A string's format -> the input that types it. A date-time or time is typed as the wall
# clock of China (forms/form_post.py typed adds its +08:00), the only time zone surveyed.
INPUT_FORMATS = {"date": "date", "email": "email", "date-time": "datetime-local", "time": "time"}
LOCAL_OFFSET = "+08:00"
CHINA = timezone(timedelta(hours=8))


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
    # photo location village
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
    # A question of an object's alternative (oneOf/anyOf): (the name of the field choosing
    # the alternative, the alternative's index, a hint for pages without JavaScript)
    alt: tuple[str, int, str] | None = None

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
        if self.kind in ("datetime-local", "time") and isinstance(self.value, str):
            return local_input(self.value, self.kind)
        return option_value(self.value)


@dataclass
class Page:
    """The whole form as rendered: its pages and any errors no field could show."""

    title: str
    help: str
    lang: str
    pages: list[Field]
    errors: list[str]  # errors no field could show
    # every field error as (anchor id, where, message), in page order, for the list at the top
    issues: list[tuple[str, str, str]] = field(default_factory=list)


# ---------------------------------------------------------------- reading the schema


def label(node: Mapping[str, Any], lang: str, key: str = "title") -> str:
    zh = node.get("x-unit", "") if key == "unit" else node.get(key, "")
    if lang == "en":
        return (node.get("x-en") or {}).get(key) or zh
    return zh


def choices(node: Mapping[str, Any], lang: str) -> list[Option] | None:
    """The options of a single-choice schema (oneOf or anyOf of consts, or enum), else None.

    An enum's labels are its `x-enumNames` (and `x-en.enumNames` in English), in the
    enum's order; without them an option reads as its value."""
    for keyword in ("oneOf", "anyOf"):
        branches = node.get(keyword)
        if isinstance(branches, list) and all(
            isinstance(b, dict) and "const" in b for b in branches
        ):
            return [
                Option(
                    option_value(b["const"]),
                    label(b, lang) or option_value(b["const"]),
                    label(b, lang, "description"),
                )
                for b in branches
            ]
    values = node.get("enum")
    if isinstance(values, list):
        names = node.get("x-enumNames")
        if lang == "en":
            names = (node.get("x-en") or {}).get("enumNames") or names
        if not isinstance(names, list) or len(names) != len(values):
            names = [option_value(v) for v in values]
        return [Option(option_value(v), str(n)) for v, n in zip(values, names, strict=True)]
    return None


def option_value(value: Any) -> str:
    """An option's value as a form field carries it: true, 2, 2.5, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
        if target.get("type") == "boolean":
            yes, no = ("Yes", "No") if lang == "en" else ("是", "否")
            options = {"True": yes, "False": no}
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
    schema_key: str | None = None,
) -> Page:
    """The page model of a form, filled with `answers` and with `errors` at their fields.

    `schema_key` is the schema's hash where the caller knows it (a published version's):
    the form's view (forms/refs.py) is kept under it."""
    schema = form_view(schema, schema_key)
    by_path: dict[str, list[str]] = {}
    for error in errors:
        by_path.setdefault(error.get("path", ""), []).append(error.get("message", ""))
    root = _object_field(schema, "", lang, answers or {}, fresh=answers is None)
    for page in root.children:
        _attach_errors(page, by_path)
    leftover = [m for msgs in by_path.values() for m in msgs]
    issues = [issue for page in root.children for issue in _issues(page, page.label)]
    return Page(
        label(schema, lang),
        label(schema, lang, "description"),
        lang,
        root.children,
        leftover,
        issues,
    )


def _issues(node: Field, where: str) -> Iterator[tuple[str, str, str]]:
    """(anchor, where, message) of each error at or under `node`; `where` names it."""
    anchor = ("e" if node.kind in ("group", "repeat") else "f") + node.name
    for message in node.errors:
        yield anchor, where, message
    nested = node.name.count("/") > 1  # inside a page: say which group or item
    for child in node.children:
        yield from _issues(child, f"{where} · {child.label}" if nested else child.label)
    for i, item in enumerate(node.items, 1):
        yield from _issues(item, f"{node.item_label} {i}")


def _attach_errors(node: Field, by_path: dict[str, list[str]]) -> None:
    for child in node.children + node.items:
        _attach_errors(child, by_path)
    node.errors = by_path.pop(node.name, [])
    if node.kind == LOCATION:  # its parts are not shown: their errors are the question's
        for part in node.children:
            node.errors.extend(part.errors)
            part.errors = []
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
        "unit": label(node, lang, "unit"),
        # a computed question (x-calculate) shows the value the phone or the server works out
        "readonly": bool(node.get("readOnly") or "x-calculate" in node),
    }
    if value is None and fresh and "default" in node:
        value = node["default"]
    if widget == PHOTO:
        return Field(kind=PHOTO, value=value, **common)
    if widget == VILLAGE:  # its villages are each visitor's own: see forms/places.py
        return Field(kind=VILLAGE, value=value, **common)
    if widget == LOCATION and kind_type == "object":
        # Its parts are filled by the phone's GPS, never typed: carried as hidden fields.
        fix = value if isinstance(value, dict) else {}
        parts = [
            _field(sub, pointer_join(name, key), lang, fix.get(key), fresh, False)
            for key, sub in (node.get("properties") or {}).items()
        ]
        return Field(kind=LOCATION, value=fix, children=parts, **common)
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
        # A text box, not type=number: a browser drops what it cannot read ("8500-") as if
        # nothing was typed; as text it reaches the checks and is an error at its field.
        attrs = {"inputmode": "numeric" if kind_type == "integer" else "decimal"}
        return Field(kind="number", attrs=attrs, value=value, **common)
    attrs = {"minlength": node.get("minLength"), "maxlength": node.get("maxLength")}
    pattern = node.get("pattern")
    if isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$"):
        attrs["pattern"] = pattern[1:-1]
    kind = widget or "text"
    if node.get("format") in INPUT_FORMATS:
        kind = widget or INPUT_FORMATS[node["format"]]
    elif (node.get("maxLength") or 0) > TEXTAREA_ABOVE:
        kind = widget or "textarea"
    elif isinstance(pattern, str) and _TEL.match(pattern):
        attrs["inputmode"] = "numeric"
        if pattern.startswith("^1") or pattern.startswith("^\\+"):
            kind = widget or "tel"
    if (code := code_pattern(node)) is not None:
        # The letters it admits (X for an ID number) can be typed beside a number pad.
        letters = code_letters(code)
        attrs.update({"maxlength": code_length(code), "data-code": letters})
        attrs["inputmode"] = "text" if letters else "numeric"
        if letters:
            attrs["autocapitalize"] = "characters"
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
    branches = alternatives(node)
    if branches:
        group.children += _alternative_fields(node, branches, name, lang, value, fresh, common)
    return group


ALT = "_alt"  # the field asking which alternative applies: not an answer, so not a pointer
ALT_UI = {
    "zh": {"which": "请选择适用的一项", "when": "仅当选择“{alt}”时填写"},
    "en": {"which": "Which applies", "when": "Only for “{alt}”"},
}


def alternatives(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An object's alternatives: a oneOf or anyOf each of whose branches has questions."""
    for keyword in ("oneOf", "anyOf"):
        branches = node.get(keyword)
        if (
            isinstance(branches, list)
            and branches
            and all(isinstance(b, dict) and isinstance(b.get("properties"), dict) for b in branches)
        ):
            return branches
    return []


def _alternative_fields(
    node: dict[str, Any],
    branches: list[dict[str, Any]],
    name: str,
    lang: str,
    value: Mapping[str, Any],
    fresh: bool,
    common: dict[str, Any] | None,
) -> list[Field]:
    """Which alternative applies (a choice that is no answer), then each one's questions,
    shown only while it is the one chosen."""
    shared = node.get("properties") or {}
    chosen = chosen_alternative(branches, shared, value)
    words = ALT_UI[lang]
    titles = [label(b, lang) or str(i + 1) for i, b in enumerate(branches)]
    which = Field(
        kind="radio",
        name=ALT + name,
        type="string",
        label=words["which"],
        required=bool((common or {}).get("required", True)),
        options=[Option(str(i), title) for i, title in enumerate(titles)],
        value=None if chosen is None else str(chosen),
    )
    found = [which]
    for index, branch in enumerate(branches):
        required = set(branch.get("required") or [])
        for key, sub in branch["properties"].items():
            if key in shared:
                continue
            child = _field(
                sub,
                pointer_join(name, key),
                lang,
                value.get(key) if chosen == index else None,
                fresh,
                key in required,
            )
            child.alt = (which.name, index, words["when"].format(alt=titles[index]))
            found.append(child)
    return found


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
    # A new item is the template's copy. A fresh page's first item, rendered empty, is the
    # same, and the page's script copies it (forms/static/fields.js): half a KB less to send.
    # A repeat group inside another one's item always has its template: a copy of the outer
    # item starts with the inner group empty.
    nested = f"/{ITEM}/" in name + "/" or re.search(r"/[0-9]+/", name + "/") is not None
    if nested or not (fresh and not value and count):
        repeat.template = _field(items, f"{name}/{ITEM}", lang, {}, True, False)
    return repeat


def local_input(value: str, kind: str) -> str:
    """A stored date-time or time as its input shows it: China's wall clock."""
    try:
        moment = datetime.fromisoformat(value if kind != "time" else "2000-01-01T" + value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA)
    text = moment.strftime("%Y-%m-%dT%H:%M" if moment.second == 0 else "%Y-%m-%dT%H:%M:%S")
    return text[11:] if kind == "time" else text


def pointer_join(base: str, key: str) -> str:
    return base + pointer(key)


def code_pattern(node: Mapping[str, Any]) -> str | None:
    """The pattern of a string answer that is a code (an ID or village number), else None."""
    pattern = node.get("pattern")
    if node.get("type") == "string" and isinstance(pattern, str) and _CODE.fullmatch(pattern):
        return pattern
    return None


def code_length(pattern: str) -> int:
    """How many characters a code pattern takes: ^[0-9]{17}[0-9X]$ takes 18."""
    return sum(int(n or 1) for _, n in _CODE_PART.findall(pattern[1:-1]))


def code_letters(pattern: str) -> str:
    """The letters a code pattern admits besides digits ("X" for an ID number)."""
    body = re.sub(r"\{[0-9]+\}", "", pattern[1:-1])
    letters = set()
    for start, end in re.findall(r"([A-Z])(?:-([A-Z]))?", body):
        letters |= {chr(c) for c in range(ord(start), ord(end or start) + 1)}
    return "".join(sorted(letters))


def normalize_code(text: str) -> str:
    """A code as typed on any keyboard: full-width digits to ASCII, no spaces, x as X."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


UI: dict[str, dict[str, str]] = {
    "zh": {
        "next": "下一页",
        "back": "上一页",
        "send": "提交",
        "page": "第 {n}/{total} 页",
        "summary": "提交前请核对",
        "edit_page": "修改",
        "fix": "本页有 {n} 处需要修改：",
        "fix_one": "本页有 1 处需要修改：",
        "fix_all": "有 {n} 处需要修改：",
        "fix_all_one": "有 1 处需要修改：",
        "sep": "；",
        "colon": "：",
        "list_sep": "、",
        "waiting": "待发送",
        "sent": "已发送",
        "draft": "草稿",
        "rejected": "被退回",
        "corrected": "已更正",
        "correction": "更正",
        "received": "服务器收到于 {at}",
        "state_sending": "正在发送…",
        "state_waiting": "待发送：答案已存在手机上，联网后自动发送。",
        "state_sent": "已发送：服务器收到于 {at}。",
        "state_rejected": "被退回：{why}",
        "state_corrected": "这份答案已被更正，以更正后的为准。",
        "state_correction": "这是对一份已发送答案的更正，发送后以它为准。",
        "already_corrected": "这份答案已被另一份更正取代，请在最新的答案上更正。",
        "done": "已提交，服务器已收到",
        "answer_id": "答案编号",
        "send_now": "立即发送",
        "offline": "没有网络，答案保存在手机上",
        "unsent": "{n} 份待发送",
        "fresh": "下一户",
        "again": "再填写一份",
        "pick_household": "请先在“我的联系户”中选择要调查的户。",
        "log_in": "重新登录",
        "login_needed": "需要重新登录：登录后，待发送的答案会自动发送",
        "link_lost": "此链接已失效，答案保存在手机上；请联系帮扶干部",
        "belongs": "{user} 的记录，待其登录后发送",
        "resume": "继续填写",
        "discard": "删除",
        "discard_confirm": "删除这份草稿（户主：{head}）？删除后不能恢复。",
        "view": "查看",
        "correct": "更正",
        "fix_rejected": "打开修改",
        "renew": "作为新的一份重新发送",
        "conflict": "可以把它作为新的一份重新发送。",
        "none": "（未填）",
        "records": "本机记录",
        "no_records": "这部手机上还没有记录。",
        "remove": "删除",
        "removed": "已删除 {what}",
        "undo": "撤销",
        "add": "添加",
        "x_key": "输入 X",
        "held": "这一户（户主：{head}）正在另一个窗口中填写。",
        "held_unnamed": "这一户正在另一个窗口中填写。",
        "take": "在这里继续填写",
        "moved": "这一户已在另一个窗口中提交：{status}",
        "aside": "（{note}）",
    },
    "en": {
        "next": "Next",
        "back": "Back",
        "send": "Send",
        "page": "Page {n} of {total}",
        "summary": "Check before sending",
        "edit_page": "Change",
        "fix": "{n} answers on this page need fixing:",
        "fix_one": "1 answer on this page needs fixing:",
        "fix_all": "{n} answers need fixing:",
        "fix_all_one": "1 answer needs fixing:",
        "sep": "; ",
        "colon": ": ",
        "list_sep": ", ",
        "waiting": "Waiting",
        "sent": "Sent",
        "draft": "Draft",
        "rejected": "Returned",
        "corrected": "Corrected",
        "correction": "Correction",
        "received": "received by the server at {at}",
        "state_sending": "Sending…",
        "state_waiting": "Waiting: kept on this phone and sent when there is a network.",
        "state_sent": "Sent: received by the server at {at}.",
        "state_rejected": "Returned: {why}",
        "state_corrected": "This answer was corrected; the correction counts.",
        "state_correction": "This corrects an answer already sent; once sent, it counts.",
        "already_corrected": "That answer was already replaced by another correction; "
        "correct the latest one.",
        "done": "Sent; the server received it",
        "answer_id": "Answer number",
        "send_now": "Send now",
        "offline": "No network; answers are kept on this phone",
        "unsent": "{n} waiting",
        "fresh": "Next household",
        "again": "Fill in another",
        "pick_household": "First choose the household to survey in My households.",
        "log_in": "Log in again",
        "login_needed": "You need to log in again: then the waiting answers are sent",
        "link_lost": "This link no longer works; the answers are kept on this phone."
        " Ask your cadre",
        "belongs": "{user}'s, sent once they log in",
        "resume": "Continue",
        "discard": "Delete",
        "discard_confirm": "Delete this draft (head: {head})? It cannot be undone.",
        "view": "View",
        "correct": "Correct",
        "fix_rejected": "Open to fix",
        "renew": "Send as a new answer",
        "conflict": "It can be sent again as a new answer.",
        "none": "(empty)",
        "records": "On this phone",
        "no_records": "Nothing on this phone yet.",
        "remove": "Remove",
        "removed": "Removed {what}",
        "undo": "Undo",
        "add": "Add",
        "x_key": "Type X",
        "held": "This household (head: {head}) is being filled in another window.",
        "held_unnamed": "This household is being filled in another window.",
        "take": "Continue it here",
        "moved": "This household was sent from another window: {status}",
        "aside": " ({note})",
    },
}


# The words of photo and location questions that only the page shows: not in the script's
# `ui` (forms/client.py), which every form page carries; photo.js has its own.
MEDIA_UI = {
    "zh": {
        "photo_kept": "已有照片",
        "located": "纬度 {lat}，经度 {lon}，精度约 {acc} 米",
        "nojs": "需要开启 JavaScript",
    },
    "en": {
        "photo_kept": "Has a photo",
        "located": "Latitude {lat}, longitude {lon}, accurate to about {acc} m",
        "nojs": "Needs JavaScript",
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
    env.globals["MEDIA_UI"] = MEDIA_UI
    env.globals["PLACES_UI"] = LEVELS
    env.globals["village_mark"] = village_mark
    # The page's data for its script as UTF-8 rather than \\u escapes (a Chinese character
    # is 3 bytes, not 6) and without spaces: about 0.5 KB less on a first visit, compressed.
    # `tojson` still escapes < > & and ' for a <script> element.
    env.policies["json.dumps_kwargs"] = {
        "sort_keys": True,
        "ensure_ascii": False,
        "separators": (",", ":"),
    }
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
