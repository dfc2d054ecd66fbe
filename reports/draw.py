"""Drawing a period: the latest accepted answer of each household, as flat tables.

Every figure of a report comes from the same drawn set, so a person recounting
the raw answers gets the same numbers: for each roster household (its id,
whoever its head is) the current answer (one not corrected since, and not
rejected by an official's review) with the latest survey date (then the latest
received) among those in the scope and date range. Every stored submission
passed the schema and the form's rules when it arrived; an answer an official
rejected is left out, and its household counts its latest answer that is not.

A household's needs are the items of its ledger (server/needs_sync.py), not the
list in one answer: an item outlives the answers that listed it, so surveying a
household again does not reopen what was solved. The drawn households' items
live in the period -- raised by its end, and not closed before its start and left
alone since -- are drawn with their status on the period's last day, from their
steps up to that day.

`per_capita` is the stored per-capita income, rounded to 0.01 yuan as it is
shown; `income` is the same unrounded (net income / members), which is what
the poverty line is tested against: 2,951.996 is below a 2,952 line.

The drawn answers are flattened once into TEMP tables (`h` households, `m`
members, `n` needs) on a read-only connection; the figures are then plain
GROUP BY queries. SQLite 3.40 re-parses a JSON document on every
`json_extract`, so each document is parsed once with a multi-path extract and
its small result is split into columns.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

FORM_ID = "household"
# A need's follow-up statuses that close it (see reports.labels.CLOSING_STATUSES).
CLOSING_SQL = "('solved_on_spot', 'solved', 'cannot_solve')"

# (column, JSON path in the answer); fields are read by name, so their order is free.
HOUSEHOLD_FIELDS = (
    ("status", "$.household.status"),
    ("head_name", "$.household.head_name"),
    ("grp", "$.household.group"),
    ("surveyor", "$.survey.surveyor"),
    ("surveyor_unit", "$.survey.surveyor_unit"),
    ("wages", "$.income.wages"),
    ("business_income", "$.income.business_income"),
    ("business_expense", "$.income.business_expense"),
    ("property_income", "$.income.property_income"),
    ("t_dibao", "$.income.transfers.dibao"),
    ("t_pension", "$.income.transfers.pension"),
    ("t_eco", "$.income.transfers.eco_compensation"),
    ("t_other", "$.income.transfers.other"),
    ("cultivated_land", "$.production.cultivated_land"),
    ("irrigated_land", "$.production.irrigated_land"),
    ("floor_area", "$.living.floor_area"),
    ("structure", "$.living.structure"),
    ("dilapidation", "$.living.dilapidation"),
    ("water_source", "$.living.water_source"),
    ("water_difficulty", "$.living.water_difficulty"),
    ("water_safe", "$.living.water_safe"),
    ("electricity", "$.living.electricity"),
    ("road", "$.living.road"),
    ("sanitary_toilet", "$.living.sanitary_toilet"),
    ("enough_food", "$.living.enough_food"),
    ("enough_clothing", "$.living.enough_clothing"),
    ("dropout", "$.living.dropout"),
    ("main_cause", "$.causes.main_cause"),
)
# JSON arrays kept as JSON text (-> rather than ->>).
HOUSEHOLD_JSON_FIELDS = (("other_causes", "$.causes.other_causes"),)

MEMBER_FIELDS = (
    ("sex", "$.sex"),
    ("birth_date", "$.birth_date"),
    ("relation", "$.relation"),
    ("ethnicity", "$.ethnicity"),
    ("education", "$.education"),
    ("schooling", "$.schooling"),
    ("health", "$.health"),
    ("disability_type", "$.disability_type"),
    ("labour", "$.labour"),
    ("migrant_work", "$.migrant_work"),
    ("migrant_months", "$.migrant_months"),
    ("medical_insurance", "$.medical_insurance"),
    ("critical_insurance", "$.critical_insurance"),
    ("pension", "$.pension"),
    ("dibao", "$.dibao"),
)


@dataclass(frozen=True)
class Period:
    """Survey dates from `start` to `end`, both inclusive; None is open-ended."""

    start: date | None = None
    end: date | None = None

    def params(self) -> tuple[str | None, str | None]:
        return (
            self.start.isoformat() if self.start else None,
            self.end.isoformat() if self.end else None,
        )

    def before(self) -> Period | None:
        """The period of the same length just before this one; None unless both ends are set."""
        if self.start is None or self.end is None:
            return None
        length = self.end - self.start + timedelta(days=1)
        return Period(self.start - length, self.start - timedelta(days=1))


@dataclass(frozen=True)
class Scope:
    """A village (12-digit code) or a county (its first 6 digits)."""

    kind: str  # "village" | "county"
    code: str

    @property
    def column(self) -> str:
        return "village_code" if self.kind == "village" else "county_code"


def connect_readonly(db_path: Path) -> sqlite3.Connection:
    """A read-only connection; TEMP tables still work (they live in their own database)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


