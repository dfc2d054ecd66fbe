"""The figures of a village report and a county roll-up, counted in SQL.

Officials sign these reports and decide from them, so each figure must be one
a person can recount from the raw answers: it is counted over the households
drawn for the period (see `reports.draw`), and a figure the answers do not
hold is None -- shown as "无数据", never as 0. Shares carry their count and
their base so the page can print both.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reports.draw import (
    CLOSING_SQL,
    HEADLINE_FIELDS,
    Period,
    Scope,
    as_of,
    connect_readonly,
    draw,
    draw_households,
    group_order,
    scope_where,
)
from reports.labels import Labels, labels_from_schema, with_followups
from reports.ledger import URGENT_LIST_LIMIT, ledger, overdue_needs, urgent_needs
from reports.photos import house_photos

POOR = ("ordinary_poor", "dibao_poor", "tekun_poor")
_POOR_SQL = "('ordinary_poor', 'dibao_poor', 'tekun_poor')"
# A registered poor household (建档立卡) is counted poor while its status is 未脱贫,
# 预脱贫 (planned to leave this year but not yet verified: the roster keeps it as
# 未脱贫) or 返贫. 已脱贫 households are no longer poor, though still monitored.
POOR_STATUSES = ("not_out", "expected_out", "returned")


def _still_poor(alias: str = "") -> str:
    """The SQL condition on a drawn household (`alias`.) that it is counted poor."""
    p = f"{alias}." if alias else ""
    statuses = ", ".join(f"'{s}'" for s in POOR_STATUSES)
    return f"{p}category IN {_POOR_SQL} AND {p}status IN ({statuses})"


INCOME_CEILING = 100_000  # the form's own upper bound for per-capita income


class UnknownScope(LookupError):
    """No village or county with that code is known to the database."""


@dataclass(frozen=True)
class Share:
    """`count` out of `total`; pct is None when there is no base to divide by."""

    count: int | None
    total: int | None

    @property
    def pct(self) -> float | None:
        if self.count is None or not self.total:
            return None
        return 100.0 * self.count / self.total


@dataclass(frozen=True)
class Breakdown:
    """Counts by option code in the form's order; `missing` counts unanswered rows."""

    field: str
    total: int
    rows: list[tuple[str, int]]
    missing: int = 0

    def share(self, code: str) -> Share:
        return Share(dict(self.rows).get(code, 0), self.total)


@dataclass(frozen=True)
class Headline:
    """The figures an official reads first, over one drawn set of households; the same
    function counts them for the period and for the one before, so they compare.

    Pairs are (households, people). `poor` counts the people of registered poor
    households still poor (POOR_STATUSES); `status_unknown` those whose status was
    not answered, counted in neither. `below_line` is any household, registered or
    not, whose unrounded per-capita income is under the line.
    """

    households: int
    people: int
    registered_poor: tuple[int, int]
    poor: tuple[int, int]
    status_unknown: tuple[int, int]
    below_line: tuple[int, int]
    income_known: tuple[int, int]
    per_capita_income: float | None  # total net income / total people, complete income only
    registered_households: int | None
    population_registered: int | None

    @property
    def coverage(self) -> Share:
        return Share(self.households, self.registered_households)

    @property
    def incidence(self) -> Share:
        """Poor people over the area's registered population: 贫困发生率."""
        return Share(self.poor[1], self.population_registered)

    @property
    def below_line_share(self) -> Share:
        """People below the line over the people whose household's income is complete."""
        return Share(self.below_line[1], self.income_known[1])


def headline(
    conn: sqlite3.Connection,
    poverty_line: float,
    registered_households: int | None,
    population_registered: int | None,
    table: str = "h",
) -> Headline:
    """The headline figures over a drawn households table (`h`, or the earlier period's)."""

    def pair(where: str) -> tuple[int, int]:
        households, people = conn.execute(
            f"SELECT count(*), total(members) FROM {table} WHERE {where}",
            {"line": poverty_line},
        ).fetchone()
        return int(households), int(people)

    households, people = pair("1")
    return Headline(
        households=households,
        people=people,
        registered_poor=pair(f"category IN {_POOR_SQL}"),
        poor=pair(_still_poor()),
        status_unknown=pair(f"category IN {_POOR_SQL} AND status IS NULL"),
        below_line=pair("income < :line"),
        income_known=pair("income IS NOT NULL"),
        per_capita_income=_one(
            conn,
            "SELECT CASE WHEN count(*) THEN total(net_income) / total(members) END"
            f" FROM {table} WHERE income IS NOT NULL",
        ),
        registered_households=registered_households,
        population_registered=population_registered,
    )


