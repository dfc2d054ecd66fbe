"""XLSForm logic in minsheng's terms: relevance as conditions, constraints and calculations.

An XLSForm expression (parsed by forms/xpath.py) becomes one of three things a
minsheng form already understands, each checked alike on the phone and the server:

- `relevant` becomes the `if` of a condition in the `allOf` of the object that
  holds the question (forms/README.md, "Questions asked only sometimes"). Such an
  `if` reads the answers of that object only, so an expression reading a question
  elsewhere (a sibling group, a level up, inside a repeat) cannot be carried over.
- `constraint` becomes JSON Schema keywords where it is a plain bound (`. <= 120`
  is `maximum`, `string-length(.) <= 18` is `maxLength`, `regex(., '^..$')` is
  `pattern`) and a JSON Logic rule (`x-rules`) on the holding object otherwise.
- `calculation` becomes JSON Logic (`x-calculate`). JSON Logic's `var` reads the
  holding object, so both read that object's own questions only.

Anything outside this is `Unconvertible`, with the reason; the importer lists it
by row and never guesses. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forms.patterns import pattern_problems
from forms.xpath import COMPARISONS, BinOp, Call, Here, Neg, Node, Num, Ref, Str

ITEM = "*"  # a repeat's item in a path: ("members", "*", "name")
Path = tuple[str, ...]


class Unconvertible(ValueError):
    """An expression minsheng cannot carry over, with why in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass
class Question:
    """What the logic needs to know of a question: where its answer is and its values."""

    path: Path  # keys from the form's root
    type: str  # the JSON type of its answer
    options: list[str] | None = None  # a choice's values
    multiple: bool = False  # select_multiple
    yes_no: dict[str, bool] = field(default_factory=dict)  # a yes/no choice made boolean

    @property
    def name(self) -> str:
        return self.path[-1]


Questions = dict[str, list[Question]]  # by name; two of one name make a reference ambiguous


def _question(name: str, questions: Questions) -> Question:
    found = questions.get(name) or []
    if not found:
        raise Unconvertible(
            f"${{{name}}} 不是本表的问题", f"${{{name}}} is not a question of this form"
        )
    if len(found) > 1:
        raise Unconvertible(
            f"有多个问题名为 ${{{name}}}", f"${{{name}}} names more than one question"
        )
    return found[0]


def _inside(question: Question, holder: Path) -> Path:
    """The question's path from the object `holder`, which must hold it outside any repeat."""
    if question.path[: len(holder)] != holder or ITEM in question.path[len(holder) :]:
        raise Unconvertible(
            f"${{{question.name}}} 与本题不在同一组，条件和规则只能读取本组的答案",
            f"${{{question.name}}} is not in the same group as this question, and a condition "
            "or rule reads only the answers of its own group",
        )
    return question.path[len(holder) :]


# ---------------------------------------------------------------- relevance


@dataclass
class Condition:
    """An `if` schema and the branch (then or else) the question goes in; None: always."""

    schema: dict[str, Any] | None
    branch: str = "then"


def condition(node: Node, holder: Path, questions: Questions) -> Condition:
    """The condition of a relevance expression, for a question of the object at `holder`."""
    if isinstance(node, Call) and node.name == "not":
        inner = condition(node.args[0], holder, questions)
        if inner.schema is None:
            raise Unconvertible(
                "not(true()) 永不成立，此题永远不会出现",
                "not(true()) never holds: the question would never be asked",
            )
        return Condition(inner.schema, "else" if inner.branch == "then" else "then")
    if isinstance(node, BinOp) and node.op == "!=" and _is_empty(node.right):
        return Condition(_answered(node.left, holder, questions))
    if isinstance(node, BinOp) and node.op == "!=" and not _is_count(node):
        inner = condition(BinOp("=", node.left, node.right), holder, questions)
        assert inner.schema is not None
        return Condition(inner.schema, "else")
    if isinstance(node, Call) and node.name == "true":
        return Condition(None)
    return Condition(_test(node, holder, questions))


def _is_empty(node: Node) -> bool:
    return isinstance(node, Str) and node.value == ""


def _answered(subject: Node, holder: Path, questions: Questions) -> dict[str, Any]:
    if not isinstance(subject, Ref):
        raise Unconvertible("只能判断问题是否已填写", "only a question can be answered or not")
    *outer, last = _inside(_question(subject.name, questions), holder)
    return _at(tuple(outer), {"required": [last]})


