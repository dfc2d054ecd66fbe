"""Option and field labels, read from the stored schema a report drew on.

A report names categories the way the form asked about them. The labels live
once, in the schema (`title` for Chinese, `x-en.title` for English); a report
reads them from the exact version its submissions were validated against, so
a later relabelling does not rewrite an old report's vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Labels:
    """Labels by dotted field path: `household.category`, `members.health`, `needs.urgency`."""

    options: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)
    form_title: tuple[str, str] = ("", "")

    def option(self, path: str, code: Any, lang: str) -> str:
        """The label of `code` in the option list at `path`; the code itself if unknown."""
        pair = self.options.get(path, {}).get(str(code))
        if pair is None:
            return str(code)
        return pair[1] if lang == "en" else pair[0]

    def codes(self, path: str) -> list[str]:
        """The option codes at `path`, in the form's order."""
        return list(self.options.get(path, {}))

    def title(self, path: str, lang: str) -> str:
        pair = self.titles.get(path)
        if pair is None:
            return path.rsplit(".", 1)[-1]
        return pair[1] if lang == "en" else pair[0]


def _pair(node: dict[str, Any]) -> tuple[str, str]:
    zh = str(node.get("title", ""))
    en = str((node.get("x-en") or {}).get("title") or zh)
    return zh, en


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted path, subschema) for every subschema, through items and conditionals."""
    if not isinstance(node, dict):
        return
    yield path, node
    for name, child in (node.get("properties") or {}).items():
        yield from _walk(child, f"{path}.{name}" if path else name)
    if isinstance(node.get("items"), dict):
        yield from _walk(node["items"], path)
    for key in ("allOf", "anyOf"):
        for child in node.get(key) or []:
            yield from _walk(child, path)
    for key in ("then", "else"):
        yield from _walk(node.get(key), path)
    for child in (node.get("dependentSchemas") or {}).values():
        yield from _walk(child, path)


def labels_from_schema(schema: dict[str, Any]) -> Labels:
    """Every option list (`oneOf` of `const`) and field title in `schema`, by path."""
    options: dict[str, dict[str, tuple[str, str]]] = {}
    titles: dict[str, tuple[str, str]] = {}
    for path, node in _walk(schema, ""):
        if "title" in node and path and path not in titles:
            titles[path] = _pair(node)
        choices = node.get("oneOf")
        if (
            isinstance(choices, list)
            and choices
            and all(isinstance(c, dict) and "const" in c for c in choices)
        ):
            found = options.setdefault(path, {})
            for choice in choices:
                found.setdefault(str(choice["const"]), _pair(choice))
    return Labels(options, titles, _pair(schema))


# A need's follow-up is recorded after the visit, not in the form, so its
# vocabulary lives here rather than in a schema: (code, 中文, English).
FOLLOWUP_STATUSES = (
    ("open", "待办", "Open"),
    ("solved_on_spot", "当场解决", "Solved on the spot"),
    ("referred", "已转办", "Referred"),
    ("in_progress", "办理中", "In progress"),
    ("solved", "已解决", "Solved"),
    ("cannot_solve", "无法解决已解释", "Cannot solve, explained"),
)
# Statuses that close a need: it is done with, whether or not it could be solved.
CLOSING_STATUSES = ("solved_on_spot", "solved", "cannot_solve")
SOLVED_STATUSES = ("solved_on_spot", "solved")
SATISFACTION = (
    ("satisfied", "满意", "Satisfied"),
    ("basically_satisfied", "基本满意", "Basically satisfied"),
    ("dissatisfied", "不满意", "Dissatisfied"),
)


def with_followups(labels: Labels) -> Labels:
    """`labels` plus the follow-up vocabulary, as `followup.status` and `followup.satisfaction`."""
    options = dict(labels.options)
    options["followup.status"] = {c: (zh, en) for c, zh, en in FOLLOWUP_STATUSES}
    options["followup.satisfaction"] = {c: (zh, en) for c, zh, en in SATISFACTION}
    titles = {
        **labels.titles,
        "followup.status": ("办理状态", "Status"),
        "followup.satisfaction": ("群众满意度", "Satisfaction"),
    }
    return Labels(options, titles, labels.form_title)