@dataclass
class Indicators:
    """Every indicator of the brief the form has data for, over one drawn set."""

    headline: Headline
    # Why the registered population is unknown: None (it is known), "village" (the
    # village has none), or how many of the county's villages have none.
    population_missing: str | int | None
    households: int
    registered: int | None
    population: int
    labour_force: int
    categories: list[tuple[str, int, int]]  # (category, households, people)
    status: Breakdown
    vulnerable: dict[str, int | None]
    income: dict[str, Any]
    causes: Breakdown
    other_causes: Breakdown
    living: dict[str, Any]
    insurance: dict[str, Share]
    people: dict[str, Breakdown]
    needs: dict[str, Any]
    pairing: dict[str, Any]

    @property
    def coverage(self) -> Share:
        return self.headline.coverage

    @property
    def incidence(self) -> Share:
        return self.headline.incidence


@dataclass
class Report:
    """Everything a template needs; plain data, so it crosses process boundaries."""

    kind: str
    code: str
    name: str
    place: dict[str, str]
    period: Period
    poverty_line: float
    drawn: int
    submissions_in_period: int
    survey_span: tuple[str | None, str | None]
    form_versions: list[int]
    labels: Labels
    figures: Indicators
    generated_at: str
    households: list[dict[str, Any]] = field(default_factory=list)
    urgent_needs: list[dict[str, Any]] = field(default_factory=list)
    overdue_needs: list[dict[str, Any]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)
    red_flags: dict[str, Any] = field(default_factory=dict)
    # The period of the same length before this one, and its headline figures; None
    # when the period has no start or no end, so there is nothing of equal length.
    previous_period: Period | None = None
    previous: Headline | None = None
    photos: list[dict[str, Any]] = field(default_factory=list)  # reports/photos.py
    villages: list[dict[str, Any]] = field(default_factory=list)
    townships: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------- small helpers


def _one(conn: sqlite3.Connection, sql: str, params: Any = ()) -> Any:
    return conn.execute(sql, params).fetchone()[0]


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _breakdown(
    conn: sqlite3.Connection, labels: Labels, path: str, table: str, column: str, where: str = "1"
) -> Breakdown:
    counts = dict(
        conn.execute(
            f"SELECT {column}, count(*) FROM {table} WHERE {where} GROUP BY {column}"
        ).fetchall()
    )
    missing = counts.pop(None, 0)
    order = labels.codes(path)
    rows = [(code, counts.pop(code, 0)) for code in order]
    rows += sorted(counts.items())  # codes the schema no longer lists are still counted
    return Breakdown(path, sum(n for _, n in rows), rows, missing)


def _yes(conn: sqlite3.Connection, table: str, column: str, where: str = "1") -> Share:
    """Yes answers over answered rows of a boolean field."""
    yes, answered = conn.execute(
        f"SELECT total({column} = 1), count({column}) FROM {table} WHERE {where}"
    ).fetchone()
    return Share(int(yes), int(answered)) if answered else Share(None, None)


# ---------------------------------------------------------------- indicators