def _is_count(node: BinOp) -> bool:
    return any(isinstance(s, Call) and s.name == "count-selected" for s in (node.left, node.right))


def _test(node: Node, holder: Path, questions: Questions) -> dict[str, Any]:
    """A JSON Schema that holds of the object at `holder` exactly when `node` is true."""
    if isinstance(node, BinOp) and node.op == "and":
        return _merge(_test(node.left, holder, questions), _test(node.right, holder, questions))
    if isinstance(node, BinOp) and node.op == "or":
        left, right = _test(node.left, holder, questions), _test(node.right, holder, questions)
        return _either(left, right)
    if isinstance(node, Call) and node.name == "not":
        return {"not": _test(node.args[0], holder, questions)}
    if isinstance(node, Call) and node.name == "selected":
        target, value = node.args
        if not isinstance(target, Ref) or not isinstance(value, Str):
            raise _selected_form()
        question = _question(target.name, questions)
        if question.multiple:
            return _at(_inside(question, holder), {"contains": {"const": _option(question, value)}})
        return _at(_inside(question, holder), {"const": _literal(question, value)})
    if isinstance(node, Ref):
        question = _question(node.name, questions)
        if question.type != "boolean":
            raise Unconvertible(
                f"${{{node.name}}} 不是是非题，不能单独作为条件",
                f"${{{node.name}}} alone is a condition only for a yes/no question",
            )
        return _at(_inside(question, holder), {"const": True})
    if isinstance(node, BinOp) and node.op in COMPARISONS:
        return _comparison(node, holder, questions)
    raise Unconvertible(
        "条件只能是问题与值的比较（=、!=、<、<=、>、>=）、selected() 或 count-selected()，"
        "用 and、or、not() 连接",
        "a condition is converted when it compares a question with a value (=, !=, <, <=, >, >=),"
        " uses selected() or count-selected(), joined with and, or, not()",
    )


_FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_BOUND = {">": "exclusiveMinimum", ">=": "minimum", "<": "exclusiveMaximum", "<=": "maximum"}


def _comparison(node: BinOp, holder: Path, questions: Questions) -> dict[str, Any]:
    op, subject, value = node.op, node.left, node.right
    if isinstance(subject, Num | Str):
        op, subject, value = _FLIP[op], node.right, node.left
    if isinstance(subject, Call) and subject.name == "count-selected":
        return _count(op, subject, value, holder, questions)
    if not isinstance(subject, Ref) or not isinstance(value, Num | Str):
        raise Unconvertible(
            "条件只能把一个问题与一个值比较，不能比较两个问题",
            "a condition compares one question with a value, not two questions",
        )
    question = _question(subject.name, questions)
    path = _inside(question, holder)
    if op == "!=":
        return {"not": _at(path, {"const": _literal(question, value)})}
    if isinstance(value, Str) and value.value == "" and op == "=":
        return _unanswered(path)
    if op == "=":
        if question.multiple:
            raise Unconvertible(
                f"多选题 ${{{question.name}}} 请用 selected()，不用 =",
                f"compare ${{{question.name}}} with selected(), not =",
            )
        return _at(path, {"const": _literal(question, value)})
    if question.type not in ("integer", "number"):
        raise Unconvertible(f"{op} 只能用于数字", f"{op} is converted for numbers only")
    number = _number(value)
    return _at(path, {_BOUND[op]: number})


def _count(op: str, subject: Call, value: Node, holder: Path, questions: Questions) -> Any:
    target = subject.args[0]
    if not isinstance(target, Ref) or not isinstance(value, Num) or isinstance(value.value, float):
        raise Unconvertible(
            "count-selected() 只能与整数比较", "count-selected() is compared with a whole number"
        )
    question = _question(target.name, questions)
    path, count = _inside(question, holder), int(value.value)
    if op in (">", ">="):
        return _at(path, {"minItems": count + 1 if op == ">" else count})
    if op in ("<", "<="):  # none chosen counts as 0: true while unanswered
        return _at(path, {"maxItems": count - 1 if op == "<" else count}, required=False)
    if op == "=":
        return _at(path, {"minItems": count, "maxItems": count}, required=count > 0)
    return {"not": _at(path, {"minItems": count, "maxItems": count}, required=count > 0)}


