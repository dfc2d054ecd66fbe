r"""Regular expressions a form may use: read alike by the server and the phone, and quick.

The server checks `pattern` with Python's `re` (jsonschema calls `re.search`);
the phone with JavaScript's `new RegExp(pattern, "u")`. Both are backtracking
matchers, and they do not read every pattern alike: some compile in one and not
the other, some compile in both and accept different answers. So a form's
pattern must be written in the small language below, which both read the same
way, and must be one a backtracking matcher runs in time linear in the answer.
Everything outside it is refused with what to write instead.

Accepted:
- literal characters, and these escapes: `\^ \$ \\ \. \* \+ \? \( \) \[ \] \{ \}
  \| \/`, `\t \n \r \f \v`, `\xHH`, `\uHHHH` (not a surrogate), and `\-` inside
  `[...]`;
- classes `[...]` and `[^...]` with ranges such as `[0-9A-Z]`; a literal `-`
  only first or last;
- groups `(...)` and `(?:...)`, alternatives `|`;
- repeats `* + ? {n} {n,} {n,m}` (n, m at most 1,000), each with a lazy `?`;
- `^` first and `$` last, so the pattern describes the whole answer. Without
  them `[0-9]{6}` also accepts "1234567" and "abc123456", and the search for a
  match anywhere multiplies the time.

Refused because the two sides disagree:
- `\d \w \s \b` and their capitals, and `.`: Python's `\d` and `\w` also match
  full-width and other scripts' digits and letters, its `\s` and `\b` follow,
  and its `.` matches "\r", "\u2028" and "\u2029", which JavaScript's does not.
  Write the class meant: `[0-9]`, `[A-Za-z0-9_]`, `[ \t]`, `[^\n]`;
- what only one of them reads: named groups, inline flags `(?i)`, possessive
  and atomic repeats, `\A \Z`, `\p{...}`, `{,n}`, an unescaped `{ } ]` (Python
  takes it literally, JavaScript refuses it), `[]` and `[^]`, a doubled `& ~ |
  -` inside a class (Python warns of a future set operation), a nested `[`.

Refused because matching could take far more than linear time:
- back-references `\1` and lookaround `(?= (?! (?<= (?<!`;
- a repeat that can match the same text in two ways, like `(a+)+` or `(a|a)*`,
  and two repeats in a row that can take the same characters, like
  `[0-9]+\.?[0-9]*`: forms.backtracking says why and how they are found.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

from forms.backtracking import (
    ANY,
    LAST,
    MAX_STEPS,
    SEARCH,
    TOO_INTRICATE,
    Alt,
    Anchor,
    Budget,
    Chars,
    Node,
    Ranges,
    Repeat,
    Seq,
    slow_matching,
)
from forms.issues import pointer
from forms.subschemas import subschemas

MAX_PATTERN_LENGTH = 1_000  # characters; a longer pattern is a length check in disguise
MAX_PATTERN_NESTING = 20  # groups inside one another; Python's compiler recurses on them
MAX_REPEAT = 1_000  # largest n or m in {n,m}; use minLength/maxLength for lengths
MAX_FORM_STEPS = 1_000_000  # analysis steps for all of a form's patterns (about half a second)

_SYNTAX = set("^$\\.*+?()[]{}|/")
_CONTROL = {"t": 9, "n": 10, "r": 13, "f": 12, "v": 11}
_QUANTIFIER = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")
_DIGIT_WORD = (
    "write [0-9] (or [A-Za-z0-9_]) instead of \\d (\\w): on the server they also "
    "match full-width and other scripts' digits, on the phone they do not"
)
_SPACE = (
    "write the spaces you mean, e.g. [ \\t], instead of \\s: Python and JavaScript differ on it"
)
_BOUNDARY = (
    "\\b and \\B follow \\w, which differs between Python and JavaScript; "
    "with ^ and $ around the pattern they are not needed"
)
_DOT = (
    "write [^\\n] (any character but a line break) instead of '.': on the server '.' also "
    "matches \\r, \\u2028 and \\u2029, on the phone it does not"
)


class PatternRefused(Exception):
    """Why a pattern cannot be used in a form."""


# ---------------------------------------------------------------- reading a pattern


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.i = 0

    def refuse(self, message: str, at: int | None = None) -> PatternRefused:
        where = self.i if at is None else at
        return PatternRefused(f"at character {where + 1}: {message}")

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.text[j] if j < len(self.text) else ""

    def parse(self) -> Node:
        node = self.alternatives(0)
        if self.i < len(self.text):  # only a ")" stops the top level early
            raise self.refuse("')' closes no group")
        return node

    def alternatives(self, depth: int) -> Node:
        if depth > MAX_PATTERN_NESTING:
            raise self.refuse(f"groups nested more than {MAX_PATTERN_NESTING} deep")
        options = [self.sequence(depth)]
        while self.peek() == "|":
            self.i += 1
            options.append(self.sequence(depth))
        return options[0] if len(options) == 1 else Alt(options)

    def sequence(self, depth: int) -> Node:
        items: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            start = self.i
            atom = self.atom(depth)
            items.append(self.repeats(atom, start))
        return items[0] if len(items) == 1 else Seq(items)

    def atom(self, depth: int) -> Node:
        c, at = self.peek(), self.i
        if c == "(":
            return self.group(depth)
        if c == "[":
            return self.char_class()
        if c == "\\":
            return Chars(self.escape(in_class=False), at)
        self.i += 1
        if c in "^$":
            return Anchor(c, at)
        if c == ".":
            raise self.refuse(_DOT, at)
        if c in "*+?":
            raise self.refuse(f"'{c}' repeats nothing; write \\{c} for the character", at)
        if c == "{":
            if _QUANTIFIER.match(self.text, at):
                raise self.refuse("a repeat {n,m} with nothing before it", at)
            raise self.refuse("write \\{ for a brace: JavaScript refuses a bare one", at)
        if c in "}]":
            raise self.refuse(f"write \\{c}: JavaScript refuses a bare '{c}'", at)
        return Chars(((self.literal(c, at),) * 2,), at)

    def literal(self, c: str, at: int) -> int:
        code = ord(c)
        if 0xD800 <= code <= 0xDFFF:
            raise self.refuse("a lone surrogate is read differently by Python and JavaScript", at)
        return code

    def group(self, depth: int) -> Node:
        at = self.i
        self.i += 1
        if self.peek() == "?":
            kind = self.text[self.i : self.i + 3]
            if kind.startswith(("?=", "?!", "?<=", "?<!")):
                raise self.refuse(
                    "lookahead and lookbehind are refused: they can make matching slow", at
                )
            if not kind.startswith("?:"):
                raise self.refuse(
                    "only (...) and (?:...) groups are read alike by Python and the phone "
                    "(no named groups, inline flags, atomic groups or comments)",
                    at,
                )
            self.i += 2
        inner = self.alternatives(depth + 1)
        if self.peek() != ")":
            raise self.refuse("this group is not closed", at)
        self.i += 1
        return inner

    def repeats(self, atom: Node, start: int) -> Node:
        node = atom
        repeated = False
        while self.peek() in ("*", "+", "?", "{"):
            at = self.i
            c = self.peek()
            if c == "{":
                found = _QUANTIFIER.match(self.text, at)
                if not found:
                    raise self.refuse("write \\{ for a brace, or a repeat as {n}, {n,} or {n,m}")
                low = int(found.group(1))
                high: int | None = low
                if found.group(2):
                    high = int(found.group(3)) if found.group(3) else None
                if low > MAX_REPEAT or (high or 0) > MAX_REPEAT:
                    raise self.refuse(
                        f"a repeat above {MAX_REPEAT}: use minLength and maxLength for lengths", at
                    )
                if high is not None and high < low:
                    raise self.refuse("in {n,m}, m must not be less than n", at)
                self.i = found.end()
            else:
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
                self.i += 1
            if repeated:
                raise self.refuse("a repeat of a repeat: put the first in a group", at)
            if isinstance(atom, Anchor):
                raise self.refuse(f"'{atom.kind}' cannot repeat", at)
            if self.peek() == "?":
                self.i += 1  # lazy: the same text, tried in another order
            elif self.peek() == "+":
                raise self.refuse("possessive repeats (*+, ++) are not read by JavaScript")
            node = Repeat(atom, low, high, start, self.i)
            repeated = True
        return node

    def char_class(self) -> Chars:
        at = self.i
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        if self.peek() == "]":
            raise self.refuse("write \\] for a bracket; [] and [^] mean different things", at)
        ranges: list[tuple[int, int]] = []
        first = True
        while self.peek() != "]":
            if self.peek() == "":
                raise self.refuse("this [ is not closed", at)
            low = self.class_atom(first)
            first = False
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                high = self.class_atom(False)
                if high < low:
                    raise self.refuse("a range whose end comes before its start")
                ranges.append((low, high))
                if self.peek() == "-" and self.peek(1) != "]":
                    raise self.refuse("write \\- for a hyphen after a range")
            else:
                ranges.append((low, low))
        self.i += 1
        merged = _merge(ranges)
        return Chars(_complement(merged) if negate else merged, at)

    def class_atom(self, first: bool) -> int:
        c, at = self.peek(), self.i
        if c == "\\":
            (found,) = self.escape(in_class=True)
            return found[0]
        if c == "[":
            raise self.refuse("write \\[ inside [...]: Python reads [ there as a future nested set")
        if c in "-&~|" and self.peek(1) == c:
            raise self.refuse(
                f"a doubled '{c}' inside [...]: Python reads it as a future set operation"
            )
        if c == "-" and not first and self.peek(1) != "]":
            raise self.refuse("write \\- for a hyphen inside [...] unless it is first or last")
        self.i += 1
        return self.literal(c, at)

    def escape(self, in_class: bool) -> Ranges:
        at = self.i
        c = self.peek(1)
        self.i += 2
        if c == "":
            raise self.refuse("a pattern cannot end with a backslash", at)
        if c in _SYNTAX or (in_class and c == "-"):
            return ((ord(c), ord(c)),)
        if c == "-":
            raise self.refuse(
                "write - without a backslash outside [...]: JavaScript refuses \\-", at
            )
        if c in _CONTROL:
            return ((_CONTROL[c], _CONTROL[c]),)
        if c in "xu":
            digits = 2 if c == "x" else 4
            hex_digits = self.text[self.i : self.i + digits]
            if len(hex_digits) != digits or not all(
                h in "0123456789abcdefABCDEF" for h in hex_digits
            ):
                raise self.refuse(f"\\{c} needs exactly {digits} hexadecimal digits", at)
            self.i += digits
            code = int(hex_digits, 16)
            return ((self.literal(chr(code), at),) * 2,)
        if c in "dDwW":
            raise self.refuse(_DIGIT_WORD, at)
        if c in "sS":
            raise self.refuse(_SPACE, at)
        if c in "bB":
            raise self.refuse(_BOUNDARY, at)
        if c in "123456789" or c == "k":
            raise self.refuse("back-references are refused: they can make matching slow", at)
        if c in "pP":
            raise self.refuse("Python's re has no Unicode property classes (\\p{...})", at)
        if c in "AZzG":
            raise self.refuse(f"\\{c} is not read by JavaScript; use ^ and $", at)
        raise self.refuse(f"\\{c} is not read alike by Python and JavaScript", at)


def _merge(ranges: list[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    found, start = [], 0
    for low, high in ranges:
        if low > start:
            found.append((start, low - 1))
        start = high + 1
    if start <= LAST:
        found.append((start, LAST))
    return tuple(found)


def group_nesting(pattern: str) -> int:
    """How deep the pattern's groups go, read without compiling it (escapes and classes skipped)."""
    depth = deepest = i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1 if pattern[i + 1 : i + 2] != "]" else 2
        elif c == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif c == ")":
            depth -= 1
        i += 1
    return deepest