def _income(conn: sqlite3.Connection, poverty_line: float) -> dict[str, Any]:
    known = _one(conn, "SELECT count(per_capita) FROM h")
    mean = _one(conn, "SELECT avg(per_capita) FROM h")
    median = None
    if known:
        median = _one(
            conn,
            "SELECT avg(per_capita) FROM (SELECT per_capita FROM h"
            " WHERE per_capita IS NOT NULL ORDER BY per_capita"
            " LIMIT 2 - ? % 2 OFFSET (? - 1) / 2)",
            (known, known),
        )
    pooled = (
        _one(
            conn,
            "SELECT total(net_income) / nullif(total(members), 0) FROM h"
            " WHERE per_capita IS NOT NULL",
        )
        if known
        else None
    )
    # The line is a test of the unrounded income (`income`), not of the 0.01-yuan figure.
    bands_sql = [
        ("below", "income < :line"),
        ("to_1_5", "income >= :line AND income < 1.5 * :line"),
        ("to_2", "income >= 1.5 * :line AND income < 2 * :line"),
        ("above_2", "income >= 2 * :line"),
        ("unknown", "income IS NULL"),
    ]
    households_drawn = _one(conn, "SELECT count(*) FROM h")
    bands = []
    for name, condition in bands_sql:
        households, people = conn.execute(
            f"SELECT count(*), total(members) FROM h WHERE {condition}", {"line": poverty_line}
        ).fetchone()
        bands.append((name, Share(households, households_drawn), int(people)))
    # Composition: per-capita yuan by component, per household category and overall,
    # over households whose income is complete. Each part and the total are divided
    # unrounded (integer division would floor them); the page rounds each figure on
    # its own, and each bar's total is total net income / people, the same figure as
    # the per-capita net income beside it.
    parts = (
        "total(wages)",
        "total(business_income - business_expense)",
        "total(property_income)",
        "total(t_dibao + t_pension + t_eco + t_other)",
    )
    select = ", ".join(f"{p} / total(members)" for p in parts)
    composition = []
    for category in (*POOR, "non_poor", "all"):
        where = "" if category == "all" else "AND category = :category"
        row = conn.execute(
            f"SELECT {select}, total(net_income) / total(members), count(*) FROM h"
            f" WHERE per_capita IS NOT NULL {where}",
            {"category": category},
        ).fetchone()
        if row[-1]:
            composition.append(
                {
                    "category": category,
                    "parts": [float(v) for v in row[:4]],
                    "total": float(row[4]),
                    "households": int(row[5]),
                }
            )
    transfers = conn.execute(
        "SELECT sum(t_dibao), sum(t_pension), sum(t_eco), sum(t_other) FROM h"
        " WHERE per_capita IS NOT NULL"
    ).fetchone()
    return {
        "known": known,
        "mean": mean,
        "median": median,
        "pooled": pooled,
        "bands": bands,
        "composition": composition,
        "transfers": list(transfers) if known else [None] * 4,
    }


def _living(conn: sqlite3.Connection, labels: Labels) -> dict[str, Any]:
    house = "floor_area > 0"
    dilapidated = _one(conn, f"SELECT count(*) FROM h WHERE {house} AND dilapidation IN ('c', 'd')")
    with_house = _one(conn, f"SELECT count(*) FROM h WHERE {house}")
    return {
        "no_house": Share(
            _one(conn, "SELECT count(*) FROM h WHERE floor_area = 0"),
            _one(conn, "SELECT count(floor_area) FROM h"),
        ),
        "dilapidated": Share(dilapidated, with_house) if with_house else Share(None, None),
        "dilapidation": _breakdown(conn, labels, "living.dilapidation", "h", "dilapidation", house),
        "structure": _breakdown(conn, labels, "living.structure", "h", "structure", house),
        "water_source": _breakdown(conn, labels, "living.water_source", "h", "water_source"),
        "road": _breakdown(conn, labels, "living.road", "h", "road"),
        **{
            name: _yes(conn, "h", name)
            for name in (
                "water_difficulty",
                "water_safe",
                "electricity",
                "sanitary_toilet",
                "enough_food",
                "enough_clothing",
                "dropout",
            )
        },
    }


