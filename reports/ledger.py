"""The needs ledger (需求台账): what became of the needs households raised.

Each drawn need (TEMP table `n`, see `reports.draw`) is an item of its household's
ledger, with its status on the period's last day -- its latest step up to that day
-- the unit it was referred to, and the first day a step closed it. A need nobody
has worked on yet counts as open (待办), and the ledger says how many those are,
so "open" is never invented silently.

A need is overdue when it is still not closed (open, referred or in progress)
longer after the survey that raised it than its urgency allows (the settings
MINSHENG_OVERDUE_URGENT_DAYS and MINSHENG_OVERDUE_NORMAL_DAYS, 30 and 90 days by
default); long-term needs have no deadline. Days are counted from the survey that
raised the need to the report's as-of day (the period's end, or today if sooner).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from reports.draw import CLOSING_SQL
from reports.labels import FOLLOWUP_STATUSES, SOLVED_STATUSES, Labels

# Urgency -> days a need may stay open after the survey before it is overdue.
OVERDUE_DAYS = {"urgent": 30, "normal": 90}
OVERDUE_LIST_LIMIT = 50
URGENT_LIST_LIMIT = 50  # in a county roll-up; a village report lists all of them
STATUS = "coalesce(n.status, 'open')"
_SOLVED_SQL = "(" + ", ".join(f"'{s}'" for s in SOLVED_STATUSES) + ")"
DAYS_OPEN = "CAST(julianday(:as_of) - julianday(n.raised_on) AS INTEGER)"


def overdue_sql(overdue_days: dict[str, int]) -> tuple[str, dict[str, Any]]:
    """The SQL condition "need `n` is overdue on :as_of", with its parameters."""
    terms, params = [], {}
    for i, (urgency, days) in enumerate(sorted(overdue_days.items())):
        terms.append(f"(n.urgency = :urgency{i} AND {DAYS_OPEN} > :days{i})")
        params.update({f"urgency{i}": urgency, f"days{i}": int(days)})
    condition = " OR ".join(terms) or "0"
    return f"({STATUS} NOT IN {CLOSING_SQL} AND ({condition}))", params


def ledger(
    conn: sqlite3.Connection,
    labels: Labels,
    as_of: str,
    overdue_days: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Needs by category x status, resolution rate, mean days to close, overdue count."""
    overdue_days = OVERDUE_DAYS if overdue_days is None else overdue_days
    statuses = [code for code, _, _ in FOLLOWUP_STATUSES]
    matrix = {
        (c, s): k
        for c, s, k in conn.execute(f"SELECT n.category, {STATUS}, count(*) FROM n GROUP BY 1, 2")
    }
    categories = labels.codes("needs.category")
    categories += sorted({c for c, _ in matrix if c not in categories and c is not None})
    by_status = [(c, [matrix.get((c, s), 0) for s in statuses]) for c in categories]
    total, worked_on, solved, closed, mean_days = conn.execute(
        f"""SELECT count(*), count(n.status), total({STATUS} IN {_SOLVED_SQL}),
                   total({STATUS} IN {CLOSING_SQL}),
                   avg(CASE WHEN {STATUS} IN {CLOSING_SQL}
                       THEN julianday(n.closed_on) - julianday(n.raised_on) END)
            FROM n"""
    ).fetchone()
    satisfaction = dict(
        conn.execute(
            f"SELECT n.satisfaction, count(*) FROM n WHERE {STATUS} IN {CLOSING_SQL} GROUP BY 1"
        ).fetchall()
    )
    overdue, params = overdue_sql(overdue_days)
    return {
        "statuses": statuses,
        "by_status": by_status,
        "status_totals": [sum(row[i] for _, row in by_status) for i in range(len(statuses))],
        "without_followup": int(total) - int(worked_on),
        "solved": int(solved),
        "closed": int(closed),
        "resolution_rate": (int(solved), int(total)),
        "mean_days_to_close": mean_days,
        "satisfaction": satisfaction,
        "overdue": int(
            conn.execute(
                f"SELECT count(*) FROM n WHERE {overdue}", {"as_of": as_of, **params}
            ).fetchone()[0]
        ),
        "overdue_days": overdue_days,
        "as_of": as_of,
    }


# What a listed need says: where, whose, what, how urgent, where it stands and since when.
_LISTED = f"""
SELECT h.village_code, v.name AS village_name, h.grp, h.head_name,
       coalesce(n.cadre_name, h.surveyor) AS cadre, n.raised_on, n.category, n.item,
       n.description, n.urgency, {STATUS} AS status, n.unit, {DAYS_OPEN} AS days_open
FROM n JOIN h ON h.rid = n.rid LEFT JOIN villages v ON v.code = h.village_code"""


def _rows(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def overdue_needs(
    conn: sqlite3.Connection,
    as_of: str,
    limit: int = OVERDUE_LIST_LIMIT,
    overdue_days: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """The `limit` overdue needs open longest, with village, household, cadre, unit,
    status and days open."""
    overdue, params = overdue_sql(OVERDUE_DAYS if overdue_days is None else overdue_days)
    return _rows(
        conn,
        f"""{_LISTED} WHERE {overdue}
        ORDER BY days_open DESC, h.village_code, h.grp, h.head_name, n.need_id LIMIT :limit""",
        {"as_of": as_of, "limit": limit, **params},
    )


def urgent_needs(
    conn: sqlite3.Connection, as_of: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """Urgent needs not closed: in a village, all of them, oldest first; with a `limit`
    (a county), the `limit` open longest."""
    order = "days_open DESC, h.village_code" if limit else "n.raised_on, h.grp"
    return _rows(
        conn,
        f"""{_LISTED} WHERE n.urgency = 'urgent' AND {STATUS} NOT IN {CLOSING_SQL}
        ORDER BY {order}, h.head_name, n.need_id LIMIT :limit""",
        {"as_of": as_of, "limit": limit if limit else -1},
    )
