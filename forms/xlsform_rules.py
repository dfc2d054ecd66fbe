"""XLSForm constraints and calculations as JSON Schema keywords and JSON Logic.

A constraint that is a plain bound of the answer (`. <= 120`, `string-length(.) <= 18`,
`count-selected(.) <= 3`, an anchored `regex()`) becomes the keyword that says it, so the
phone and the server check it as they check any bound; the rest of a constraint, and a
calculation, become JSON Logic (`x-rules`, `x-calculate`) whose `var` reads the object
holding the question. See forms/xlsform_logic.py for relevance and forms/README.md's XLSForm
section for what is converted. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forms.patterns import pattern_problems
from forms.xlsform_logic import (
    BOUND,
    FLIP,
    Path,
    Question,
    Questions,
    Unconvertible,
    inside,
    literal,
    option,
    question_named,
    selected_form,
)
from forms.xpath import COMPARISONS, BinOp, Call, Here, Neg, Node, Num, Ref, Str

# ---------------------------------------------------------------- constraints


@dataclass
class Constraint:
    keywords: dict[str, Any]  # JSON Schema keywords of the question itself
    rule: Any | None  # JSON Logic true when the answer is fine, or None
    skipped: list[tuple[str, str]]  # why a part of an `and` was not carried over (zh, en)


def constraint(node: Node, question: Question, holder: Path, questions: Questions) -> Constraint:
    """A constraint as keywords where it is a plain bound, and a JSON Logic rule otherwise.

    An `and` is taken apart: each part that is a bound becomes a keyword, the others one
    rule; a part neither can say is left out and said in `skipped`."""
    keywords: dict[str, Any] = {}
    rules: list[Any] = []
    skipped: list[tuple[str, str]] = []
    for part in _conjuncts(node):
        bound = _bound(part, question)
        if bound is not None:
            for key, value in bound.items():
                keywords[key] = _tighter(key, keywords.get(key), value)
            continue
        try:
            rules.append(logic(part, holder, questions, here=question))
        except Unconvertible as exc:
            skipped.append((exc.zh, exc.en))
    rule = None
    if rules:
        combined = rules[0] if len(rules) == 1 else {"and": rules}
        # XLSForm checks a constraint only once the question is answered.
        rule = {"or": [{"==": [{"var": _var(question.name)}, None]}, combined]}
    return Constraint(keywords, rule, skipped)


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, BinOp) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


_LENGTH = {
    "<=": ("maxLength", 0),
    "<": ("maxLength", -1),
    ">=": ("minLength", 0),
    ">": ("minLength", 1),
}
_ITEMS = {"<=": ("maxItems", 0), "<": ("maxItems", -1), ">=": ("minItems", 0), ">": ("minItems", 1)}


def _bound(node: Node, question: Question) -> dict[str, Any] | None:
    """JSON Schema keywords saying `node` of the question's own answer, or None."""
    if isinstance(node, Call) and node.name == "regex":
        subject, pattern = node.args
        if isinstance(subject, Here) and isinstance(pattern, Str) and question.type == "string":
            converted = json_schema_pattern(pattern.value)
            if converted is not None:
                return {"pattern": converted}
        return None
    if not isinstance(node, BinOp) or node.op not in COMPARISONS or node.op == "!=":
        return None
    op, subject, value = node.op, node.left, node.right
    if isinstance(subject, Num):
        op, subject, value = FLIP[op], node.right, node.left
    if not isinstance(value, Num):
        return None
    number = value.value
    if isinstance(subject, Here) and question.type in ("integer", "number"):
        if op == "=":
            return {"minimum": number, "maximum": number}
        return {BOUND[op]: number}
    if not isinstance(subject, Call) or subject.args != (Here(),) or isinstance(number, float):
        return None
    if subject.name == "string-length" and question.type == "string":
        table = _LENGTH
    elif subject.name == "count-selected" and question.multiple:
        table = _ITEMS
    else:
        return None
    if op == "=":
        low, high = table[">="][0], table["<="][0]
        return {low: number, high: number}
    key, shift = table[op]
    return {key: max(number + shift, 0)}


def _tighter(key: str, old: Any, new: Any) -> Any:
    if old is None or key == "pattern":
        return new
    return max(old, new) if key.startswith(("min", "exclusiveMin")) else min(old, new)


def json_schema_pattern(regex: str) -> str | None:
    """An XLSForm regex as a pattern the form check accepts, or None.

    XLSForm's regex() searches; a pattern here describes the whole answer, so only a
    regex anchored at both ends carries over. `\\d` becomes `[0-9]` (the server's `\\d`
    also matches full-width digits, the phone's does not)."""
    if not (regex.startswith("^") and regex.endswith("$")) or regex.endswith("\\$"):
        return None
    converted = _ascii_digits(regex)
    if pattern_problems({"type": "string", "pattern": converted}):
        return None
    return converted


