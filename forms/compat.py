"""What changed between two versions of a form, and which changes old answers may not survive.

Every answer names the version it was made for, and a phone keeps its drafts on
the version it opened; a new version is only safe to put in front of them when
what fitted the old one still fits. So before a designer publishes, the new
schema is compared question by question with the version it replaces. The
changes that can make an answer valid yesterday invalid today are *breaking*
and make the compatibility report the designer acknowledges:

- a question removed (its answers have nowhere to go),
- its type changed,
- options removed from a choice,
- a question newly required (a new one, or one that was optional),
- a constraint tightened (a higher minimum, a shorter maxLength, a new pattern, a new or
  changed check of the form's own, `x-rules`, or computed value, `x-calculate` ...),
- the condition under which a conditional question is asked changed.

The rest (questions and options added, labels reworded, limits relaxed) is only
listed in the diff. Questions are matched by where their answer lives
(`/members/*/name`), so moving one into an `if`/`then` branch is a change of
condition, not a removal and an addition. Pure: no I/O, no server import.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from forms.issues import pointer

REQUIRED_ALWAYS, REQUIRED_SOMETIMES = "always", "sometimes"
HIGHER_IS_TIGHTER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
LOWER_IS_TIGHTER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
# Any change of these may refuse an answer that passed before; which way is unknowable.
CHANGED_IS_TIGHTER = ("pattern", "multipleOf", "const")
CONSTRAINTS = (*HIGHER_IS_TIGHTER, *LOWER_IS_TIGHTER, *CHANGED_IS_TIGHTER, "uniqueItems")
WORDS = ("title", "description", "x-unit", "x-en")

BREAKING_KINDS = (
    "field_removed",
    "type_changed",
    "options_narrowed",
    "required_added",
    "constraint_tightened",
    "condition_changed",
)


@dataclass
class Question:
    """One question, section or repeat group, as the comparison sees it."""

    path: str  # where its answer lives: /household/head_name, /members/*/name
    pointer: str  # where it is defined in the schema
    parent: str  # the path of the question it is inside ("" for a section)
    label: str
    label_en: str
    kind: str  # "string", "string (date)", "array of objects", "array of string" ...
    options: dict[str, list[str]]  # value -> [zh, en] label, in order
    required: str  # REQUIRED_ALWAYS, REQUIRED_SOMETIMES or ""
    constraints: dict[str, Any]
    words: dict[str, Any]  # title, description, x-unit, x-en as written
    condition: str | None = None  # the `if` and which branch, for a conditional question


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a form."""

    kind: str  # field_added, field_removed, type_changed, options_narrowed, options_added,
    # option_label_changed, required_added, required_removed, constraint_tightened,
    # constraint_relaxed, condition_changed, label_changed
    path: str
    pointer: str
    label: str
    label_en: str
    old: Any = None
    new: Any = None
    breaking: bool = False

    def text(self, lang: str = "zh") -> str:
        """The change in a sentence a designer reads, without the pointer."""
        return _text(self, lang)

    def as_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "kind": self.kind,
            "breaking": self.breaking,
            "path": self.path,
            "pointer": self.pointer,
            "label": self.label,
            "label_en": self.label_en,
            "old": self.old,
            "new": self.new,
            "text": self.text(lang),
        }


# ---------------------------------------------------------------- reading one version


def questions(schema: Any) -> dict[str, Question]:
    """Every question of a form schema by the path of its answer, in document order."""
    found: dict[str, Question] = {}
    if isinstance(schema, dict):
        _object(schema, "", "", "", found)
    return found


def _escape(name: str) -> str:
    return pointer(name)


def _object(
    node: dict[str, Any], path: str, at: str, parent: str, found: dict[str, Question]
) -> None:
    required = _names(node.get("required"))
    props = node.get("properties")
    for name, sub in (props if isinstance(props, dict) else {}).items():
        always = REQUIRED_ALWAYS if name in required else ""
        at_name = f"{at}/properties{_escape(name)}"
        _question(sub, path + _escape(name), at_name, parent, always, None, found)
    for branch_at, condition, branch in _branches(node, at):
        branch_required = _names(branch.get("required"))
        branch_props = branch.get("properties")
        branch_props = branch_props if isinstance(branch_props, dict) else {}
        for name, sub in branch_props.items():
            here = path + _escape(name)
            if here in found:  # a question of the object refined by the branch
                _refine(sub, here, found)
                if name in branch_required and not found[here].required:
                    found[here].required = REQUIRED_SOMETIMES
                continue
            need = REQUIRED_SOMETIMES if name in branch_required else ""
            at_name = f"{branch_at}/properties{_escape(name)}"
            _question(sub, here, at_name, parent, need, condition, found)
        for name in branch_required - set(branch_props):
            known = found.get(path + _escape(name))
            if known is not None and not known.required:
                known.required = REQUIRED_SOMETIMES


