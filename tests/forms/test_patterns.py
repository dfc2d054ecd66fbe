"""Patterns: read alike by Python's re and the phone's RegExp (u flag), and linear in time.

The JavaScript side is checked with node, which `scripts/setup --test` installs;
the backtracking side by running refused patterns on a modest wrong answer in a
subprocess, which is still busy long after an accepted pattern has answered.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from forms.patterns import pattern_problem
from tests.forms.small_forms import form, group, problems, text

ACCEPTED = [
    r"^[0-9]{17}[0-9X]$",
    r"^1[3-9][0-9]{9}$",
    r"^62[0-9]{10}$",
    r"^[0-9]{4}[0-9]{6}$",
    r"^[0-9]+(\.[0-9]{1,2})?$",
    r"^[0-9]{1,3}(,[0-9]{3})*$",
    r"^([0-9]{1,3}\.){3}[0-9]{1,3}$",
    r"^[A-Za-z]{2,10}[0-9]{0,3}$",
    r"^[\u4e00-\u9fa5]{2,4}$",
    r"^[^\n]{1,200}$",
    r"^(ab|a)*c$",
    r"^([0-9][0-9])+$",
    r"^[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$",
    r"^\x41\/\(\)\[\]\{\}\|\^\$\.\*\+\?\\$",
    r"^[😀-😂]+$",
    r"^(?:yes|no)?$",
]
# Samples on which the two engines must agree: full-width digits, other scripts'
# letters, line breaks, astral characters. (Python's $ also matches before one final
# "\n" and JavaScript's does not, so no sample ends in one; see forms/README.md.)
SAMPLES = [
    "",
    "620523197501020018",
    "62052319750102001X",
    "６２０５２３",
    "13912345678",
    "12.5",
    "1,234,567",
    "10.0.0.1",
    "abc123",
    "王建国",
    "a\rb",
    "a\u2028b",
    "😀😁",
    "x@y.cn",
    "ab" * 5 + "c",
    "A/()[]{}|^$.*+?\\",
    "yes",
]
NOT_JAVASCRIPT = [
    r"^a{,3}$",
    r"^a]$",
    r"^a}$",
    r"^a{$",
    r"^\-$",
    r"^(?P<x>a)$",
    r"(?i)^a$",
    r"^a\Z",
    r"^a++$",
    r"^(?>a)$",
]


def _javascript(patterns: list[str], samples: list[str]) -> list[dict[str, object]]:
    """For each pattern: the error `new RegExp(p, "u")` throws, or its test() of each sample."""
    script = """
    let input = '';
    process.stdin.on('data', (d) => (input += d));
    process.stdin.on('end', () => {
      const [patterns, samples] = JSON.parse(input);
      console.log(JSON.stringify(patterns.map((p) => {
        try {
          const re = new RegExp(p, 'u');
          return { matches: samples.map((s) => re.test(s)) };
        } catch (e) {
          return { error: e.message };
        }
      })));
    });
    """
    run = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([patterns, samples]),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(run.stdout)


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_check_accepts_portable_linear_pattern(pattern: str) -> None:
    assert pattern_problem(pattern) is None


def test_accepted_patterns_compile_and_match_alike_in_python_and_javascript() -> None:
    phone = _javascript(ACCEPTED, SAMPLES)
    for pattern, verdicts in zip(ACCEPTED, phone, strict=True):
        assert "error" not in verdicts, (pattern, verdicts)
        server = [re.search(pattern, sample) is not None for sample in SAMPLES]
        assert verdicts["matches"] == server, pattern


@pytest.mark.parametrize("pattern", NOT_JAVASCRIPT)
def test_check_refuses_pattern_javascript_cannot_compile(pattern: str) -> None:
    assert pattern_problem(pattern) is not None
    re.compile(pattern)  # Python reads it, so the server alone would have accepted it


def test_patterns_refused_for_javascript_really_fail_there() -> None:
    assert all("error" in verdict for verdict in _javascript(NOT_JAVASCRIPT, []))


@pytest.mark.parametrize(
    ("pattern", "sample"),
    [
        (r"^[0-9]{6}$".replace("[0-9]", r"\d"), "６２０５２３"),
        (r"^\w+$", "王建国"),
        (r"^a.b$", "a\rb"),
        (r"^[]a]$", "]"),
    ],
)
def test_check_refuses_pattern_python_and_javascript_read_differently(
    pattern: str, sample: str
) -> None:
    assert pattern_problem(pattern) is not None
    (phone,) = _javascript([pattern], [sample])
    server = re.search(pattern, sample) is not None
    assert phone.get("matches") != [server]


def test_check_refuses_unicode_digit_class_in_pattern() -> None:
    found = problems(form(s=group(code=text(pattern=r"^\d{6}$"))))
    assert [where for where, _ in found] == ["/properties/s/properties/code/pattern"]
    assert "[0-9]" in found[0][1]


@pytest.mark.parametrize(
    "pattern",
    [r"^(a)\1$", r"^(?=a)a$", r"^(?!b)a$", r"^(?<=a)b$", r"^(?<!a)b$"],
)
def test_check_refuses_backreference_and_lookaround(pattern: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and "slow" in problem


@pytest.mark.parametrize(
    ("pattern", "growth"),
    [
        (r"^(a+)+$", "exponential"),
        (r"^(a|a)*$", "exponential"),
        (r"^([0-9]+)*$", "exponential"),
        (r"^(a*)*$", "exponential"),
        (r"^(a*b*)*$", "exponential"),
        (r"^([a-z0-9]+[._-]?)*@x$", "exponential"),
        (r"^(a|aa){30}$", "exponential"),
        (r"^[0-9]+\.?[0-9]*$", "square"),
        (r"^a*a*$", "square"),
        (r"^[0-9]{1,3}[0-9]*$", "square"),
    ],
)
def test_check_refuses_pattern_that_backtracks(pattern: str, growth: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and growth in problem


def test_check_refuses_unanchored_pattern() -> None:
    problem = pattern_problem("[0-9]{6}")
    assert problem is not None and "start it with ^ and end it with $" in problem


def test_check_refuses_alternatives_outside_a_group() -> None:
    problem = pattern_problem("^a|b$")
    assert problem is not None and "^(a|b)$" in problem


def _busy_after(pattern: str, answer: str, seconds: float) -> bool:
    """Whether re.search(pattern, answer) is still running after `seconds`, in a subprocess."""
    code = "import re, sys; re.search(sys.argv[1], sys.argv[2])"
    try:
        subprocess.run([sys.executable, "-c", code, pattern, answer], check=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


@pytest.mark.parametrize(
    ("refused", "accepted", "answer"),
    [
        # 2^40 ways to split forty a's: hours; the accepted form answers at once.
        (r"^(a+)+$", r"^a+$", "a" * 40 + "!"),
        (r"^([0-9]+)*$", r"^[0-9]*$", "1" * 40 + "x"),
        # 100,000 digits split every way in two: about 5e9 steps; linear: 2e5.
        (r"^[0-9]+\.?[0-9]*$", r"^[0-9]+(\.[0-9]+)?$", "1" * 100_000 + "x"),
    ],
)
def test_refused_pattern_really_backtracks_and_accepted_one_does_not(
    refused: str, accepted: str, answer: str
) -> None:
    assert pattern_problem(refused) is not None
    assert pattern_problem(accepted) is None
    # The margins are orders of magnitude: minutes or hours against milliseconds.
    assert _busy_after(refused, answer, seconds=1.0)
    assert not _busy_after(accepted, answer, seconds=30.0)


def test_pattern_nested_too_deep_for_python_is_refused_before_it_is_compiled() -> None:
    # Python's compiler (run by the metaschema's "regex" format) recurses once per
    # group: about 500 deep exhausts the default stack, less inside a deep call.
    deep = "^" + "(" * 495 + "a" + ")" * 495 + "$"
    found = problems(form(s=group(code=text(pattern=deep))))
    assert [where for where, _ in found] == ["/properties/s/properties/code/pattern"]
    assert "nested more than 20 deep" in found[0][1]


def test_many_intricate_patterns_share_one_budget() -> None:
    intricate = "^(" + "|".join(f"x{i}[a-z]*" for i in range(10)) + ")*$"
    questions = {f"q{i}": text(pattern=intricate.replace("x0", f"y{i}")) for i in range(40)}
    found = problems(form(s=group(**questions)))
    assert len(found) == 40
    assert any("together" in message for _, message in found)