# ---------------------------------------------------------------- checking


def _whole_answer(node: Node) -> Node:
    """The pattern between its ^ and $, refused unless it has both and no other anchor."""
    if isinstance(node, Alt) and any(
        isinstance(o, Anchor) or (isinstance(o, Seq) and o.items and _ends_anchored(o))
        for o in node.options
    ):
        raise PatternRefused(
            "put alternatives in a group between ^ and $: ^a|b$ means "
            "'starts with a' or 'ends with b'; write ^(a|b)$"
        )
    items: list[Node] = node.items if isinstance(node, Seq) else [node]
    if not (
        len(items) >= 2
        and isinstance(items[0], Anchor)
        and items[0].kind == "^"
        and isinstance(items[-1], Anchor)
        and items[-1].kind == "$"
    ):
        raise PatternRefused(
            "a pattern describes the whole answer: start it with ^ and end it with $ "
            "(without them [0-9]{6} also accepts 1234567, and the search is slower)"
        )
    body = Seq(items[1:-1])
    if any(isinstance(n, Anchor) for n in _nodes(body)):
        raise PatternRefused("^ and $ belong only at the very start and end")
    return body


def _nodes(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Seq):
        for item in node.items:
            yield from _nodes(item)
    elif isinstance(node, Alt):
        for option in node.options:
            yield from _nodes(option)
    elif isinstance(node, Repeat):
        yield from _nodes(node.body)