def _needs(
    conn: sqlite3.Connection, labels: Labels, as_of: str, overdue_days: dict[str, int] | None
) -> dict[str, Any]:
    matrix = {
        (c, u): k
        for c, u, k in conn.execute(
            "SELECT category, urgency, count(*) FROM n GROUP BY category, urgency"
        )
    }
    categories = labels.codes("needs.category")
    urgencies = labels.codes("needs.urgency")
    table = [(c, [matrix.get((c, u), 0) for u in urgencies]) for c in categories]
    followed = ledger(conn, labels, as_of, overdue_days)
    return {
        "total": _one(conn, "SELECT count(*) FROM n"),
        "households_with_needs": _one(conn, "SELECT count(DISTINCT rid) FROM n"),
        "urgencies": urgencies,
        "by_category": table,
        "by_urgency": _breakdown(conn, labels, "needs.urgency", "n", "urgency"),
        "items": _breakdown(conn, labels, "needs.item", "n", "item"),
        "urgent": _one(conn, "SELECT count(*) FROM n WHERE urgency = 'urgent'"),
        "urgent_open": _one(
            conn,
            "SELECT count(*) FROM n WHERE urgency = 'urgent'"
            f" AND coalesce(status, 'open') NOT IN {CLOSING_SQL}",
        ),
        **followed,
        "resolution_rate": Share(*followed["resolution_rate"]),
    }


def indicators(
    conn: sqlite3.Connection,
    labels: Labels,
    poverty_line: float,
    registered: int | None,
    visits: int,
    as_of: str,
    population_registered: int | None = None,
    population_missing: str | int | None = None,
    overdue_days: dict[str, int] | None = None,
) -> Indicators:
    """Indicators over the drawn TEMP tables h, m, n; needs' days open counted to `as_of`."""
    households = _one(conn, "SELECT count(*) FROM h")
    categories = [
        (
            c,
            *conn.execute(
                "SELECT count(*), total(members) FROM h WHERE category = ?", (c,)
            ).fetchone(),
        )
        for c in labels.codes("household.category")
    ]
    categories = [(c, int(hh), int(people)) for c, hh, people in categories]
    ages_known = _one(conn, "SELECT count(age) FROM m")
    people = {
        "sex": _breakdown(conn, labels, "members.sex", "m", "sex"),
        "age": Breakdown(
            "age",
            ages_known,
            [
                (band, _one(conn, f"SELECT count(*) FROM m WHERE {cond}"))
                for band, cond in (
                    ("0-15", "age < 16"),
                    ("16-59", "age BETWEEN 16 AND 59"),
                    ("60+", "age >= 60"),
                )
            ],
            _one(conn, "SELECT count(*) FROM m WHERE age IS NULL"),
        ),
        **{
            name: _breakdown(conn, labels, f"members.{name}", "m", name)
            for name in (
                "education",
                "schooling",
                "health",
                "labour",
                "migrant_work",
                "ethnicity",
                "disability_type",
            )
        },
    }
    disability_where = "health = 'disabled'"
    people["disability_type"] = _breakdown(
        conn, labels, "members.disability_type", "m", "disability_type", disability_where
    )
    return Indicators(
        headline=headline(conn, poverty_line, registered, population_registered),
        population_missing=population_missing,
        households=households,
        registered=registered,
        population=_one(conn, "SELECT count(*) FROM m"),
        labour_force=_one(
            conn, "SELECT count(*) FROM m WHERE labour IN ('ordinary', 'skilled', 'weak')"
        ),
        categories=categories,
        status=_breakdown(
            conn, labels, "household.status", "h", "status", f"category IN {_POOR_SQL}"
        ),
        vulnerable={
            "disabled": _one(conn, "SELECT count(*) FROM m WHERE health = 'disabled'"),
            "ill": _one(conn, "SELECT count(*) FROM m WHERE health IN ('chronic', 'serious')"),
            "serious": _one(conn, "SELECT count(*) FROM m WHERE health = 'serious'"),
            "elderly_alone": _one(
                conn,
                "SELECT count(*) FROM h WHERE members = 1 AND rid IN"
                " (SELECT rid FROM m WHERE age >= 60)",
            ),
            "elderly": _one(conn, "SELECT count(*) FROM m WHERE age >= 60"),
            "left_behind_children": None,  # the form does not ask where parents live
        },
        income=_income(conn, poverty_line),
        causes=_breakdown(
            conn, labels, "causes.main_cause", "h", "main_cause", f"category IN {_POOR_SQL}"
        ),
        other_causes=_other_causes(conn, labels),
        living=_living(conn, labels),
        insurance={
            name: _yes(conn, "m", name)
            for name in ("medical_insurance", "critical_insurance", "pension", "dibao")
        },
        people=people,
        needs=_needs(conn, labels, as_of, overdue_days),
        pairing={
            "paired": Share(
                _one(conn, "SELECT count(*) FROM h WHERE length(trim(surveyor)) > 0"), households
            ),
            "cadres": _one(conn, "SELECT count(DISTINCT surveyor) FROM h"),
            "visits": visits,
        },
    )


