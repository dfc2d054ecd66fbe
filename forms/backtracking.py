r"""How long a backtracking matcher can take on a pattern, found before any answer is tried.

Python's `re` and the phone's JavaScript both match by backtracking: when a
path through the pattern fails they go back and try the next, so their time
on a wrong answer grows with the number of ways the pattern could have read
it. Two shapes make that number explode:

- a repeat that can match the same text in two ways: `(a+)+`, `(a|a)*`,
  `([0-9]+)*`, `(a*b*)*`. A failing answer makes the matcher try every way,
  2^n of them for n characters;
- two repeats in a row that can take the same characters, with nothing between
  them that must match: `[0-9]+\.?[0-9]*` on "1111111111x" tries every place
  to split the ones between the two, n^2 steps (n^3 for three, and so on).

Both are found on the pattern's position automaton (Glushkov's construction, a
state per character of the pattern, keeping the number of ways from one state
to the next so that `(a*)*` counts its two ways round): a repeat matches text
in two ways exactly when two different paths leave one state and come back to
it reading the same text (exponential ambiguity, found in the product of the
automaton with itself), and two repeats take turns when paths p->p, p->q and
q->q read the same text for states p != q (polynomial ambiguity, found in the
product of three copies). This is the analysis of Weideman, van der Merwe,
Berglund and Watson, "Analyzing matching time behavior of backtracking regular
expression matchers by using ambiguity of NFA" (2016).

Bounded repeats `{n,m}` are analysed as if unbounded, so `(a|a){1,20}` is
refused though its 2^20 ways would end; a count `{n}` is no choice, so between
two repeats it is analysed as two copies of its body, and `[0-9]{4}[0-9]{6}`
passes. A harmless pattern refused this way can be written out:
`([0-9][0-9])+` for `([0-9]{2})+`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_POSITIONS = 2_000  # characters of the automaton the analysis builds
MAX_STEPS = 100_000  # steps the analysis may take on one pattern (about 50 ms)

LAST = 0x10FFFF
Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint code point ranges
ANY: Ranges = ((0, LAST),)
SEARCH = -1  # the offset of the characters skipped looking for a start


TOO_INTRICATE = "too intricate to check that it runs in linear time; simplify it"


class _GaveUp(Exception):
    """The pattern is too big or intricate to analyse within the budget."""


@dataclass
class Chars:
    """One character out of a set: a position of the automaton."""

    ranges: Ranges
    at: int  # where it starts in the pattern


@dataclass
class Seq:
    items: list[Node]


@dataclass
class Alt:
    options: list[Node]


@dataclass
class Repeat:
    body: Node
    low: int
    high: int | None  # None: no upper bound
    start: int  # the pattern's text from start to end is the repeat, quantifier included
    end: int


@dataclass
class Anchor:
    kind: str  # "^" or "$"
    at: int


Node = Chars | Seq | Alt | Repeat | Anchor


def _meet(a: Ranges, b: Ranges) -> Ranges:
    """The characters in both sets."""
    found, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if low <= high:
            found.append((low, high))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(found)


@dataclass
class _Automaton:
    """Glushkov's automaton: a state per character of the pattern, entered by reading it.

    `follow[p][q]` is how many ways (1, or 2 meaning "more than one") lead from p to q
    without reading anything, as a backtracking matcher would try them.
    """

    classes: list[Ranges] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    follow: list[dict[int, int]] = field(default_factory=list)
    loops: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of each repeat
    # whether {n} with n >= 2 repeats its body as a loop (for ambiguity of one repeat
    # with itself) or as two copies (for two repeats in a row, where a count is no choice)
    counts_loop: bool = True

    def build(self, node: Node) -> tuple[int, dict[int, int], dict[int, int]]:
        """(ways to match nothing, ways to each first position, ways from each last one)."""
        if isinstance(node, Chars):
            if len(self.classes) >= MAX_POSITIONS:
                raise _GaveUp("too long to check that it runs in linear time; simplify it")
            position = len(self.classes)
            self.classes.append(node.ranges)
            self.offsets.append(node.at)
            self.follow.append({})
            return 0, {position: 1}, {position: 1}
        if isinstance(node, Anchor):
            return 1, {}, {}
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        if isinstance(node, Alt):
            empty = 0
            for option in node.options:
                e, f, la = self.build(option)
                empty = _sat(empty + e)
                first, last = _add(first, f), _add(last, la)
            return empty, first, last
        if isinstance(node, Seq):
            empty = 1
            for item in node.items:
                e, f, la = self.build(item)
                self.link(last, f)
                first = _add(first, _times(f, empty))
                last = _add(la, _times(last, e))
                empty = _sat(empty * e)
            return empty, first, last
        return self.repeat(node)

    def repeat(self, node: Repeat) -> tuple[int, dict[int, int], dict[int, int]]:
        if node.high == 0:
            return 1, {}, {}
        if node.high == 1:
            e, f, la = self.build(node.body)
            return (_sat(e + 1) if node.low == 0 else e), f, la
        if node.high == node.low and not self.counts_loop:
            return self.build(Seq([node.body, node.body]))
        e, f, la = self.build(node.body)
        self.link(la, f)  # round again
        self.loops.append((node.start, node.end))
        # An iteration that matched nothing ends the loop in both engines.
        return (1 if node.low == 0 else e), f, la

    def link(self, last: dict[int, int], first: dict[int, int]) -> None:
        for p, ways_out in last.items():
            out = self.follow[p]
            for q, ways_in in first.items():
                out[q] = _sat(out.get(q, 0) + ways_out * ways_in)


def _sat(ways: int) -> int:
    return min(ways, 2)


def _add(a: dict[int, int], b: dict[int, int]) -> dict[int, int]:
    summed = dict(a)
    for key, ways in b.items():
        summed[key] = _sat(summed.get(key, 0) + ways)
    return summed


def _times(ways_to: dict[int, int], factor: int) -> dict[int, int]:
    return {key: _sat(ways * factor) for key, ways in ways_to.items()} if factor else {}


class Budget:
    """Steps the analysis may still take; a form's patterns may share one."""

    def __init__(self, limit: int = MAX_STEPS) -> None:
        self.limit = limit
        self.steps = 0

    def spend(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > self.limit:
            raise _GaveUp(TOO_INTRICATE)


class _Meets:
    """Whether positions can read a common character, remembered."""

    def __init__(self, classes: list[Ranges]) -> None:
        self.classes = classes
        self.pairs: dict[tuple[int, int], Ranges] = {}

    def pair(self, p: int, q: int) -> Ranges:
        key = (p, q) if p <= q else (q, p)
        found = self.pairs.get(key)
        if found is None:
            found = self.pairs[key] = _meet(self.classes[p], self.classes[q])
        return found

    def triple(self, p: int, q: int, r: int) -> bool:
        common = self.pair(p, q)
        return bool(common) and bool(_meet(common, self.classes[r]))


def _exponential(auto: _Automaton, budget: Budget) -> int | None:
    """A state two different paths leave and come back to reading the same text, if any.

    Both paths stay in the state's strongly connected component. They part at some
    state q, either along two edges to one state (two ways round, as in `(a*)*`) or
    to two states s != s' that read a common character; once the pair (s, s') meets
    again at some (r, r), both can follow one path from r back to q.
    """
    meets = _Meets(auto.classes)
    component = _component_of(auto, budget)
    explored: set[tuple[int, int]] = set()  # pairs known not to meet again
    for q, ways_out in enumerate(auto.follow):
        inside = [s for s in ways_out if component[s] == component[q]]
        for s in inside:
            if ways_out[s] > 1:
                return q
        for i, s in enumerate(inside):
            for s2 in inside[i + 1 :]:
                budget.spend()
                if meets.pair(s, s2) and _meet_again(
                    auto, meets, budget, component, (s, s2), explored
                ):
                    return q
    return None


def _meet_again(
    auto: _Automaton,
    meets: _Meets,
    budget: Budget,
    component: list[int],
    start: tuple[int, int],
    explored: set[tuple[int, int]],
) -> bool:
    """Whether two paths at `start` can reach one state reading the same text, in their
    component."""
    todo = [start]
    seen = {start}
    while todo:
        p, q = todo.pop()
        for p2 in auto.follow[p]:
            if component[p2] != component[p]:
                continue
            for q2 in auto.follow[q]:
                budget.spend()
                if component[q2] != component[q] or not meets.pair(p2, q2):
                    continue
                if p2 == q2:
                    return True
                pair = (p2, q2) if p2 < q2 else (q2, p2)
                if pair not in seen and pair not in explored:
                    seen.add(pair)
                    todo.append(pair)
    explored.update(seen)
    return False


def _component_of(auto: _Automaton, budget: Budget) -> list[int]:
    """The strongly connected component of each state (Tarjan's, with a stack of its own);
    a state on no cycle gets a component of its own that no edge stays inside."""
    count = len(auto.classes)
    index = [-1] * count
    low = [0] * count
    on_stack = [False] * count
    stack: list[int] = []
    component = [-1] * count
    found = visited = 0
    for root in range(count):
        if index[root] >= 0:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            node, edge = work.pop()
            if edge == 0:
                index[node] = low[node] = visited
                visited += 1
                stack.append(node)
                on_stack[node] = True
            targets = list(auto.follow[node])
            if edge < len(targets):
                budget.spend()
                work.append((node, edge + 1))
                target = targets[edge]
                if index[target] < 0:
                    work.append((target, 0))
                elif on_stack[target]:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component[member] = found
                    if member == node:
                        break
                found += 1
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def _polynomial(auto: _Automaton, budget: Budget) -> tuple[int, int] | None:
    """Two states p != q with paths p->p, p->q and q->q reading the same text, if any.

    The first path stays in p's component and the third in q's; the second runs
    from p to q, through states between the two.
    """
    meets = _Meets(auto.classes)
    component = _component_of(auto, budget)
    looping = [
        p for p, out in enumerate(auto.follow) if any(component[s] == component[p] for s in out)
    ]
    reach = {p: _reachable(auto.follow, p, budget) for p in looping}
    back: list[dict[int, int]] = [{} for _ in auto.follow]
    for p, out in enumerate(auto.follow):
        for s in out:
            back[s][p] = 1
    reached_from: dict[int, set[int]] = {}
    for p in looping:
        for q in looping:
            if p == q or q not in reach[p] or not meets.pair(p, q):
                continue
            if q not in reached_from:
                reached_from[q] = _reachable(back, q, budget) | {q}
            between = reach[p] & reached_from[q]
            start, goal = (p, p, q), (p, q, q)
            seen = {start}
            todo = [start]
            while todo:
                x, y, z = todo.pop()
                for x2 in auto.follow[x]:
                    if component[x2] != component[p]:
                        continue
                    for y2 in auto.follow[y]:
                        if y2 not in between or not meets.pair(x2, y2):
                            continue
                        for z2 in auto.follow[z]:
                            budget.spend()
                            step = (x2, y2, z2)
                            if component[z2] != component[q] or step in seen:
                                continue
                            if not meets.triple(x2, y2, z2):
                                continue
                            if step == goal:
                                return p, q
                            seen.add(step)
                            todo.append(step)
    return None


def _reachable(edges: list[dict[int, int]], p: int, budget: Budget) -> set[int]:
    """The states one or more steps away from p along `edges`."""
    seen: set[int] = set()
    todo = list(edges[p])
    while todo:
        q = todo.pop()
        if q not in seen:
            budget.spend()
            seen.add(q)
            todo.extend(edges[q])
    return seen


def _loop_text(pattern: str, auto: _Automaton, position: int, outermost: bool) -> str:
    at = auto.offsets[position]
    if at == SEARCH:
        return "the search for where a match starts"
    spans = [(s, e) for s, e in auto.loops if s <= at < e]
    if not spans:
        return pattern[at]
    start, end = max(spans, key=lambda s: (s[1] - s[0]) * (1 if outermost else -1))
    return pattern[start:end]


def slow_matching(pattern: str, body: Node, budget: Budget) -> str | None:
    """Why matching `body` (parsed from `pattern`) could take more than linear time, or None."""
    try:
        looped = _Automaton(counts_loop=True)
        looped.build(body)
        state = _exponential(looped, budget)
        if state is not None:
            return (
                f"{_loop_text(pattern, looped, state, True)} can match the same text in more "
                "than one way, so a wrong answer takes time exponential in its length; "
                "write each repeat so only one way fits, e.g. [0-9]+ for ([0-9]+)*"
            )
        counted = _Automaton(counts_loop=False)
        counted.build(body)
        pair = _polynomial(counted, budget)
        if pair is not None:
            first, second = (_loop_text(pattern, counted, p, False) for p in pair)
            return (
                f"{first} and {second} can take the same characters, with nothing between them "
                "that must match, so a wrong answer takes time growing with the square of its "
                "length; make the part between them required, e.g. [0-9]+(\\.[0-9]+)?"
            )
    except _GaveUp as gave_up:
        return str(gave_up)
    return None
