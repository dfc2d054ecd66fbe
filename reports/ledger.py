"""The needs ledger (需求台账): what became of the needs households raised.

Each drawn need (TEMP table `n`, see `reports.draw`) carries its status on the
period's last day -- its latest follow-up up to that day -- and the first day a
step closed it. A need nobody has followed up yet counts as open (待办), and the
ledger says how many those are, so "open" is never invented silently.

A need is overdue when it is still not closed (open, referred or in progress)
longer after the survey than its urgency allows: urgent needs 30 days, normal
needs 90 days; long-term needs have no deadline. Days are counted from the
survey date to the report's as-of day (the period's end, or today if sooner).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from reports.draw import CLOSING_SQL
from reports.labels import FOLLOWUP_STATUSES, SOLVED_STATUSES, Labels

# Urgency -> days a need may stay open after the survey before it is overdue.
OVERDUE_DAYS = {"urgent": 30, "normal": 90}
OVERDUE_LIST_LIMIT = 50
STATUS = "coalesce(n.status, 'open')"
_SOLVED_SQL = "(" + ", ".join(f"'{s}'" for s in SOLVED_STATUSES) + ")"
_DAYS_OPEN = "CAST(julianday(:as_of) - julianday(h.survey_date) AS INTEGER)"
_OVERDUE = (
    f"{STATUS} NOT IN {CLOSING_SQL} AND ("
    + " OR ".join(
        f"(n.urgency = '{u}' AND {_DAYS_OPEN} > {days})" for u, days in OVERDUE_DAYS.items()
    )
    + ")"
)


def ledger(conn: sqlite3.Connection, labels: Labels, as_of: str) -> dict[str, Any]:
    """Needs by category x status, resolution rate, mean days to close, overdue count."""
    statuses = [code for code, _, _ in FOLLOWUP_STATUSES]
    matrix = {
        (c, s): k
        for c, s, k in conn.execute(f"SELECT n.category, {STATUS}, count(*) FROM n GROUP BY 1, 2")
    }
    categories = labels.codes("needs.category")
    categories += sorted({c for c, _ in matrix if c not in categories and c is not None})
    by_status = [(c, [matrix.get((c, s), 0) for s in statuses]) for c in categories]
    total, followed_up, solved, closed, mean_days = conn.execute(
        f"""SELECT count(*), count(n.status), total({STATUS} IN {_SOLVED_SQL}),
                   total({STATUS} IN {CLOSING_SQL}),
                   avg(CASE WHEN {STATUS} IN {CLOSING_SQL}
                       THEN julianday(n.closed_on) - julianday(h.survey_date) END)
            FROM n JOIN h ON h.rid = n.rid"""
    ).fetchone()
    satisfaction = dict(
        conn.execute(
            f"""SELECT f.satisfaction, count(*) FROM n JOIN h ON h.rid = n.rid
            JOIN submissions s ON s.rowid = n.rid
            JOIN need_followups f ON f.id = (
                SELECT g.id FROM need_followups g
                WHERE g.submission_id = s.id AND g.need_index = n.idx
                  AND g.happened_on <= :as_of AND g.status IN {CLOSING_SQL}
                ORDER BY g.happened_on DESC, g.id DESC LIMIT 1)
            WHERE {STATUS} IN {CLOSING_SQL} GROUP BY 1""",
            {"as_of": as_of},
        ).fetchall()
    )
    return {
        "statuses": statuses,
        "by_status": by_status,
        "status_totals": [sum(row[i] for _, row in by_status) for i in range(len(statuses))],
        "without_followup": int(total) - int(followed_up),
        "solved": int(solved),
        "closed": int(closed),
        "resolution_rate": (int(solved), int(total)),
        "mean_days_to_close": mean_days,
        "satisfaction": satisfaction,
        "overdue": int(
            conn.execute(
                f"SELECT count(*) FROM n JOIN h ON h.rid = n.rid WHERE {_OVERDUE}",
                {"as_of": as_of},
            ).fetchone()[0]
        ),
        "overdue_days": OVERDUE_DAYS,
        "as_of": as_of,
    }


def overdue_needs(
    conn: sqlite3.Connection, as_of: str, limit: int = OVERDUE_LIST_LIMIT
) -> list[dict[str, Any]]:
    """The `limit` overdue needs open longest, with household, cadre and days open."""
    cursor = conn.execute(
        f"""SELECT h.grp, h.head_name, h.surveyor, h.survey_date, n.category, n.item,
                   n.urgency, {STATUS} AS status, {_DAYS_OPEN} AS days_open
        FROM n JOIN h ON h.rid = n.rid WHERE {_OVERDUE}
        ORDER BY days_open DESC, h.village_code, h.grp, h.head_name, n.idx LIMIT :limit""",
        {"as_of": as_of, "limit": limit},
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