def _ascii_digits(regex: str) -> str:
    out: list[str] = []
    in_class = False
    at = 0
    while at < len(regex):
        char = regex[at]
        if char == "\\" and at + 1 < len(regex):
            pair = regex[at : at + 2]
            out.append(("0-9" if in_class else "[0-9]") if pair == "\\d" else pair)
            at += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        at += 1
    return "".join(out)


# ---------------------------------------------------------------- JSON Logic

_LOGIC_OPS = {
    "or": "or",
    "and": "and",
    "=": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "+": "+",
    "-": "-",
    "*": "*",
    "div": "/",
    "mod": "%",
}
ARITHMETIC = {"+", "-", "*", "div", "mod"}


def logic(node: Node, holder: Path, questions: Questions, here: Question | None = None) -> Any:
    """The JSON Logic of an expression; `var` reads the object at `holder`."""
    if isinstance(node, Num | Str):
        return node.value
    if isinstance(node, Here):
        if here is None:
            raise no_here()
        return {"var": _var(here.name)}
    if isinstance(node, Ref):
        return {"var": _var(_sibling(node.name, holder, questions))}
    if isinstance(node, Neg):
        return {"-": [logic(node.operand, holder, questions, here)]}
    if isinstance(node, BinOp):
        left, right = node.left, node.right
        if node.op in ("=", "!="):
            left_value, right_value = _typed_pair(left, right, questions, here)
            if left_value is not None or right_value is not None:
                sides = [
                    left_value if left_value is not None else logic(left, holder, questions, here),
                    right_value
                    if right_value is not None
                    else logic(right, holder, questions, here),
                ]
                return {_LOGIC_OPS[node.op]: sides}
        op = _LOGIC_OPS[node.op]
        sides = [logic(left, holder, questions, here), logic(right, holder, questions, here)]
        if op in ("and", "or") and isinstance(sides[0], dict) and op in sides[0]:
            return {op: [*sides[0][op], sides[1]]}
        return {op: sides}
    return _call(node, holder, questions, here)


def _call(node: Call, holder: Path, questions: Questions, here: Question | None) -> Any:
    args = [logic(arg, holder, questions, here) for arg in node.args if node.name != "selected"]
    if node.name == "today":
        return {"today": []}
    if node.name in ("true", "false"):
        return node.name == "true"
    if node.name == "not":
        return {"!": args}
    if node.name == "if":
        return {"if": args}
    if node.name == "concat":
        return {"cat": args}
    if node.name == "number":
        return {"+": args}
    if node.name == "coalesce":
        return {"if": [{"==": [args[0], None]}, args[1], args[0]]}
    if node.name == "selected":
        target, value = node.args
        if not isinstance(value, Str) or not isinstance(target, Ref | Here):
            raise selected_form()
        question = here if isinstance(target, Here) else question_named(target.name, questions)
        if question is None:
            raise no_here()
        var = logic(target, holder, questions, here)
        if question.multiple:
            return {"in": [option(question, value), var]}
        return {"==": [var, literal(question, value)]}
    raise Unconvertible(
        f"{node.name}() 在这里没有对应的 JSON Logic",
        f"{node.name}() has no JSON Logic equivalent here",
    )


def _typed_pair(
    left: Node, right: Node, questions: Questions, here: Question | None
) -> tuple[Any, Any]:
    """A literal compared with a yes/no question, as the boolean it stands for."""

    def question_of(node: Node) -> Question | None:
        if isinstance(node, Here):
            return here
        if isinstance(node, Ref):
            return question_named(node.name, questions)
        return None

    one, other = question_of(left), question_of(right)
    if one is not None and one.type == "boolean" and isinstance(right, Str):
        return None, literal(one, right)
    if other is not None and other.type == "boolean" and isinstance(left, Str):
        return literal(other, left), None
    return None, None


def _sibling(name: str, holder: Path, questions: Questions) -> str:
    path = inside(question_named(name, questions), holder)
    if len(path) != 1:
        raise Unconvertible(
            f"${{{name}}} 在本组的子组中，规则和计算只能读取本组的问题",
            f"${{{name}}} is inside a group of this one; a rule or calculation reads the "
            "questions of its own group only",
        )
    return path[0]


def result_type(node: Node) -> str:
    """The JSON type a calculation's value has: number, boolean or string."""
    if isinstance(node, Num | Neg):
        return "number"
    if isinstance(node, BinOp):
        if node.op in ARITHMETIC:
            return "number"
        return "boolean"
    if isinstance(node, Call):
        if node.name == "number":
            return "number"
        if node.name in ("not", "true", "false", "selected"):
            return "boolean"
        if node.name in ("if", "coalesce"):
            return result_type(node.args[-1])
    return "string"


def _var(name: str) -> str:
    """A question's name as JSON Logic's var reads it: a dot would make it a path."""
    if "." in name:
        raise Unconvertible(
            f"名称 {name} 含“.”，JSON Logic 会把它读作路径",
            f"the name {name} holds a dot, which JSON Logic reads as a path",
        )
    return name


def no_here() -> Unconvertible:
    return Unconvertible(
        "计算中没有“.”（本题）", ". means the question itself, which a calculation does not have"
    )