def _other_causes(conn: sqlite3.Connection, labels: Labels) -> Breakdown:
    counts = dict(
        conn.execute(
            "SELECT j.value, count(*) FROM h, json_each(h.other_causes) j"
            # An unanswered list is JSON null, whose json_each row is a NULL value.
            " WHERE j.type = 'text' GROUP BY j.value"
        ).fetchall()
    )
    rows = [(c, counts.pop(c, 0)) for c in labels.codes("causes.other_causes")]
    rows += sorted(counts.items())
    households = _one(conn, f"SELECT count(*) FROM h WHERE category IN {_POOR_SQL}")
    return Breakdown("causes.other_causes", households, rows, 0)


# ---------------------------------------------------------------- lists


# (rule, SQL condition over h) -- the form's cross-field rules, rechecked on what was drawn.
# Every stored answer passed them on arrival; a finding here means a rule changed or
# data was loaded around the API.
QUALITY_RULES = (
    ("irrigated_exceeds_cultivated", "irrigated_land > cultivated_land"),
    ("income_incomplete", "per_capita IS NULL"),
    ("income_out_of_range", f"per_capita <= 0 OR per_capita > {INCOME_CEILING}"),
    ("poor_without_cause", f"category IN {_POOR_SQL} AND main_cause IS NULL"),
    (
        "illness_without_ill_member",
        "main_cause = 'illness' AND NOT EXISTS (SELECT 1 FROM m"
        " WHERE m.rid = h.rid AND m.health IN ('chronic', 'serious'))",
    ),
    (
        "disability_without_disabled_member",
        "main_cause = 'disability' AND NOT EXISTS (SELECT 1"
        " FROM m WHERE m.rid = h.rid AND m.health = 'disabled')",
    ),
    (
        "schooling_without_student",
        "main_cause = 'schooling' AND NOT EXISTS (SELECT 1 FROM m"
        " WHERE m.rid = h.rid AND m.schooling IS NOT NULL AND m.schooling != 'not_in_school')",
    ),
    ("not_one_head", "(SELECT count(*) FROM m WHERE m.rid = h.rid AND m.relation = 'head') != 1"),
    ("survey_date_in_future", "survey_date > :today"),
)


def _quality(conn: sqlite3.Connection, today: str) -> list[dict[str, Any]]:
    found = []
    for rule, condition in QUALITY_RULES:
        for row in _rows(
            conn,
            f"SELECT village_code, grp, head_name, survey_date FROM h"
            f" WHERE {condition} ORDER BY village_code, grp, head_name",
            {"today": today},
        ):
            found.append({"rule": rule, **row})
    return found


# The two lists officials act on by name (see RED_FLAGS). A village report lists every
# household; a county roll-up the lowest incomes, its village reports the rest.
RED_FLAGS = {
    # 已脱贫 households below the line again: at risk of falling back (返贫风险).
    "relapse_risk": f"category IN {_POOR_SQL} AND status = 'out' AND income < :line",
    # Households outside the registered poor below the line: should be registered (应纳未纳).
    "unregistered_poor": "category = 'non_poor' AND income < :line",
}
COUNTY_RED_FLAG_LIMIT = 50


def _red_flags(conn: sqlite3.Connection, line: float, limit: int | None) -> dict[str, Any]:
    """Each red-flag list, lowest per-capita income first, with how many there are in all."""
    found: dict[str, Any] = {}
    for name, condition in RED_FLAGS.items():
        found[name] = _rows(
            conn,
            f"""SELECT h.village_code, v.name AS village_name, h.grp, h.head_name, h.members,
                       h.category, h.income, h.surveyor
            FROM h LEFT JOIN villages v ON v.code = h.village_code
            WHERE {condition}
            ORDER BY h.income, h.village_code, h.grp, h.head_name, h.household_id
            {"LIMIT " + str(int(limit)) if limit else ""}""",
            {"line": line},
        )
        found[name + "_total"] = _one(
            conn, f"SELECT count(*) FROM h WHERE {condition}", {"line": line}
        )
    return found


