"""JSON Logic as json-logic-js 2.0.5 evaluates it, for the subset a form may use.

A form's cross-field checks (`x-rules`) and computed values (`x-calculate`) are JSON
Logic, evaluated by the phone (forms/static/logic.js) and by the server (here); a
rule the phone lets pass must pass here and the other way round. JSON Logic's
reference is JavaScript, whose loose equality, comparisons and number parsing
(`"2" == 2`, `null < 1`, `parseFloat("12px")`) Python's own operators do not
share, so this is a small evaluator written to the reference's semantics rather
than a PyPI package: panzi-json-logic and json-logic-qubit were the candidates,
the first unmaintained since 2021 and the second since 2018, both with
operations a form must not have (`method`, `log`) and neither with the `today`
operation or the variable tracking a form needs. tests/forms/logic_cases.json is
the parity corpus: its expected values are json-logic-js's own, and pytest and
headless Chromium (tests/browser/test_logic_parity.py) hold both evaluators to them.

The one operation added: `{"today": []}`, today's date ("YYYY-MM-DD") where the
surveys are made, passed in by the caller.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

OPERATIONS = frozenset(
    (
        *("var", "missing", "missing_some", "if", "==", "===", "!=", "!==", "!", "!!"),
        *("or", "and", ">", ">=", "<", "<=", "max", "min", "+", "-", "*", "/", "%"),
        *("in", "cat", "substr", "merge", "today"),
        *("map", "filter", "reduce", "all", "some", "none"),
    )
)
# Operations whose second argument is evaluated once for each item of the first.
SCOPED = frozenset(("map", "filter", "reduce", "all", "some", "none"))


class LogicError(ValueError):
    """An operation the subset does not have."""


class _Undefined:
    """JavaScript's undefined: what `and`/`or` of nothing give and a missing key reads as."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()


def is_logic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ---------------------------------------------------------------- JavaScript's conversions

_JS_SPACE = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_NUMBER = re.compile(
    r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)|0[xX][0-9a-fA-F]+"
    r"|0[oO][0-7]+|0[bB][01]+"
)


def _decimal(text: str) -> float:
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    return sign * (math.inf if body == "Infinity" else float(body))


def to_number(value: Any) -> float:
    """JavaScript's Number(value)."""
    if value is None or value is UNDEFINED:
        return 0.0 if value is None else math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if _is_number(value):
        return float(value)
    if isinstance(value, list | dict):
        return to_number(to_string(value))
    text = str(value).strip(_JS_SPACE)
    if text == "":
        return 0.0
    if not _NUMBER.fullmatch(text):
        return math.nan
    if text[:2].lower() in ("0x", "0o", "0b"):
        return float(int(text[2:], {"x": 16, "o": 8, "b": 2}[text[1].lower()]))
    return _decimal(text)


def parse_float(value: Any) -> float:
    """JavaScript's parseFloat(value): the longest decimal number the text starts with."""
    found = _DECIMAL.match(to_string(value).lstrip(_JS_SPACE))
    return _decimal(found.group()) if found else math.nan


def number_text(value: float) -> str:
    """A number as JavaScript's String(value) writes it: 3, 0.1, 1e+21, 1.5e-7."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    every = whole + fraction
    # value = 0.<digits> x 10^point
    point = len(whole) + int(exponent or 0) - (len(every) - len(every.lstrip("0")))
    digits = every.strip("0")
    k = len(digits)
    if k <= point <= 21:
        text = digits + "0" * (point - k)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        e = point - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e > 0 else "-")
        text += str(abs(e))
    return sign + text


def to_string(value: Any) -> str:
    """JavaScript's String(value)."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return number_text(value)
    if isinstance(value, list):
        return ",".join("" if v is None or v is UNDEFINED else to_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def truthy(value: Any) -> bool:
    """JsonLogic's truthiness: JavaScript's, except that an empty list is false."""
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, dict):
        return True
    if _is_number(value):
        return not (value == 0 or math.isnan(value))
    return bool(value) and value is not UNDEFINED


def strict_equal(a: Any, b: Any) -> bool:
    """JavaScript's a === b for JSON values: lists and objects only equal themselves."""
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return a is b
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def loose_equal(a: Any, b: Any) -> bool:
    """JavaScript's a == b for JSON values."""
    nullish = (None, UNDEFINED)
    if a in nullish or b in nullish:
        return a in nullish and b in nullish
    if isinstance(a, bool):
        return loose_equal(to_number(a), b)
    if isinstance(b, bool):
        return loose_equal(a, to_number(b))
    compound_a, compound_b = isinstance(a, list | dict), isinstance(b, list | dict)
    if compound_a and compound_b:
        return a is b
    if compound_a:
        return loose_equal(to_string(a), b)
    if compound_b:
        return loose_equal(a, to_string(b))
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return to_number(a) == to_number(b)


