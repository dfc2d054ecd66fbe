"""The XPath subset of XLSForm expressions: one test per construct, and what is refused."""

from __future__ import annotations

import re

import pytest

from forms.xpath import BinOp, Call, Here, Neg, Num, Ref, Str, XPathError, parse, refs


def test_the_current_answer_compared_with_a_number() -> None:
    assert parse(". <= 100") == BinOp("<=", Here(), Num(100))


def test_references_strings_and_and() -> None:
    assert parse("${a} > 0 and ${b} = 'x'") == BinOp(
        "and", BinOp(">", Ref("a"), Num(0)), BinOp("=", Ref("b"), Str("x"))
    )


def test_double_quoted_strings() -> None:
    assert parse('${b} != "是"') == BinOp("!=", Ref("b"), Str("是"))


def test_selected_is_a_call_with_two_arguments() -> None:
    assert parse("selected(${q}, 'v')") == Call("selected", (Ref("q"), Str("v")))


def test_today_takes_no_argument() -> None:
    assert parse(". <= today()") == BinOp("<=", Here(), Call("today", ()))


def test_two_questions_compared() -> None:
    assert parse("${x} <= ${y}") == BinOp("<=", Ref("x"), Ref("y"))


def test_and_binds_tighter_than_or() -> None:
    assert parse("${a} = 1 or ${b} = 2 and ${c} = 3") == BinOp(
        "or",
        BinOp("=", Ref("a"), Num(1)),
        BinOp("and", BinOp("=", Ref("b"), Num(2)), BinOp("=", Ref("c"), Num(3))),
    )


def test_arithmetic_precedence_and_left_association() -> None:
    assert parse("${a} - ${b} - 1") == BinOp("-", BinOp("-", Ref("a"), Ref("b")), Num(1))
    assert parse("${a} + ${b} * 2 div 4") == BinOp(
        "+", Ref("a"), BinOp("div", BinOp("*", Ref("b"), Num(2)), Num(4))
    )
    assert parse("${a} mod 2 = 0") == BinOp("=", BinOp("mod", Ref("a"), Num(2)), Num(0))


def test_parentheses_and_negation() -> None:
    assert parse("-(${a} + 1)") == Neg(BinOp("+", Ref("a"), Num(1)))


def test_decimals() -> None:
    assert parse(". >= 0.5") == BinOp(">=", Here(), Num(0.5))
    assert parse(". < .5") == BinOp("<", Here(), Num(0.5))


def test_string_length_count_selected_regex_not() -> None:
    assert parse("string-length(.) <= 18") == BinOp("<=", Call("string-length", (Here(),)), Num(18))
    assert parse("count-selected(${q}) > 0") == BinOp(
        ">", Call("count-selected", (Ref("q"),)), Num(0)
    )
    assert parse("regex(., '^[0-9]{17}[0-9X]$')") == Call(
        "regex", (Here(), Str("^[0-9]{17}[0-9X]$"))
    )
    assert parse("not(selected(${q}, 'v'))") == Call(
        "not", (Call("selected", (Ref("q"), Str("v"))),)
    )


def test_if_concat_and_spaces_inside_references() -> None:
    assert parse("if(${a} > 1, 'many', concat(${b}, 'x'))") == Call(
        "if",
        (
            BinOp(">", Ref("a"), Num(1)),
            Str("many"),
            Call("concat", (Ref("b"), Str("x"))),
        ),
    )
    assert parse("${ a }") == Ref("a")


def test_refs_lists_the_questions_read() -> None:
    assert refs(parse("${a} + ${b} > ${a} and selected(${c}, 'x')")) == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("${a} >", "ends too early"),
        ("${a} = 1)", "unexpected ')'"),
        ("(${a} = 1", "expected ')'"),
        ("/data/a = 1", "cannot read"),
        ("../a = 1", "cannot read '/a"),
        ("pulldata('f', 'a', 'b', ${c})", "pulldata() is not converted"),
        ("selected(${a})", "takes 2 arguments"),
        ("1 < ${a} < 3", "comparisons in a row"),
        ("${a b} = 1", "does not name a question"),
        ("position(..)", "position() is not converted"),
        ("a = 1", "is not understood"),
        ("'x' = 'x'" + " or 'x' = 'x'" * 400, "longer than"),
        ("(" * 50 + "1" + ")" * 50, "nested more than"),
    ],
)
def test_outside_the_subset_is_refused_with_what_was_met(text: str, why: str) -> None:
    with pytest.raises(XPathError, match=re.escape(why)):
        parse(text)