def _at(path: Path, test: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """`test` of the answer at `path` under the object, which must be there if `required`."""
    schema = test
    for key in reversed(path):
        schema = {"properties": {key: schema}, **({"required": [key]} if required else {})}
    return schema


def _unanswered(path: Path) -> dict[str, Any]:
    *outer, last = path
    return _at(tuple(outer), {"not": {"required": [last]}}, required=False)


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Both conditions: their properties merged where they do not overlap, else allOf."""
    if set(left) - {"properties", "required"} or set(right) - {"properties", "required"}:
        return {"allOf": [left, right]}
    props = dict(left.get("properties") or {})
    for key, sub in (right.get("properties") or {}).items():
        props[key] = _merge(props[key], sub) if key in props else sub
    required = list(dict.fromkeys([*left.get("required", []), *right.get("required", [])]))
    return {"properties": props, **({"required": required} if required else {})}


def _either(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """One or the other: equal-to tests of one question become one enum."""
    one, other = _single_value(left), _single_value(right)
    if one and other and one[0] == other[0]:
        values = list(dict.fromkeys([*one[1], *other[1]]))
        path = one[0]
        return _at(path, {"enum": values})
    return {"anyOf": [left, right]}


def _single_value(schema: dict[str, Any]) -> tuple[Path, list[Any]] | None:
    """(path, values) of a test that an answer is one of some values, else None."""
    path: list[str] = []
    while set(schema) == {"properties", "required"} and len(schema["properties"]) == 1:
        ((key, schema),) = schema["properties"].items()
        path.append(key)
    if path and set(schema) == {"const"}:
        return tuple(path), [schema["const"]]
    if path and set(schema) == {"enum"}:
        return tuple(path), list(schema["enum"])
    return None


def _literal(question: Question, value: Node) -> Any:
    """The value an answer to `question` has when XLSForm writes it as `value`."""
    if question.type == "boolean":
        text = value.value if isinstance(value, Str) else str(value.value)  # type: ignore[union-attr]
        if text not in question.yes_no:
            raise Unconvertible(
                f"{text!r} 不是 ${{{question.name}}} 的答案",
                f"{text!r} is not one of ${{{question.name}}}'s answers",
            )
        return question.yes_no[text]
    if question.type in ("integer", "number"):
        return _number(value)
    if not isinstance(value, Str | Num):
        raise Unconvertible("问题只能与值比较", "a question is compared with a value")
    return _option(question, value)


def _option(question: Question, value: Node) -> str:
    text = value.value if isinstance(value, Str) else _number_text(value)
    if question.options is not None and text not in question.options:
        raise Unconvertible(
            f"{text!r} 不是 ${{{question.name}}} 的选项",
            f"{text!r} is not one of ${{{question.name}}}'s choices",
        )
    return str(text)


def _number_text(value: Node) -> str:
    number = value.value if isinstance(value, Num) else value
    return str(number)


def _number(value: Node) -> int | float:
    if isinstance(value, Num):
        return value.value
    if isinstance(value, Str):
        try:
            number = float(value.value)
        except ValueError:
            raise Unconvertible(
                f"{value.value!r} 不是数字", f"{value.value!r} is not a number"
            ) from None
        return int(number) if number.is_integer() else number
    raise Unconvertible("数字只能与值比较", "a number is compared with a value")


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
        op, subject, value = _FLIP[op], node.right, node.left
    if not isinstance(value, Num):
        return None
    number = value.value
    if isinstance(subject, Here) and question.type in ("integer", "number"):
        if op == "=":
            return {"minimum": number, "maximum": number}
        return {_BOUND[op]: number}
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
            raise _no_here()
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
            raise _selected_form()
        question = here if isinstance(target, Here) else _question(target.name, questions)
        if question is None:
            raise _no_here()
        var = logic(target, holder, questions, here)
        if question.multiple:
            return {"in": [_option(question, value), var]}
        return {"==": [var, _literal(question, value)]}
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
            return _question(node.name, questions)
        return None

    one, other = question_of(left), question_of(right)
    if one is not None and one.type == "boolean" and isinstance(right, Str):
        return None, _literal(one, right)
    if other is not None and other.type == "boolean" and isinstance(left, Str):
        return _literal(other, left), None
    return None, None


def _sibling(name: str, holder: Path, questions: Questions) -> str:
    path = _inside(_question(name, questions), holder)
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


def _selected_form() -> Unconvertible:
    return Unconvertible(
        "selected() 只能写成 selected(${问题}, '选项')",
        "selected() is converted for selected(${question}, 'value')",
    )


def _no_here() -> Unconvertible:
    return Unconvertible(
        "计算中没有“.”（本题）", ". means the question itself, which a calculation does not have"
    )
