"""The part of XLSForm's XPath expressions minsheng can carry over, parsed without eval.

XLSForm writes relevance, constraints and calculations in XPath 1.0 with ODK's
functions (`${age} >= 18 and selected(${help}, 'housing')`). minsheng keeps a
form's logic as JSON Schema conditions and JSON Logic (forms/xlsform_logic.py,
forms/xlsform_rules.py), so an expression is parsed into a small tree first, by
a recursive-descent parser of the subset below; anything else is an `XPathError`
naming what it met, and the importer lists the row instead of guessing.

    or_expr    := and_expr ('or' and_expr)*
    and_expr   := compare ('and' compare)*
    compare    := additive (('=' | '!=' | '<' | '<=' | '>' | '>=') additive)?
    additive   := multiply (('+' | '-') multiply)*
    multiply   := unary (('*' | 'div' | 'mod') unary)*
    unary      := '-' unary | primary
    primary    := number | string | '${' name '}' | '.' | name '(' args ')' | '(' or_expr ')'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_EXPRESSION = 2_000  # characters; a form's logic is a line, not a program
MAX_DEPTH = 40  # parentheses and calls inside one another


class XPathError(ValueError):
    """An expression outside the subset, with what was met."""


@dataclass(frozen=True)
class Num:
    value: float | int


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Ref:
    """`${name}`: another question's answer."""

    name: str


@dataclass(frozen=True)
class Here:
    """`.`: the answer of the question the expression belongs to."""


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class BinOp:
    op: str  # or and = != < <= > >= + - * div mod
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


Node = Num | Str | Ref | Here | Call | BinOp | Neg

# The functions the converters know; any other name is refused while parsing.
FUNCTIONS = {
    "selected": 2,
    "count-selected": 1,
    "string-length": 1,
    "regex": 2,
    "today": 0,
    "not": 1,
    "true": 0,
    "false": 0,
    "if": 3,
    "concat": -1,  # any number
    "number": 1,
    "coalesce": 2,
}
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<ref>\$\{(?P<refname>[^}]*)\})
      | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.-]*)
      | (?P<dot>\.)
    )""",
    re.VERBOSE,
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_WORDS = {"and", "or", "div", "mod"}


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) for each token: number string ref op name dot; refused at anything else."""
    if len(text) > MAX_EXPRESSION:
        raise XPathError(f"longer than {MAX_EXPRESSION} characters")
    tokens: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        found = _TOKEN.match(text, at)
        if found is None:
            raise XPathError(f"cannot read {text[at:].strip()[:20]!r}")
        at = found.end()
        kind = found.lastgroup or ""
        if kind == "refname":  # lastgroup names the inner group of ${...}
            kind = "ref"
        if kind == "ref":
            name = found.group("refname").strip()
            if not _NAME.fullmatch(name):
                raise XPathError(f"${{{name}}} does not name a question")
            tokens.append(("ref", name))
        elif kind == "string":
            tokens.append(("string", found.group("string")[1:-1]))
        elif kind == "name" and found.group("name") in _WORDS:
            tokens.append(("op", found.group("name")))
        else:
            tokens.append((kind, found.group(kind)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.at = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take_op(self, *ops: str) -> str | None:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in ops:
            self.at += 1
            return token[1]
        return None

    def expect(self, op: str) -> None:
        if self.take_op(op) is None:
            token = self.peek()
            raise XPathError(f"expected {op!r}, found {token[1] if token else 'the end'!r}")

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise XPathError(f"nested more than {MAX_DEPTH} deep")
        node = self.chain(self.and_expr, ("or",))
        self.depth -= 1
        return node

    def chain(self, step: Callable[[], Node], ops: tuple[str, ...]) -> Node:
        """Left-associative: a - b - c is (a - b) - c."""
        node = step()
        while (op := self.take_op(*ops)) is not None:
            node = BinOp(op, node, step())
        return node

    def and_expr(self) -> Node:
        return self.chain(self.compare, ("and",))

    def compare(self) -> Node:
        node = self.additive()
        op = self.take_op(*COMPARISONS)
        if op is not None:
            node = BinOp(op, node, self.additive())
            if self.take_op(*COMPARISONS):
                raise XPathError("comparisons in a row (a < b < c): write them with and")
        return node

    def additive(self) -> Node:
        return self.chain(self.multiply, ("+", "-"))

    def multiply(self) -> Node:
        return self.chain(self.unary, ("*", "div", "mod"))

    def unary(self) -> Node:
        if self.take_op("-"):
            return Neg(self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise XPathError("the expression ends too early")
        kind, text = token
        self.at += 1
        if kind == "number":
            return Num(float(text) if "." in text else int(text))
        if kind == "string":
            return Str(text)
        if kind == "ref":
            return Ref(text)
        if kind == "dot":
            return Here()
        if kind == "op" and text == "(":
            node = self.expression()
            self.expect(")")
            return node
        if kind == "name":
            return self.call(text)
        raise XPathError(f"unexpected {text!r}")

    def call(self, name: str) -> Node:
        if self.take_op("(") is None:
            raise XPathError(f"{name!r} is not understood (a path? write ${{name}})")
        if name not in FUNCTIONS:
            raise XPathError(f"the function {name}() is not converted")
        args: list[Node] = []
        if self.take_op(")") is None:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise XPathError(f"nested more than {MAX_DEPTH} deep")
            args.append(self.expression())
            while self.take_op(","):
                args.append(self.expression())
            self.expect(")")
            self.depth -= 1
        wanted = FUNCTIONS[name]
        if wanted >= 0 and len(args) != wanted:
            raise XPathError(f"{name}() takes {wanted} arguments, not {len(args)}")
        return Call(name, tuple(args))


def parse(text: str) -> Node:
    """The tree of one XLSForm expression; XPathError for anything outside the subset."""
    parser = _Parser(text)
    if not parser.tokens:
        raise XPathError("the expression is empty")
    node = parser.expression()
    left = parser.peek()
    if left is not None:
        raise XPathError(f"unexpected {left[1]!r}")
    return node


def refs(node: Node) -> set[str]:
    """The questions an expression reads."""
    if isinstance(node, Ref):
        return {node.name}
    if isinstance(node, BinOp):
        return refs(node.left) | refs(node.right)
    if isinstance(node, Neg):
        return refs(node.operand)
    if isinstance(node, Call):
        return set().union(*(refs(arg) for arg in node.args)) if node.args else set()
    return set()