def scope_where(scope: Scope, period: Period, alias: str = "") -> tuple[str, list[object]]:
    """The WHERE clause selecting every submission of a scope and period."""
    p = f"{alias}." if alias else ""
    start, end = period.params()
    # Each household's current answers only: linked to the roster, not corrected since,
    # not rejected.
    sql = (
        f"{p}form_id = ? AND {p}{scope.column} = ?"
        f" AND {p}household_id IS NOT NULL AND {p}corrected_by IS NULL"
        f" AND {p}id NOT IN (SELECT submission_id FROM rejected_answers)"
    )
    params: list[object] = [FORM_ID, scope.code]
    # Only the ends that are set: "(? IS NULL OR survey_date >= ?)" kept SQLite from
    # reading the date range off the index, and every answer's JSON was parsed for it.
    if start is not None:
        sql += f" AND {p}survey_date >= ?"
        params.append(start)
    if end is not None:
        sql += f" AND {p}survey_date <= ?"
        params.append(end)
    return sql, params


def place_range(scope: Scope) -> tuple[str, str]:
    """The village codes of a scope, as a range: code >= low AND code < high."""
    return scope.code, scope.code + ":"  # ':' sorts just after '9'


def fingerprint_row(conn: sqlite3.Connection, scope: Scope, period: Period) -> tuple[object, ...]:
    """What a cached report is keyed by: its submissions, their needs, reviews and the day.

    (count, max received_at, sum of rowids) of the scope's submissions, from the
    index; any new, resent-but-different or removed submission changes it, and so
    does a new step on a need, a need's changed item, a review, or a new day, so a
    cached report keyed by it is never stale.
    """
    where, params = scope_where(scope, period)
    row = conn.execute(
        f"SELECT count(*), max(received_at), total(rowid) FROM submissions WHERE {where}", params
    ).fetchone()
    # Steps and reviews are only ever added, so their count and newest id show any
    # change; an item changes with the answers that list it (updated_at).
    low, high = place_range(scope)
    needs = conn.execute(
        "SELECT count(*), max(n.updated_at),"
        " (SELECT count(*) FROM need_steps s JOIN needs i ON i.id = s.need_id"
        "  WHERE i.village_code >= :low AND i.village_code < :high),"
        " (SELECT max(s.id) FROM need_steps s JOIN needs i ON i.id = s.need_id"
        "  WHERE i.village_code >= :low AND i.village_code < :high),"
        " (SELECT count(*) || ':' || max(r.id) FROM answer_reviews r"
        "  JOIN submissions s ON s.id = r.submission_id"
        "  WHERE s.village_code >= :low AND s.village_code < :high)"
        " FROM needs n WHERE n.village_code >= :low AND n.village_code < :high",
        {"low": low, "high": high},
    ).fetchone()
    # Days open and overdue needs are counted to this day.
    return (*row, *needs, as_of(period).isoformat())