def _primitive(value: Any) -> Any:
    return to_string(value) if isinstance(value, list | dict) else value


def less(a: Any, b: Any, or_equal: bool = False) -> bool:
    """JavaScript's a < b (or a <= b): strings by UTF-16 code units, else as numbers."""
    a, b = _primitive(a), _primitive(b)
    if isinstance(a, str) and isinstance(b, str):
        p, q = a.encode("utf-16-be", "surrogatepass"), b.encode("utf-16-be", "surrogatepass")
        return p <= q if or_equal else p < q
    x, y = to_number(a), to_number(b)
    return x <= y if or_equal else x < y


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def _from_utf16(units: bytes) -> str:
    return units.decode("utf-16-le", "surrogatepass")


def _integer(value: Any) -> float:
    number = to_number(value)
    return 0.0 if math.isnan(number) else math.trunc(number) if math.isfinite(number) else number


def substr(source: Any, start: Any, length: Any = UNDEFINED) -> str:
    """JavaScript's String(source).substr(start, length), counting UTF-16 code units."""
    units = _utf16(to_string(source))
    size = len(units) // 2
    begin = _integer(start)
    begin = max(size + begin, 0) if begin < 0 else min(begin, size)
    count = size - begin if length is UNDEFINED else min(max(_integer(length), 0), size - begin)
    first = int(begin)
    return _from_utf16(units[2 * first : 2 * (first + int(max(count, 0)))])


# ---------------------------------------------------------------- evaluation


def _divide(a: Any, b: Any) -> float:
    x, y = to_number(a), to_number(b)
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def _remainder(a: Any, b: Any) -> float:
    x, y = to_number(a), to_number(b)
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or y == 0:
        return math.nan
    if math.isinf(y):
        return x
    return math.fmod(x, y)


def _plus(*values: Any) -> float:
    total = 0.0
    for value in values:
        total = parse_float(total) + parse_float(value)
    return total


def _times(*values: Any) -> Any:
    product = values[0]
    for value in values[1:]:
        product = parse_float(product) * parse_float(value)
    return product


def _extreme(pick: Callable[[float, float], float], empty: float, values: tuple[Any, ...]) -> float:
    numbers = [to_number(v) for v in values]
    if any(math.isnan(n) for n in numbers):
        return math.nan
    found = empty
    for n in numbers:
        found = pick(found, n)
    return found


def _contains(a: Any, b: Any) -> bool:
    if not truthy(b) and not isinstance(b, list):
        return False
    if isinstance(b, str):
        return to_string(a) in b
    if isinstance(b, list):
        return any(strict_equal(a, item) for item in b)
    return False


def _merge(*values: Any) -> list[Any]:
    merged: list[Any] = []
    for value in values:
        merged.extend(value if isinstance(value, list) else [value])
    return merged


def _step(data: Any, key: str) -> Any:
    """data[key] as JavaScript reads it, for JSON data."""
    if isinstance(data, dict):
        return data.get(key, UNDEFINED)
    if isinstance(data, list | str):
        size = len(_utf16(data)) // 2 if isinstance(data, str) else len(data)
        if key == "length":
            return size
        if re.fullmatch(r"0|[1-9][0-9]*", key) and int(key) < size:
            if isinstance(data, str):
                return _from_utf16(_utf16(data)[2 * int(key) : 2 * int(key) + 2])
            return data[int(key)]
    return UNDEFINED


def read_var(data: Any, path: Any = UNDEFINED, default: Any = UNDEFINED) -> Any:
    """{"var": [path, default]}: the value at a dotted path, or the default (null)."""
    not_found = None if default is UNDEFINED else default
    if path is UNDEFINED or path is None or path == "":
        return data
    for key in to_string(path).split("."):
        if data is None or data is UNDEFINED:
            return not_found
        data = _step(data, key)
        if data is UNDEFINED:
            return not_found
    return data


def _missing(data: Any, *values: Any) -> list[Any]:
    keys = values[0] if values and isinstance(values[0], list) else list(values)
    return [key for key in keys if read_var(data, key) in (None, "")]


def _missing_some(data: Any, need: Any = UNDEFINED, options: Any = UNDEFINED) -> list[Any]:
    options = options if isinstance(options, list) else []
    absent = _missing(data, options)
    return [] if not less(len(options) - len(absent), need) else absent


