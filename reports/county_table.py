"""The county roll-up's by-village table: villages grouped by township, subtotals, a total.

Every row, subtotal and total is made of sums (households, people, net income,
poor people ...), and its ratios are divided from those sums: a township's
per-capita income is its total net income over its people, never the mean of
its villages' figures. A sum that includes an unknown part (a village without a
registered count) is unknown, not a smaller number.

A village whose survey covers too little of its registered households
(LOW_COVERAGE) says little about the village: its incidence would count only
the few households surveyed. It is marked and listed after the ranked villages
of its township instead of being ranked among them.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any

LOW_COVERAGE = 0.5  # surveyed / registered households under which a village is not ranked
# Counts summed as they are; None in any part makes the sum None.
COUNTS = (
    "households",
    "population",
    "poor_people",
    "net_income",
    "income_people",
    "below_line",
    "dilapidated",
    "water_difficulty",
    "relapse_risk",
    "unregistered_poor",
    "needs",
    "urgent",
    "solved",
    "open_urgent",
)
KNOWN_ONLY = ("registered", "population_registered")


def _ratio(count: float | None, base: float | None) -> float | None:
    return None if count is None or not base else count / base


def with_ratios(row: dict[str, Any]) -> dict[str, Any]:
    """`row` with its coverage, incidence, per-capita income and low-coverage mark."""
    coverage = _ratio(row["households"], row["registered"])
    return {
        **row,
        "coverage": coverage,
        "incidence": _ratio(row["poor_people"], row["population_registered"]),
        "per_capita_income": _ratio(row["net_income"], row["income_people"]),
        "low_coverage": coverage is None or coverage < LOW_COVERAGE,
    }


def total(rows: Iterable[dict[str, Any]], **names: Any) -> dict[str, Any]:
    """The sum of `rows` as one row (ratios divided from the sums), named by `names`."""
    rows = list(rows)
    summed: dict[str, Any] = {key: sum(r[key] or 0 for r in rows) for key in COUNTS}
    for key in KNOWN_ONLY:
        values = [r[key] for r in rows]
        summed[key] = None if any(v is None for v in values) else sum(values)
    summed["villages"] = len(rows)
    return with_ratios({**summed, **names})


def _rank_key(sort: str) -> Any:
    if sort == "needs":
        return lambda v: (-(v["open_urgent"] or 0), v["code"])
    return lambda v: (-(v["incidence"] or 0.0), v["code"])


def by_township(villages: list[dict[str, Any]], sort: str = "incidence") -> dict[str, Any]:
    """Townships in code order, each with its villages (ranked ones first, by `sort`,
    then those of low coverage in code order) and its subtotal; and the county total."""
    rows = [with_ratios(v) for v in villages]
    townships = []
    for (code, name), members in groupby(
        sorted(rows, key=lambda v: (v["township_code"], v["code"])),
        key=lambda v: (v["township_code"], v["township_name"]),
    ):
        group = list(members)
        ranked = sorted((v for v in group if not v["low_coverage"]), key=_rank_key(sort))
        rest = [v for v in group if v["low_coverage"]]
        townships.append(
            {
                "code": code,
                "name": name,
                "villages": ranked + rest,
                "subtotal": total(group, name=name),
            }
        )
    return {"townships": townships, "total": total(rows)}


def top_incidence(villages: list[dict[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    """The villages of highest incidence across the county, low-coverage ones left out."""
    rows = [with_ratios(v) for v in villages]
    ranked = [v for v in rows if not v["low_coverage"] and v["incidence"] is not None]
    return sorted(ranked, key=_rank_key("incidence"))[:limit]