def _names(value: Any) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _branches(node: dict[str, Any], at: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(pointer, condition, branch) of each `then`/`else` of the object's conditions."""
    entries: list[tuple[str, Any]] = [(at, node)]
    all_of = node.get("allOf")
    if isinstance(all_of, list):
        entries += [(f"{at}/allOf/{i}", entry) for i, entry in enumerate(all_of)]
    for entry_at, entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("if"), dict):
            continue
        for when in ("then", "else"):
            branch = entry.get(when)
            if isinstance(branch, dict):
                condition = json.dumps([when, entry["if"]], ensure_ascii=False, sort_keys=True)
                yield f"{entry_at}/{when}", condition, branch


def _refine(sub: Any, path: str, found: dict[str, Question]) -> None:
    """What a branch requires inside a question it refines is required sometimes."""
    if not isinstance(sub, dict):
        return
    for name in _names(sub.get("required")):
        inner = found.get(path + _escape(name))
        if inner is not None and not inner.required:
            inner.required = REQUIRED_SOMETIMES
    props = sub.get("properties")
    for name, inner_sub in (props if isinstance(props, dict) else {}).items():
        _refine(inner_sub, path + _escape(name), found)


def _question(
    node: Any,
    path: str,
    at: str,
    parent: str,
    required: str,
    condition: str | None,
    found: dict[str, Question],
) -> None:
    if not isinstance(node, dict):
        return
    kind, options, constraints = _shape(node)
    en = _english(node)
    found[path] = Question(
        path=path,
        pointer=at,
        parent=parent,
        label=str(node.get("title") or path.rsplit("/", 1)[-1]),
        label_en=str(en.get("title") or node.get("title") or path.rsplit("/", 1)[-1]),
        kind=kind,
        options=options,
        required=required,
        constraints=constraints,
        words={k: node[k] for k in WORDS if k in node},
        condition=condition,
    )
    if node.get("type") == "object":
        _object(node, path, at, path, found)
    items = node.get("items")
    if node.get("type") == "array" and isinstance(items, dict) and items.get("type") == "object":
        _object(items, path + "/*", at + "/items", path, found)


def _english(node: dict[str, Any]) -> dict[str, Any]:
    found = node.get("x-en")
    return found if isinstance(found, dict) else {}


def _type_name(node: dict[str, Any]) -> str:
    kind = node.get("type", "any")
    name = kind if isinstance(kind, str) else json.dumps(kind)
    return f"{name} ({node['format']})" if isinstance(node.get("format"), str) else name


def _shape(node: dict[str, Any]) -> tuple[str, dict[str, list[str]], dict[str, Any]]:
    """(kind, options, constraints) of a question."""
    constraints = {k: node[k] for k in CONSTRAINTS if k in node} | _logic(node)
    items = node.get("items")
    if node.get("type") == "array" and isinstance(items, dict):
        if items.get("type") == "object":
            inner = {f"items.{k}": v for k, v in _logic(items).items()}
            return "array of objects", {}, {**constraints, **inner}
        inner = {f"items.{k}": items[k] for k in CONSTRAINTS if k in items}
        return f"array of {_type_name(items)}", _options(items), {**constraints, **inner}
    return _type_name(node), _options(node), constraints


def _logic(node: dict[str, Any]) -> dict[str, Any]:
    """A question's own checks and computed value as constraints: each rule by its id (its
    message is words), so any new or changed one may refuse what passed (forms/form_logic.py)."""
    found = {"x-calculate": node["x-calculate"]} if "x-calculate" in node else {}
    for rule in node.get("x-rules") or []:
        if isinstance(rule, dict) and isinstance(rule.get("id"), str):
            found[f"x-rules.{rule['id']}"] = rule.get("rule")
    return found