def _binary(function: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    return lambda a=UNDEFINED, b=UNDEFINED, *rest: function(a, b)


def _between(or_equal: bool) -> Callable[..., bool]:
    def compare(a: Any = UNDEFINED, b: Any = UNDEFINED, c: Any = UNDEFINED, *rest: Any) -> bool:
        if c is UNDEFINED:
            return less(a, b, or_equal)
        return less(a, b, or_equal) and less(b, c, or_equal)

    return compare


def _unary_minus(a: Any = UNDEFINED, b: Any = UNDEFINED, *rest: Any) -> float:
    return -to_number(a) if b is UNDEFINED else to_number(a) - to_number(b)


def _substr(source: Any = UNDEFINED, start: Any = UNDEFINED, end: Any = UNDEFINED, *r: Any) -> str:
    if end is not UNDEFINED and less(end, 0):
        rest = substr(source, start)
        return substr(rest, 0, len(_utf16(rest)) // 2 + to_number(end))
    return substr(source, start, end)


_PLAIN: dict[str, Callable[..., Any]] = {
    "==": _binary(loose_equal),
    "===": _binary(strict_equal),
    "!=": _binary(lambda a, b: not loose_equal(a, b)),
    "!==": _binary(lambda a, b: not strict_equal(a, b)),
    ">": _binary(lambda a, b: less(b, a)),
    ">=": _binary(lambda a, b: less(b, a, or_equal=True)),
    "<": _between(False),
    "<=": _between(True),
    "!!": lambda a=UNDEFINED, *rest: truthy(a),
    "!": lambda a=UNDEFINED, *rest: not truthy(a),
    "%": _binary(_remainder),
    "/": _binary(_divide),
    "-": _unary_minus,
    "+": _plus,
    "*": _times,
    "min": lambda *values: _extreme(min, math.inf, values),
    "max": lambda *values: _extreme(max, -math.inf, values),
    "in": _binary(_contains),
    "cat": lambda *values: "".join(
        "" if v is None or v is UNDEFINED else to_string(v) for v in values
    ),
    "substr": _substr,
    "merge": _merge,
}


def apply(logic: Any, data: Any = None, today: str = "") -> Any:
    """The value of `logic` for `data`, as json-logic-js computes it.

    Raises LogicError for an operation outside the subset (the form check refuses
    those before a form is published).
    """
    if isinstance(logic, list):
        return [apply(item, data, today) for item in logic]
    if not is_logic(logic):
        return logic
    op, values = next(iter(logic.items()))
    if not isinstance(values, list):
        values = [values]
    if op not in OPERATIONS:
        raise LogicError(f"unknown operation {op!r}")
    if op == "if":
        i = 0
        while i < len(values) - 1:
            if truthy(apply(values[i], data, today)):
                return apply(values[i + 1], data, today)
            i += 2
        return apply(values[i], data, today) if len(values) == i + 1 else None
    if op in ("and", "or"):
        current = UNDEFINED
        for value in values:
            current = apply(value, data, today)
            if truthy(current) == (op == "or"):
                return current
        return current
    if op in SCOPED:
        return _scoped(op, values, data, today)
    args = [apply(v, data, today) for v in values]
    if op == "today":
        return today
    if op == "var":
        return read_var(data, *args[:2])
    if op == "missing":
        return _missing(data, *args)
    if op == "missing_some":
        return _missing_some(data, *args[:2])
    return _PLAIN[op](*args)


def _scoped(op: str, values: list[Any], data: Any, today: str) -> Any:
    items = apply(values[0], data, today) if values else UNDEFINED
    logic = values[1] if len(values) > 1 else UNDEFINED
    if op == "reduce":
        initial = apply(values[2], data, today) if len(values) > 2 else None
        if not isinstance(items, list):
            return initial
        accumulator = initial
        for item in items:
            accumulator = apply(logic, {"current": item, "accumulator": accumulator}, today)
        return accumulator
    if not isinstance(items, list):
        return {"map": [], "filter": [], "all": False, "some": False, "none": True}[op]
    if op == "map":
        return [apply(logic, item, today) for item in items]
    if op == "filter":
        return [item for item in items if truthy(apply(logic, item, today))]
    if op == "all":
        return bool(items) and all(truthy(apply(logic, item, today)) for item in items)
    if op == "some":
        return any(truthy(apply(logic, item, today)) for item in items)
    return not any(truthy(apply(logic, item, today)) for item in items)


# ---------------------------------------------------------------- what a rule reads


def reads(logic: Any) -> Iterator[tuple[str, bool]]:
    """(path, has a default) of every `var` a rule reads from its own object: not those
    read inside map/filter/reduce/all/some/none, which read each item instead."""
    if isinstance(logic, list):
        for item in logic:
            yield from reads(item)
        return
    if not is_logic(logic):
        return
    op, values = next(iter(logic.items()))
    values = values if isinstance(values, list) else [values]
    if op == "var":
        if values and isinstance(values[0], str | int) and not isinstance(values[0], bool):
            yield str(values[0]), len(values) > 1
        return
    if op in SCOPED:
        yield from reads(values[:1] + values[2:3])
        return
    if op in ("missing", "missing_some"):
        return  # they ask whether a value is there: nothing to wait for
    yield from reads(values)