def pattern_problem(
    pattern: str, whole_answer: bool = True, budget: Budget | None = None
) -> str | None:
    """Why `pattern` cannot be used in a form, or None.

    `whole_answer` asks for ^ and $ (a `pattern`); the keys of `patternProperties`
    are matched anywhere in a name, so there the search for a start is analysed too.
    A verdict reached within a pattern's own budget is remembered.
    """
    key = (pattern, whole_answer)
    if key in _VERDICTS:
        return _VERDICTS[key]
    budget = budget or Budget()
    verdict = _verdict(pattern, whole_answer, budget)
    if verdict != TOO_INTRICATE or budget.limit >= MAX_STEPS:
        if len(_VERDICTS) >= 1024:
            _VERDICTS.clear()
        _VERDICTS[key] = verdict
    return verdict


_VERDICTS: dict[tuple[str, bool], str | None] = {}


def _verdict(pattern: str, whole_answer: bool, budget: Budget) -> str | None:
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"a pattern may be at most {MAX_PATTERN_LENGTH} characters"
    try:
        tree = _Parser(pattern).parse()
        if whole_answer:
            body = _whole_answer(tree)
        else:
            searched = Repeat(Chars(ANY, SEARCH), 0, None, SEARCH, SEARCH)
            body = Seq([tree] if _starts_anchored(tree) else [searched, tree])
        for chars in _nodes(body):
            if isinstance(chars, Chars) and not chars.ranges:
                raise PatternRefused(f"at character {chars.at + 1}: this class matches nothing")
        _compiles_in_python(pattern)
    except PatternRefused as refused:
        return str(refused)
    return slow_matching(pattern, body, budget)