def _household_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = _rows(
        conn,
        """
        SELECT h.grp, h.head_name, h.members, h.category, h.status, h.main_cause,
               h.per_capita, h.dilapidation, h.floor_area, h.water_difficulty, h.water_safe,
               h.surveyor, h.survey_date, count(n.rid) AS needs,
               total(n.urgency = 'urgent') AS urgent,
               total(n.status IN ('solved', 'solved_on_spot')) AS solved
        FROM h LEFT JOIN n ON n.rid = h.rid
        GROUP BY h.rid ORDER BY h.head_name, h.household_id""",
    )
    return sorted(rows, key=lambda r: group_order(r["grp"]))


def _village_rows(conn: sqlite3.Connection, county: str, line: float) -> list[dict[str, Any]]:
    rows = _rows(
        conn,
        f"""
        SELECT v.code, v.name, v.township_code, v.township_name,
               v.households_registered AS registered, v.population_registered,
               count(h.rid) AS households, total(h.members) AS population,
               total(CASE WHEN {_still_poor("h")} THEN h.members END) AS poor_people,
               total(CASE WHEN h.income IS NOT NULL THEN h.net_income END) AS net_income,
               total(CASE WHEN h.income IS NOT NULL THEN h.members END) AS income_people,
               total(h.income < :line) AS below_line,
               total(h.floor_area > 0 AND h.dilapidation IN ('c', 'd')) AS dilapidated,
               total(h.water_difficulty = 1) AS water_difficulty,
               total({RED_FLAGS["relapse_risk"]}) AS relapse_risk,
               total({RED_FLAGS["unregistered_poor"]}) AS unregistered_poor
        FROM villages v LEFT JOIN h ON h.village_code = v.code
        WHERE v.county_code = :county GROUP BY v.code ORDER BY v.code""",
        {"county": county, "line": line},
    )
    needs = _village_needs(conn)
    none = {"needs": 0.0, "urgent": 0.0, "solved": 0.0, "open_urgent": 0.0}
    return [{**row, **needs.get(row["code"], none)} for row in rows]


