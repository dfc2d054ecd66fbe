"""XLSForm logic in minsheng's terms: what a question needs to know of the others, and
relevance as conditions.

An XLSForm expression (parsed by forms/xpath.py) becomes something a minsheng form
already understands, checked alike on the phone and the server. `relevant`
becomes the `if` of a condition in the `allOf` of the object that holds the
question (forms/README.md, "Questions asked only sometimes"). Such an `if` reads
the answers of that object only, so an expression reading a question elsewhere (a
sibling group, a level up, inside a repeat) cannot be carried over. Constraints
and calculations are forms/xlsform_rules.py's.

Anything outside this is `Unconvertible`, with the reason; the importer lists it
by row and never guesses. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forms.xpath import COMPARISONS, BinOp, Call, Node, Num, Ref, Str

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


def question_named(name: str, questions: Questions) -> Question:
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


def inside(question: Question, holder: Path) -> Path:
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
    *outer, last = inside(question_named(subject.name, questions), holder)
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
            raise selected_form()
        question = question_named(target.name, questions)
        if question.multiple:
            return _at(inside(question, holder), {"contains": {"const": option(question, value)}})
        return _at(inside(question, holder), {"const": literal(question, value)})
    if isinstance(node, Ref):
        question = question_named(node.name, questions)
        if question.type != "boolean":
            raise Unconvertible(
                f"${{{node.name}}} 不是是非题，不能单独作为条件",
                f"${{{node.name}}} alone is a condition only for a yes/no question",
            )
        return _at(inside(question, holder), {"const": True})
    if isinstance(node, BinOp) and node.op in COMPARISONS:
        return _comparison(node, holder, questions)
    raise Unconvertible(
        "条件只能是问题与值的比较（=、!=、<、<=、>、>=）、selected() 或 count-selected()，"
        "用 and、or、not() 连接",
        "a condition is converted when it compares a question with a value (=, !=, <, <=, >, >=),"
        " uses selected() or count-selected(), joined with and, or, not()",
    )


FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
BOUND = {">": "exclusiveMinimum", ">=": "minimum", "<": "exclusiveMaximum", "<=": "maximum"}


def _comparison(node: BinOp, holder: Path, questions: Questions) -> dict[str, Any]:
    op, subject, value = node.op, node.left, node.right
    if isinstance(subject, Num | Str):
        op, subject, value = FLIP[op], node.right, node.left
    if isinstance(subject, Call) and subject.name == "count-selected":
        return _count(op, subject, value, holder, questions)
    if not isinstance(subject, Ref) or not isinstance(value, Num | Str):
        raise Unconvertible(
            "条件只能把一个问题与一个值比较，不能比较两个问题",
            "a condition compares one question with a value, not two questions",
        )
    question = question_named(subject.name, questions)
    path = inside(question, holder)
    if op == "!=":
        return {"not": _at(path, {"const": literal(question, value)})}
    if isinstance(value, Str) and value.value == "" and op == "=":
        return _unanswered(path)
    if op == "=":
        if question.multiple:
            raise Unconvertible(
                f"多选题 ${{{question.name}}} 请用 selected()，不用 =",
                f"compare ${{{question.name}}} with selected(), not =",
            )
        return _at(path, {"const": literal(question, value)})
    if question.type not in ("integer", "number"):
        raise Unconvertible(f"{op} 只能用于数字", f"{op} is converted for numbers only")
    number = _number(value)
    return _at(path, {BOUND[op]: number})


def _count(op: str, subject: Call, value: Node, holder: Path, questions: Questions) -> Any:
    target = subject.args[0]
    if not isinstance(target, Ref) or not isinstance(value, Num) or isinstance(value.value, float):
        raise Unconvertible(
            "count-selected() 只能与整数比较", "count-selected() is compared with a whole number"
        )
    question = question_named(target.name, questions)
    path, count = inside(question, holder), int(value.value)
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


def literal(question: Question, value: Node) -> Any:
    """The value an answer to `question` has when XLSForm writes it as `value`."""
    if question.type == "boolean":
        text = value.value if isinstance(value, Str) else str(getattr(value, "value", value))
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
    return option(question, value)


def option(question: Question, value: Node) -> str:
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


def selected_form() -> Unconvertible:
    return Unconvertible(
        "selected() 只能写成 selected(${问题}, '选项')",
        "selected() is converted for selected(${question}, 'value')",
    )