def _value_key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _options(node: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    one_of = node.get("oneOf")
    if isinstance(one_of, list):
        for option in one_of:
            if isinstance(option, dict) and "const" in option:
                en = _english(option)
                key = _value_key(option["const"])
                zh = str(option.get("title") or key)
                found[key] = [zh, str(en.get("title") or zh)]
    enum = node.get("enum")
    if isinstance(enum, list):
        for value in enum:
            key = _value_key(value)
            found.setdefault(key, [key, key])
    return found


# ---------------------------------------------------------------- comparing two


def diff_schemas(old: Any, new: Any) -> list[Change]:
    """Every change from `old` to `new`, removals first, then in the new document's order."""
    before, after = questions(old), questions(new)
    changes: list[Change] = []
    if isinstance(old, dict) and isinstance(new, dict):
        worded = {k: old.get(k) for k in WORDS if old.get(k) != new.get(k)}
        if worded:
            reworded = {k: new.get(k) for k in worded}
            changes.append(_change("label_changed", _root(new), old=worded, new=reworded))
        changes += _compare_constraints(_root(old), _root(new))  # the survey's own x-rules
    gone = before.keys() - after.keys()
    changes += [
        _change("field_removed", q, breaking=True)
        for q in before.values()
        if q.path in gone
        and q.parent not in gone  # inside a removed group: the group is the change
    ]
    for path, now in after.items():
        previous = before.get(path)
        if previous is None:
            if now.parent and now.parent not in before:
                continue  # inside a new group: the group is the change
            if now.required:
                added = _change("required_added", now, new=now.required, breaking=True)
                changes.append(added)
            else:
                changes.append(_change("field_added", now))
            continue
        changes.extend(_compare(previous, now))
    return changes


def compatibility(old: Any, new: Any) -> list[Change]:
    """The changes answers made for `old` may not survive in `new` (empty: none)."""
    return [c for c in diff_schemas(old, new) if c.breaking]


def _root(schema: dict[str, Any]) -> Question:
    en = _english(schema)
    title = str(schema.get("title") or "")
    label = str(en.get("title") or title)
    return Question("", "", "", title, label, "object", {}, "", _logic(schema), {})


def _change(
    kind: str, q: Question, *, old: Any = None, new: Any = None, breaking: bool = False
) -> Change:
    return Change(kind, q.path, q.pointer, q.label, q.label_en, old, new, breaking)


def _compare(was: Question, now: Question) -> Iterator[Change]:
    if was.kind != now.kind:
        yield _change("type_changed", now, old=was.kind, new=now.kind, breaking=True)
    else:
        yield from _compare_options(was, now)
        yield from _compare_constraints(was, now)
    if now.required and (
        not was.required or (was.required, now.required) == ("sometimes", "always")
    ):
        yield _change("required_added", now, old=was.required, new=now.required, breaking=True)
    elif was.required and not now.required:
        yield _change("required_removed", now, old=was.required, new="")
    if was.condition != now.condition:
        # Asked in fewer cases, or on another question's answer: an answer given under the
        # old condition may now be refused as not applicable. Asked always: nothing refused.
        yield _change(
            "condition_changed",
            now,
            old=_condition(was.condition),
            new=_condition(now.condition),
            breaking=now.condition is not None,
        )
    if was.words != now.words:
        keys = [k for k in WORDS if was.words.get(k) != now.words.get(k)]
        yield _change(
            "label_changed",
            now,
            old={k: was.words.get(k) for k in keys},
            new={k: now.words.get(k) for k in keys},
        )


def _condition(condition: str | None) -> Any:
    if condition is None:
        return None
    when, if_schema = json.loads(condition)
    return {"when": when, "if": if_schema}


def _compare_options(was: Question, now: Question) -> Iterator[Change]:
    removed = {k: v for k, v in was.options.items() if k not in now.options}
    added = {k: v for k, v in now.options.items() if k not in was.options}
    if removed and now.options:
        yield _change("options_narrowed", now, old=removed, new=None, breaking=True)
    if added and was.options:
        yield _change("options_added", now, old=None, new=added)
    relabelled = {k for k, v in now.options.items() if k in was.options and was.options[k] != v}
    if relabelled:
        yield _change(
            "option_label_changed",
            now,
            old={k: was.options[k] for k in was.options if k in relabelled},
            new={k: now.options[k] for k in now.options if k in relabelled},
        )
    if bool(was.options) != bool(now.options):  # a choice became free text, or the reverse
        yield _change(
            "options_narrowed" if now.options else "constraint_relaxed",
            now,
            old=was.options or None,
            new=now.options or None,
            breaking=bool(now.options),
        )


def _compare_constraints(was: Question, now: Question) -> Iterator[Change]:
    tighter: dict[str, list[Any]] = {}
    looser: dict[str, list[Any]] = {}
    for key in dict.fromkeys([*was.constraints, *now.constraints]):
        old, new = was.constraints.get(key), now.constraints.get(key)
        if old == new:
            continue
        (tighter if _tightens(key, old, new) else looser)[key] = [old, new]
    if tighter:
        yield _change(
            "constraint_tightened",
            now,
            old={k: v[0] for k, v in tighter.items()},
            new={k: v[1] for k, v in tighter.items()},
            breaking=True,
        )
    if looser:
        yield _change(
            "constraint_relaxed",
            now,
            old={k: v[0] for k, v in looser.items()},
            new={k: v[1] for k, v in looser.items()},
        )


def _tightens(key: str, old: Any, new: Any) -> bool:
    bare = key.removeprefix("items.")
    if new is None:
        return False  # a limit taken away
    if old is None:
        return bare != "uniqueItems" or new is True
    if bare in HIGHER_IS_TIGHTER or bare in LOWER_IS_TIGHTER:
        if not isinstance(old, int | float) or not isinstance(new, int | float):
            return True
        return new > old if bare in HIGHER_IS_TIGHTER else new < old
    if bare == "uniqueItems":
        return new is True
    return True  # CHANGED_IS_TIGHTER


# ---------------------------------------------------------------- in words


def _short(value: Any) -> str:
    if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
        return ", ".join(f"{k}" for k in value)  # options: their values
    if isinstance(value, dict):
        return ", ".join(f"{k} {_short(v)}" for k, v in value.items())
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _option_words(options: Any, lang: str) -> str:
    if not isinstance(options, dict):
        return "—"
    index = 1 if lang == "en" else 0
    return ", ".join(
        f"{labels[index]} ({value})" if isinstance(labels, list) else value
        for value, labels in options.items()
    )


def _limits(old: Any, new: Any) -> str:
    keys = list(dict.fromkeys([*(old or {}), *(new or {})]))
    return "; ".join(
        f"{k} {_short((old or {}).get(k))} → {_short((new or {}).get(k))}" for k in keys
    )


_REQUIRED_WORDS = {
    "zh": {"always": "必答", "sometimes": "条件成立时必答", "": "选答", None: "新问题"},
    "en": {"always": "required", "sometimes": "required when its condition holds",
           "": "optional", None: "new"},
}  # fmt: skip


def _text(c: Change, lang: str) -> str:
    en = lang == "en"
    name = (
        (f"'{c.label_en}'" if en else f"「{c.label}」")
        if c.path
        else ("the form's title or help" if en else "表单的标题或说明")
        if c.kind == "label_changed"
        else ("the form" if en else "表单")
    )
    req = _REQUIRED_WORDS["en" if en else "zh"]
    if c.kind == "field_added":
        return f"added {name}" if en else f"新增{name}"
    if c.kind == "field_removed":
        return f"removed {name}" if en else f"删除了{name}"
    if c.kind == "type_changed":
        return f"{name}: type {c.old} → {c.new}" if en else f"{name}的类型由 {c.old} 改为 {c.new}"
    if c.kind == "options_narrowed":
        gone = _option_words(c.old, lang)
        return f"{name}: options removed: {gone}" if en else f"{name}删除了选项：{gone}"
    if c.kind == "options_added":
        more = _option_words(c.new, lang)
        return f"{name}: options added: {more}" if en else f"{name}新增选项：{more}"
    if c.kind == "option_label_changed":
        old, new = _option_words(c.old, lang), _option_words(c.new, lang)
        return (
            f"{name}: options renamed: {old} → {new}" if en else f"{name}的选项改名：{old} → {new}"
        )
    if c.kind == "required_added":
        if c.old is None:
            what = req[c.new]
            return f"added {name}, {what}" if en else f"新增{name}（{what}）"
        return f"{name} is now {req[c.new]}" if en else f"{name}改为{req[c.new]}"
    if c.kind == "required_removed":
        return f"{name} is now optional" if en else f"{name}改为选答"
    if c.kind in ("constraint_tightened", "constraint_relaxed"):
        how = ("tightened" if en else "收紧") if c.breaking else ("relaxed" if en else "放宽")
        limits = _limits(c.old, c.new)
        return f"{name}: limits {how}: {limits}" if en else f"{name}的限制{how}：{limits}"
    if c.kind == "condition_changed":
        if c.new is None:
            return f"{name} is now always asked" if en else f"{name}改为总是询问"
        if c.old is None:
            return f"{name} is now asked only sometimes" if en else f"{name}改为仅在条件成立时询问"
        return f"{name}: the condition it is asked under changed" if en else f"{name}的询问条件改了"
    if c.kind == "label_changed":
        keys = ", ".join(dict.fromkeys([*(c.old or {}), *(c.new or {})]))
        return f"{name}: wording changed ({keys})" if en else f"{name}的文字改了（{keys}）"
    return f"{name}: {c.kind}"
