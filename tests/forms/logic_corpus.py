"""The parity corpus of JSON Logic: rule, data and json-logic-js's own result.

tests/forms/logic_cases.json is what the tests read: each case's `result` was
computed by json-logic-js 2.0.5 (the reference the phone's and the server's
evaluators follow), with NaN, the infinities and undefined written
{"$js": "NaN"} and so on, since JSON has none of them. The official JsonLogic
tests are not in the npm package (its test script downloads them), so the cases
are ours: every operation of the subset with null, strings against numbers,
truthiness and lists. Regenerate after changing CASES (needs node and npm):

    .venv/bin/python tests/forms/logic_corpus.py
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CASES_FILE = HERE / "logic_cases.json"
TODAY = "2026-05-01"
VERSION = "2.0.5"

def V(name: str | int) -> dict[str, str | int]:
    return {"var": name}


MEMBERS = {
    "members": [
        {"name": "张三", "health": "healthy", "age": 40},
        {"name": "李四", "health": "chronic", "age": 12},
        {"name": "王五", "health": "disabled", "age": 70},
    ]
}

CASES: list[tuple[Any, Any]] = [
    # var: paths, defaults, nulls, lists, strings
    (V("a"), {"a": 1}),
    (V("a.b"), {"a": {"b": "x"}}),
    (V("a.b"), {"a": None}),
    (V("a"), {"a": None}),
    ({"var": ["a", 5]}, {}),
    ({"var": ["a", 5]}, {"a": None}),
    ({"var": ["a", 5]}, {"a": 0}),
    ({"var": ["a.b", "none"]}, {"a": 3}),
    (V(1), ["x", "y"]),
    (V("1"), ["x", "y"]),
    (V("01"), ["x", "y"]),
    (V("a.1.b"), {"a": [{"b": 1}, {"b": 2}]}),
    (V("a.length"), {"a": [1, 2, 3]}),
    (V("a.length"), {"a": "汉字"}),
    (V("a.0"), {"a": "汉字"}),
    (V(""), {"a": 1}),
    ({"var": []}, {"a": 1}),
    (V("x"), None),
    (V("x"), 5),
    (V("a.b.c"), {"a": {"b": {"c": False}}}),
    # missing, missing_some
    ({"missing": ["a", "b"]}, {"a": 1}),
    ({"missing": ["a", "b"]}, {"a": "", "b": 0}),
    ({"missing": ["a.b"]}, {"a": {"b": None}}),
    ({"missing": [["a", "b"]]}, {"b": 2}),
    ({"missing": "a"}, {}),
    ({"missing_some": [1, ["a", "b", "c"]]}, {"a": 1}),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"a": 1}),
    ({"missing_some": [0, ["a"]]}, {}),
    ({"missing_some": ["1", ["a", "b"]]}, {"b": False}),
    # if
    ({"if": [True, "yes", "no"]}, None),
    ({"if": [[], "yes", "no"]}, None),
    ({"if": [[0], "yes", "no"]}, None),
    ({"if": ["", "yes", "no"]}, None),
    ({"if": ["0", "yes", "no"]}, None),
    ({"if": [0, "yes", "no"]}, None),
    ({"if": [None, "yes", "no"]}, None),
    ({"if": [{}, "yes", "no"]}, None),
    ({"if": [False, 1, False, 2, 3]}, None),
    ({"if": [False, 1, True, 2, 3]}, None),
    ({"if": [False, 1]}, None),
    ({"if": ["x"]}, None),
    ({"if": [V("a"), V("b"), V("c")]}, {"a": 1, "b": "B", "c": "C"}),
    # == and !=, loose
    ({"==": [1, 1]}, None),
    ({"==": [1, "1"]}, None),
    ({"==": [0, ""]}, None),
    ({"==": ["", 0]}, None),
    ({"==": [None, 0]}, None),
    ({"==": [None, None]}, None),
    ({"==": [None, ""]}, None),
    ({"==": [0, False]}, None),
    ({"==": ["1", True]}, None),
    ({"==": ["true", True]}, None),
    ({"==": [[1], 1]}, None),
    ({"==": [[1, 2], "1,2"]}, None),
    ({"==": [[], ""]}, None),
    ({"==": [[], 0]}, None),
    ({"==": [" 1 ", 1]}, None),
    ({"==": ["0x10", 16]}, None),
    ({"==": ["1e3", 1000]}, None),
    ({"==": ["abc", "abc"]}, None),
    ({"==": ["abc", "ABC"]}, None),
    ({"==": [1.0, 1]}, None),
    ({"==": [V("a"), V("a")]}, {"a": [1]}),
    ({"==": [[1], [1]]}, None),
    ({"!=": [1, "1"]}, None),
    ({"!=": [1, 2]}, None),
    ({"!=": [None, False]}, None),
    # === and !==
    ({"===": [1, 1]}, None),
    ({"===": [1, "1"]}, None),
    ({"===": [1, 1.0]}, None),
    ({"===": [None, None]}, None),
    ({"===": [True, 1]}, None),
    ({"===": ["a", "a"]}, None),
    ({"!==": [1, "1"]}, None),
    ({"!==": [False, 0]}, None),
    # ! and !!
    ({"!": [True]}, None),
    ({"!": True}, None),
    ({"!": [[]]}, None),
    ({"!": [[0]]}, None),
    ({"!": [""]}, None),
    ({"!": ["0"]}, None),
    ({"!": [None]}, None),
    ({"!!": [[]]}, None),
    ({"!!": [[[]]]}, None),
    ({"!!": ["0"]}, None),
    ({"!!": [0]}, None),
    ({"!!": [{"var": "a"}]}, {"a": {}}),
    # and, or: the value, not a boolean
    ({"and": [True, "a", 3]}, None),
    ({"and": [True, "", 3]}, None),
    ({"and": [[], True]}, None),
    ({"and": [1]}, None),
    ({"or": [False, 0, "a"]}, None),
    ({"or": [False, 0, ""]}, None),
    ({"or": [[], None]}, None),
    ({"or": [V("a"), "default"]}, {"a": 0}),
    # comparisons
    ({">": [2, 1]}, None),
    ({">": ["2", 1]}, None),
    ({">": ["10", "9"]}, None),
    ({">": [10, "9"]}, None),
    ({">": ["b", "a"]}, None),
    ({">": ["a", 1]}, None),
    ({">": [1, None]}, None),
    ({">=": [1, 1]}, None),
    ({">=": [None, 0]}, None),
    ({">=": ["a", "a"]}, None),
    ({">=": [[2], 2]}, None),
    ({"<": [1, 2]}, None),
    ({"<": [None, 1]}, None),
    ({"<": ["", 1]}, None),
    ({"<": [1, 2, 3]}, None),
    ({"<": [1, 1, 3]}, None),
    ({"<": [1, 4, 3]}, None),
    ({"<": ["2026-04-30", "2026-05-01"]}, None),
    ({"<": ["2026-05-01", "2026-05-01"]}, None),
    ({"<=": [1, 1, 3]}, None),
    ({"<=": [1, 4, 3]}, None),
    ({"<=": ["2026-05-01", {"today": []}]}, None),
    ({"<=": ["2026-05-02", {"today": []}]}, None),
    ({"<=": [True, 1]}, None),
    ({"<": ["张", "李"]}, None),
    ({"<": ["\uffff", "\U0001f600"]}, None),
    ({"<": [[1, 2], "1,3"]}, None),
    ({"<": [{}, 1]}, None),
    ({"<": ["abc", None]}, None),
    ({"<=": [V("poor"), V("total")]}, {"poor": 12, "total": 40}),
    ({"<=": [V("poor"), V("total")]}, {"poor": 41, "total": 40}),
    ({"<=": [V("poor"), V("total")]}, {"poor": "41", "total": 40}),
    # arithmetic
    ({"+": [1, 2]}, None),
    ({"+": ["1", 2]}, None),
    ({"+": ["1.5px", 2]}, None),
    ({"+": [" 3", "  4 "]}, None),
    ({"+": [None, 1]}, None),
    ({"+": [True, 1]}, None),
    ({"+": ["", 1]}, None),
    ({"+": [[1, 2], 1]}, None),
    ({"+": []}, None),
    ({"+": ["3"]}, None),
    ({"+": "3"}, None),
    ({"+": [0.1, 0.2]}, None),
    ({"+": [".5", "-.5e1"]}, None),
    ({"+": ["Infinity", 1]}, None),
    ({"+": ["0x10", 1]}, None),
    ({"*": [2, "3"]}, None),
    ({"*": ["3"]}, None),
    ({"*": [2, None]}, None),
    ({"*": [1.1, 3]}, None),
    ({"-": [5, 3]}, None),
    ({"-": ["5", "3"]}, None),
    ({"-": [5]}, None),
    ({"-": ["5"]}, None),
    ({"-": [None, 1]}, None),
    ({"-": ["0x10", 1]}, None),
    ({"-": ["1.5px", 1]}, None),
    ({"-": [True, []]}, None),
    ({"/": [6, 3]}, None),
    ({"/": [1, 3]}, None),
    ({"/": [1, 0]}, None),
    ({"/": [-1, 0]}, None),
    ({"/": [0, 0]}, None),
    ({"/": ["6", "2"]}, None),
    ({"/": [None, 2]}, None),
    ({"%": [7, 3]}, None),
    ({"%": [-7, 3]}, None),
    ({"%": [7, -3]}, None),
    ({"%": [7.5, 2]}, None),
    ({"%": [7, 0]}, None),
    ({"%": ["7", "2"]}, None),
    ({"max": [1, 3, 2]}, None),
    ({"max": [1, "3", None]}, None),
    ({"max": [1, "x"]}, None),
    ({"max": [[5], 1]}, None),
    ({"min": [1, 3, 2]}, None),
    ({"min": [-1, None]}, None),
    ({"min": [True, 2]}, None),
    ({"min": [1, "x"]}, None),
    # in
    ({"in": ["a", "abc"]}, None),
    ({"in": ["d", "abc"]}, None),
    ({"in": ["", "abc"]}, None),
    ({"in": [1, "a1"]}, None),
    ({"in": [None, "a null"]}, None),
    ({"in": ["a", ["a", "b"]]}, None),
    ({"in": [1, ["1", 2]]}, None),
    ({"in": [1, [1, 2]]}, None),
    ({"in": [None, [None]]}, None),
    ({"in": ["a", None]}, None),
    ({"in": ["a", ""]}, None),
    ({"in": ["a", []]}, None),
    ({"in": ["1", 1]}, None),
    ({"in": ["a", 5]}, None),
    ({"in": ["illness", V("causes")]}, {"causes": ["illness", "disability"]}),
    # cat
    ({"cat": ["a", "b"]}, None),
    ({"cat": ["a", 1, True, None, 2.5]}, None),
    ({"cat": [[1, [2, None]], "x"]}, None),
    ({"cat": [{}, ""]}, None),
    ({"cat": [0.1, 1e21, 1.5e-7, -0.0]}, None),
    ({"cat": "solo"}, None),
    ({"cat": ["调查日期 ", V("date")]}, {"date": "2026-05-01"}),
    # substr
    ({"substr": ["jsonlogic", 4]}, None),
    ({"substr": ["jsonlogic", -5]}, None),
    ({"substr": ["jsonlogic", 1, 3]}, None),
    ({"substr": ["jsonlogic", 4, -2]}, None),
    ({"substr": ["jsonlogic", 20]}, None),
    ({"substr": ["jsonlogic", -20, 2]}, None),
    ({"substr": ["jsonlogic", "1", "2"]}, None),
    ({"substr": ["jsonlogic", 1.7, 2.9]}, None),
    ({"substr": ["jsonlogic", 0, None]}, None),
    ({"substr": [12345, 1, 2]}, None),
    ({"substr": [None, 1]}, None),
    ({"substr": ["甘谷县农业局", 2, 3]}, None),
    ({"substr": ["a😀b", 1, 2]}, None),
    ({"substr": ["620523102201", 0, 6]}, None),
    # merge
    ({"merge": [[1, 2], [3]]}, None),
    ({"merge": [1, [2, [3]]]}, None),
    ({"merge": []}, None),
    ({"merge": [None, "a"]}, None),
    # map, filter, reduce, all, some, none
    ({"map": [V("members"), V("age")]}, MEMBERS),
    ({"map": [V("missing"), V("age")]}, MEMBERS),
    ({"map": [[1, 2, 3], {"*": [V(""), 2]}]}, None),
    ({"filter": [V("members"), {">=": [V("age"), 18]}]}, MEMBERS),
    ({"filter": [5, True]}, None),
    ({"reduce": [V("members"), {"+": [V("accumulator"), V("current.age")]}, 0]}, MEMBERS),
    ({"reduce": [[1, 2, 3], {"+": [V("accumulator"), V("current")]}]}, None),
    ({"reduce": ["abc", {"+": [V("accumulator"), 1]}, 7]}, None),
    ({"reduce": [[], {"+": [V("accumulator"), 1]}, 7]}, None),
    ({"all": [V("members"), {">": [V("age"), 10]}]}, MEMBERS),
    ({"all": [V("members"), {">": [V("age"), 30]}]}, MEMBERS),
    ({"all": [[], True]}, None),
    ({"all": ["abc", True]}, None),
    ({"some": [V("members"), {"in": [V("health"), ["chronic", "serious"]]}]}, MEMBERS),
    ({"some": [V("members"), {"==": [V("health"), "serious"]}]}, MEMBERS),
    ({"some": [[], True]}, None),
    ({"none": [V("members"), {"==": [V("health"), "serious"]}]}, MEMBERS),
    ({"none": [[], True]}, None),
    ({"none": [[0, ""], V("")]}, None),
    (
        {
            "reduce": [
                {"filter": [V("members"), {"<": [V("age"), 18]}]},
                {"+": [V("accumulator"), 1]},
                0,
            ]
        },
        MEMBERS,
    ),
    # literals, today
    ("text", None),
    (5, None),
    ([1, {"var": "a"}], {"a": 2}),
    ({"a": 1, "b": 2}, None),
    ({"today": []}, None),
    ({"cat": [{"today": []}]}, None),
]

SCRIPT = r"""
const jsonLogic = require(process.argv[1]);
jsonLogic.add_operation('today', () => process.argv[2]);
const encode = (v) => {
  if (v === undefined) return { $js: 'undefined' };
  if (typeof v === 'number' && !Number.isFinite(v)) return { $js: String(v) };
  if (Array.isArray(v)) return v.map(encode);
  return v;
};
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const run = (rule, data) => {
  try { return encode(jsonLogic.apply(rule, data)); } catch (e) { return { $js: 'throws' }; }
};
const results = cases.map(([rule, data]) => ({ rule, data, result: run(rule, data) }));
process.stdout.write(JSON.stringify(results));
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"json-logic-js@{VERSION}"], cwd=tmp, check=True, capture_output=True
        )
        with tarfile.open(next(Path(tmp).glob("*.tgz"))) as archive:
            archive.extractall(tmp, filter="data")
        out = subprocess.run(
            ["node", "-e", SCRIPT, str(Path(tmp) / "package" / "logic.js"), TODAY],
            input=json.dumps(CASES),
            capture_output=True,
            text=True,
            check=True,
        )
    cases = json.loads(out.stdout)
    lines = ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
    header = {"reference": f"json-logic-js {VERSION}", "today": TODAY}
    CASES_FILE.write_text(
        f'{{"about": {json.dumps(header)},\n"cases": [\n{lines}\n]}}\n', encoding="utf-8"
    )
    print(f"{len(cases)} cases written to {CASES_FILE}")


if __name__ == "__main__":
    main()