def as_of(period: Period, today: date | None = None) -> date:
    """The day a report counts needs' days open to: the period's end, or today if sooner."""
    today = today or date.today()
    return min(period.end, today) if period.end else today


def _split(
    source: str,
    fields: tuple[tuple[str, str], ...],
    json_fields: tuple[tuple[str, str], ...] = (),
) -> tuple[str, str]:
    """(one json_extract of every field's path out of `source`, giving an array, and the
    column list splitting that array)."""
    paths = [p for _, p in fields + json_fields]
    extract = f"json_extract({source}, " + ", ".join(f"'{p}'" for p in paths) + ")"
    if len(paths) == 1:  # one path gives the bare value, not an array of one
        extract = f"json_array({extract})"
    columns = [f"{_field(fields, name)} AS {name}" for name, _ in fields]
    columns += [f"x -> '$[{len(fields) + i}]' AS {name}" for i, (name, _) in enumerate(json_fields)]
    return extract, ", ".join(columns)


def _field(fields: tuple[tuple[str, str], ...], name: str) -> str:
    """The SQL reading field `name` out of the array `x` that `_split`'s extract made."""
    index = [n for n, _ in fields].index(name)
    return f"(x ->> '$[{index}]')"


# What the earlier period a report compares with needs of each household's answer.
HEADLINE_FIELDS = (("status", "$.household.status"),)


def draw_households(
    conn: sqlite3.Connection,
    scope: Scope,
    period: Period,
    table: str = "h",
    fields: tuple[tuple[str, str], ...] = HOUSEHOLD_FIELDS,
    json_fields: tuple[tuple[str, str], ...] = HOUSEHOLD_JSON_FIELDS,
) -> int:
    """Fill TEMP table `table` with the scope's drawn households, one column per field
    besides the stored ones; returns how many. The earlier period a report compares
    with is drawn this way too, with HEADLINE_FIELDS only."""
    conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    where, params = scope_where(scope, period)
    h_extract, h_columns = _split("s.answers", fields, json_fields)
    # `latest` takes only columns the report index holds, so choosing each household's
    # answer parses no JSON; only the answers chosen are then read for it.
    conn.execute(
        f"""CREATE TEMP TABLE {table} AS
        WITH latest AS MATERIALIZED (
            SELECT rid, village_code, household_id, survey_date, received_at, category,
                   per_capita, members
            FROM (
                SELECT rowid AS rid, village_code, household_id, survey_date, received_at,
                       household_category AS category, per_capita_income AS per_capita,
                       member_count AS members,
                       row_number() OVER (
                           PARTITION BY household_id
                           ORDER BY survey_date DESC, received_at DESC, rowid DESC) AS n
                FROM submissions WHERE {where})
            WHERE n = 1),
        staged AS MATERIALIZED (
            SELECT latest.*, s.form_version,
                   json_extract(s.derived, '$.net_income') AS net_income,
                   {h_extract} AS x
            FROM latest JOIN submissions s ON s.rowid = latest.rid)
        SELECT rid, village_code, household_id, survey_date, received_at, form_version,
               category, per_capita, members, net_income,
               CASE WHEN per_capita IS NOT NULL THEN net_income * 1.0 / members END AS income,
               {h_columns}
        FROM staged""",
        params,
    )
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# Each drawn need's description and urgency as last listed by the period's end (by a
# current answer), its status then (its latest step up to that day; NULL: none yet),
# the unit it was last referred to, the first day a step closed it, and the
# satisfaction of the latest closing step: recounted from listings and steps ...
_STEPS = "FROM need_steps s WHERE s.need_id = n.id AND s.happened_on <= :end"
_LATEST = "ORDER BY s.happened_on DESC, s.id DESC LIMIT 1"
_LISTED = (
    "FROM need_listings l JOIN submissions a ON a.id = l.submission_id"
    " WHERE l.need_id = n.id AND a.corrected_by IS NULL AND l.listed_on <= :end"
    " ORDER BY l.listed_on DESC, a.received_at DESC, a.rowid DESC LIMIT 1"
)
_AS_OF = f"""
    (SELECT l.description {_LISTED}) AS description, (SELECT l.urgency {_LISTED}) AS urgency,
    (SELECT s.status {_STEPS} {_LATEST}) AS status,
    (SELECT s.happened_on {_STEPS} {_LATEST}) AS status_on,
    (SELECT s.responsible_unit {_STEPS} AND s.responsible_unit IS NOT NULL {_LATEST}) AS unit,
    (SELECT min(s.happened_on) {_STEPS} AND s.status IN {CLOSING_SQL}) AS closed_on,
    (SELECT s.satisfaction {_STEPS} AND s.status IN {CLOSING_SQL} {_LATEST}) AS satisfaction"""