def _village_needs(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Needs, urgent, solved and open urgent needs of each drawn village, by code."""
    rows = _rows(
        conn,
        f"""
        SELECT h.village_code AS code, count(*) AS needs, total(n.urgency = 'urgent') AS urgent,
               total(n.status IN ('solved', 'solved_on_spot')) AS solved,
               total(n.urgency = 'urgent'
                     AND coalesce(n.status, 'open') NOT IN {CLOSING_SQL}) AS open_urgent
        FROM n JOIN h ON h.rid = n.rid GROUP BY h.village_code""",
    )
    return {row.pop("code"): {k: float(v) for k, v in row.items()} for row in rows}


def _township_rows(conn: sqlite3.Connection, county: str) -> list[dict[str, Any]]:
    return _rows(
        conn,
        """
        WITH surveyed AS (SELECT village_code, count(*) AS k FROM h GROUP BY village_code)
        SELECT v.township_code, v.township_name, count(*) AS villages,
               count(surveyed.k) AS villages_surveyed, total(surveyed.k) AS households,
               sum(v.households_registered) AS registered
        FROM villages v LEFT JOIN surveyed ON surveyed.village_code = v.code
        WHERE v.county_code = ? GROUP BY v.township_code ORDER BY v.township_code""",
        (county,),
    )


# ---------------------------------------------------------------- reports


def _labels_for(conn: sqlite3.Connection, versions: list[int]) -> Labels:
    """Labels of the newest form version the drawn answers used (or the newest published)."""
    row = conn.execute(
        "SELECT schema FROM form_versions WHERE form_id = 'household'"
        " AND (? IS NULL OR version = ?) ORDER BY version DESC LIMIT 1",
        (max(versions) if versions else None, max(versions) if versions else None),
    ).fetchone()
    return with_followups(labels_from_schema(json.loads(row[0])) if row else Labels())


def _place(conn: sqlite3.Connection, scope: Scope) -> dict[str, Any] | None:
    if scope.kind == "village":
        rows = _rows(conn, "SELECT * FROM villages WHERE code = ?", (scope.code,))
        return rows[0] if rows else None
    rows = _rows(
        conn,
        "SELECT county_code, county_name, city_name,"
        " sum(households_registered) AS households_registered,"
        " count(households_registered) = count(*) AS registered_complete,"
        " sum(population_registered) AS population_registered,"
        " count(*) - count(population_registered) AS population_unknown"
        " FROM villages WHERE county_code = ? GROUP BY county_code",
        (scope.code,),
    )
    return rows[0] if rows else None


def build_report(
    db_path: Path,
    scope: Scope,
    period: Period,
    poverty_line: float,
    *,
    today: date | None = None,
    overdue_days: dict[str, int] | None = None,
) -> Report:
    """The figures of a village report or county roll-up; needs are overdue after
    `overdue_days` by urgency (reports.ledger.OVERDUE_DAYS unless given).

    Raises UnknownScope when the villages table does not know the code.
    """
    conn = connect_readonly(db_path)
    try:
        place = _place(conn, scope)
        if place is None:
            raise UnknownScope(f"{scope.kind} {scope.code}")
        drawn = draw(conn, scope, period)
        where, params = scope_where(scope, period)
        in_period = _one(conn, f"SELECT count(*) FROM submissions WHERE {where}", params)
        versions = [
            v for (v,) in conn.execute("SELECT DISTINCT form_version FROM h ORDER BY form_version")
        ]
        labels = _labels_for(conn, versions)
        registered = place.get("households_registered")
        if scope.kind == "county" and not place.get("registered_complete"):
            registered = None  # a partial sum would overstate coverage
        # Never a partial or made-up denominator: unknown unless every village has it.
        population = place.get("population_registered")
        missing: str | int | None = None
        if scope.kind == "village" and population is None:
            missing = "village"
        elif scope.kind == "county" and place["population_unknown"]:
            population, missing = None, int(place["population_unknown"])
        counted_to = as_of(period, today).isoformat()
        figures = indicators(
            conn,
            labels,
            poverty_line,
            registered,
            in_period,
            counted_to,
            population_registered=population,
            population_missing=missing,
            overdue_days=overdue_days,
        )
        span = conn.execute("SELECT min(survey_date), max(survey_date) FROM h").fetchone()
        report = Report(
            kind=scope.kind,
            code=scope.code,
            name=place["name"] if scope.kind == "village" else place["county_name"],
            place={k: str(v) for k, v in place.items() if k.endswith("_name")},
            period=period,
            poverty_line=poverty_line,
            drawn=drawn,
            submissions_in_period=in_period,
            survey_span=(span[0], span[1]),
            form_versions=versions,
            labels=labels,
            figures=figures,
            generated_at=datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
        )
        report.previous_period = period.before()
        if report.previous_period is not None:
            draw_households(
                conn, scope, report.previous_period, "hp", fields=HEADLINE_FIELDS, json_fields=()
            )
            report.previous = headline(conn, poverty_line, registered, population, "hp")
        today_iso = (today or date.today()).isoformat()
        report.overdue_needs = overdue_needs(conn, counted_to, overdue_days=overdue_days)
        if scope.kind == "village":
            report.households = _household_rows(conn)
            report.urgent_needs = urgent_needs(conn, counted_to)
            report.quality = _quality(conn, today_iso)
            report.red_flags = _red_flags(conn, poverty_line, None)
            report.photos = house_photos(conn)
        else:
            report.red_flags = _red_flags(conn, poverty_line, COUNTY_RED_FLAG_LIMIT)
            report.urgent_needs = urgent_needs(conn, counted_to, URGENT_LIST_LIMIT)
            report.villages = _village_rows(conn, scope.code, poverty_line)
            report.townships = _township_rows(conn, scope.code)
            report.quality = _quality(conn, today_iso)
        return report
    finally:
        conn.close()
