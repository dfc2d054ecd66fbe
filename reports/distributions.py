"""Distributions as a form's summary prints them: a number's spread and histogram, dates
by month (or year), numbers written the one way the page and its tests both use.
Pure functions, no I/O."""

from __future__ import annotations

import math
import statistics
from collections import Counter

HISTOGRAM_BINS = 8  # about this many bars for a number's spread
MONTHS_SHOWN = 24  # a longer span of dates is counted by year


def number_text(value: float) -> str:
    """A number as printed: whole numbers as they are, others to 2 decimals."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}"


def _nice(step: float) -> float:
    """The round step (1, 2, 2.5 or 5 times a power of ten) at or above `step`."""
    power = 10.0 ** math.floor(math.log10(step))
    for factor in (1, 2, 2.5, 5, 10):
        if step <= factor * power * (1 + 1e-9):
            return factor * power
    return 10 * power


def histogram(values: list[float]) -> list[tuple[str, int]]:
    """(bin, count) over `values`: one bin per value for a few whole numbers, else about
    HISTOGRAM_BINS bins of a round width, each holding its lower bound and not its upper."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [(number_text(low), len(values))]
    whole = all(float(v).is_integer() for v in values)
    if whole and high - low < 12:
        counts = Counter(int(v) for v in values)
        return [(f"{v:,}", counts[v]) for v in range(int(low), int(high) + 1)]
    width = _nice((high - low) / HISTOGRAM_BINS)
    if whole:
        width = max(1.0, math.ceil(width))
    start = math.floor(low / width) * width
    bins = int((high - start) // width) + 1
    counts = Counter(min(int((v - start) // width), bins - 1) for v in values)
    found = []
    for i in range(bins):
        a, b = start + i * width, start + (i + 1) * width
        found.append((f"{number_text(a)} – {number_text(b)}", counts[i]))
    return found


def spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "min": min(values),
        "median": statistics.median(values),
        "mean": statistics.fmean(values),
        "max": max(values),
    }


def by_month(days: Counter[str]) -> tuple[str, list[tuple[str, int]]]:
    """("month", counts by month from the first date's to the last's), or by year when
    they span more than MONTHS_SHOWN months, or by a round number of years past as many
    years (birth dates)."""
    if not days:
        return "month", []
    first, last = min(days), max(days)
    months = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1
    if months <= MONTHS_SHOWN:
        by: Counter[str] = Counter()
        for day, n in days.items():
            by[day[:7]] += n
        found = []
        year, month = int(first[:4]), int(first[5:7])
        for _ in range(months):
            key = f"{year:04d}-{month:02d}"
            found.append((key, by[key]))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return "month", found
    years: Counter[int] = Counter()
    for day, n in days.items():
        years[int(day[:4])] += n
    low, high = min(years), max(years)
    if high - low < MONTHS_SHOWN:
        return "year", [(str(y), years[y]) for y in range(low, high + 1)]
    width = int(_nice((high - low + 1) / 12))
    start = low - low % width
    return "years", [
        (f"{y}–{y + width - 1}", sum(years[x] for x in range(y, y + width)))
        for y in range(start, high + 1, width)
    ]