def _ends_anchored(node: Seq) -> bool:
    return isinstance(node.items[0], Anchor) or isinstance(node.items[-1], Anchor)


def _starts_anchored(node: Node) -> bool:
    first = node.items[0] if isinstance(node, Seq) else node
    return isinstance(first, Anchor) and first.kind == "^"


def _compiles_in_python(pattern: str) -> None:
    """The portable language is a subset of Python's; this guards the parser above."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            re.compile(pattern)
        except (re.error, FutureWarning, DeprecationWarning) as exc:
            raise PatternRefused(f"Python cannot compile it: {exc}") from exc


def pattern_problems(schema: Any) -> list[tuple[str, str]]:
    """(JSON pointer, why) for each `pattern` and `patternProperties` key a form cannot use.

    The form's patterns share MAX_FORM_STEPS, so many intricate ones cannot make
    the check slow: those past it are refused, not analysed.
    """
    found = []
    spent = 0
    for sub in subschemas(schema):
        if not isinstance(sub.node, dict):
            continue
        keyed = sub.node.get("patternProperties")
        checked = [((*sub.path, "pattern"), sub.node.get("pattern"), True)] + [
            ((*sub.path, "patternProperties", key), key, False)
            for key in (keyed if isinstance(keyed, dict) else ())
        ]
        for where, pattern, whole_answer in checked:
            if not isinstance(pattern, str):
                continue
            budget = Budget(min(MAX_STEPS, MAX_FORM_STEPS - spent))
            problem = pattern_problem(pattern, whole_answer, budget)
            spent += budget.steps
            if problem == TOO_INTRICATE and budget.limit < MAX_STEPS:
                problem = "the form's patterns together are too intricate to check; simplify them"
            if problem:
                found.append((pointer(*where), problem))
    return found