# ... or, for a period without an end, read from the item, which the code storing each
# step and answer keeps equal to the same recount up to today (server/needs.py standing,
# server/needs_sync.py; tests/reports recount both ways): a county reads 50,000 needs.
_NOW = """
    n.description, n.urgency, CASE WHEN n.steps > 0 THEN n.status END AS status,
    n.status_on, n.responsible_unit AS unit, n.closed_on, n.satisfaction"""


def draw(conn: sqlite3.Connection, scope: Scope, period: Period) -> int:
    """Fill TEMP tables h, m, n with the scope's drawn households and their needs;
    returns how many households."""
    for table in ("m", "n"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    drawn = draw_households(conn, scope, period)
    m_extract, m_columns = _split("j.value", MEMBER_FIELDS)
    birth_date = _field(MEMBER_FIELDS, "birth_date")
    conn.execute(
        f"""CREATE TEMP TABLE m AS
        WITH staged AS MATERIALIZED (
            SELECT h.rid, h.survey_date, j.key AS idx, {m_extract} AS x
            FROM h JOIN submissions s ON s.rowid = h.rid, json_each(s.answers, '$.members') j)
        SELECT rid, idx, {m_columns},
               CAST(strftime('%Y', survey_date) AS INTEGER)
                 - CAST(strftime('%Y', {birth_date}) AS INTEGER)
                 - (strftime('%m-%d', survey_date) < strftime('%m-%d', {birth_date})) AS age
        FROM staged"""
    )
    conn.execute(
        f"""CREATE TEMP TABLE n AS
        WITH i AS MATERIALIZED (
            SELECT h.rid, n.id AS need_id, n.category, n.item, n.raised_on, n.cadre_id,
                   {_AS_OF if period.end else _NOW}
            FROM h JOIN needs n ON n.household_id = h.household_id
            WHERE n.withdrawn_by IS NULL AND (:end IS NULL OR n.raised_on <= :end))
        SELECT i.*, u.name AS cadre_name FROM i LEFT JOIN users u ON u.id = i.cadre_id
        -- closed before the period began, and nothing done since: not the period's
        WHERE NOT (:start IS NOT NULL AND i.status IN {CLOSING_SQL} AND i.status_on < :start)""",
        {"start": period.params()[0], "end": period.params()[1]},
    )
    conn.execute("CREATE INDEX temp.m_rid ON m(rid)")
    conn.execute("CREATE INDEX temp.n_rid ON n(rid)")
    return drawn


_NUMERALS = {c: i for i, c in enumerate("零一二三四五六七八九十")}


def group_order(group: str | None) -> tuple[int, str]:
    """Village groups in their natural order: 一组, 二组 ... 十二组, then anything else."""
    text = group or ""
    digits = "".join(c for c in text if c.isdigit())
    if digits:
        return int(digits), text
    value, seen = 0, False
    for c in text:
        if c not in _NUMERALS:
            break
        seen = True
        n = _NUMERALS[c]
        value = (value or 1) * 10 if n == 10 else value + n
    return (value if seen else 10_000), text
