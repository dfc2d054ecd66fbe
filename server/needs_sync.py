"""Keeping a household's needs ledger in step with its answers (一件事一件事地落实).

Each need an answer lists (in the arrays its form marks `"x-needs": true`) is an
item of the household's ledger, followed until it is closed. When an answer is
stored, `sync_needs` runs inside the same write transaction (a plain function on
the writer's sqlite3 connection, as the answer's own write is: see
server/submissions.py) and matches the needs it lists to the household's items, by
category and item:

1. an answer that corrects another continues the items the corrected one listed
   (in the order listed), whatever their status: it describes the same visit;
2. else an open item (待办, 已转办, 办理中) continues, the oldest first;
3. else a closed item continues when the household's previous answer listed it:
   the need was carried over, not raised anew, so a household surveyed again with
   its solved needs written down once more keeps them solved. The cadre is asked
   whether it is still solved (attention `listed_again`);
4. else the need opens a new item.

A continued item keeps its history: each answer listing it is a row of
need_listings with the description and urgency written then, and the item shows
the latest. An open item the household's latest answer does not list stays open
and is marked `not_listed` so the cadre is asked: closed, or still open? An item
only the corrected answer listed, and nobody worked on, is withdrawn with it.

An answer that arrives after a later one of the same household (a phone that was
offline for weeks) is history: its needs are matched and listed, they change
neither what the items show nor whom to ask.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from forms.needs import ListedNeed, listed_needs, needs_fields
from server import audit
from server.db import now_iso, rows
from server.form_versions import FormVersion

CLOSING = ("solved_on_spot", "solved", "cannot_solve")
_CLOSING_SQL = "('solved_on_spot', 'solved', 'cannot_solve')"


@dataclass(frozen=True)
class Held:
    """An item of the household's ledger, as matching needs to see it."""

    id: int
    category: str
    item: str
    closed: bool
    raised_on: str
    last_listed_in: str
    corrected_path: str | None = None  # where the answer being corrected listed it
    asked_again: bool = False  # that answer carried it over closed (its cadre was asked)
    attention: str | None = None  # what its cadre is asked about it now

    @property
    def key(self) -> tuple[str, str]:
        return self.category, self.item


@dataclass
class Matched:
    """What matching decided: per listed need the item it continues (None: a new one)."""

    items: list[int | None] = field(default_factory=list)
    listed_again: set[int] = field(default_factory=set)  # closed items carried over (rule 3)


def match(
    listed: Sequence[ListedNeed],
    held: Sequence[Held],
    *,
    previous: str | None,
    late_on: str | None = None,
) -> Matched:
    """Match the needs an answer lists to the household's items (the rules above).

    `previous` is the household's answer before this one; `late_on` is this
    answer's survey date when a later answer exists (then a closed item raised
    by that day may continue too, as history).
    """
    taken: set[int] = set()
    found = Matched()
    corrected = sorted(
        (h for h in held if h.corrected_path), key=lambda h: _order(h.corrected_path)
    )
    opened = sorted((h for h in held if not h.closed), key=lambda h: (h.raised_on, h.id))
    carried = [h for h in held if h.closed and h.last_listed_in == previous]
    history = sorted(
        (h for h in held if h.closed and late_on is not None and h.raised_on <= late_on),
        key=lambda h: (h.raised_on, h.id),
        reverse=True,
    )
    for need in listed:
        chosen: Held | None = None
        for rank, pool in enumerate((corrected, opened, carried, history)):
            chosen = next((h for h in pool if h.key == need.key and h.id not in taken), None)
            if chosen is not None:
                if late_on is None and (rank == 2 or (rank == 0 and chosen.asked_again)):
                    found.listed_again.add(chosen.id)
                break
        if chosen is not None:
            taken.add(chosen.id)
        found.items.append(chosen.id if chosen else None)
    return found


def _order(path: str | None) -> tuple[str, int]:
    """/needs/10 after /needs/9: the array's name, then the index as a number."""
    head, _, index = (path or "").rpartition("/")
    return head, int(index) if index.isdigit() else -1


# ---------------------------------------------------------------- which arrays are needs

_FIELDS: dict[str, tuple[str, ...]] = {}  # schema hash -> its needs arrays


def _fields_of(schema_hash: str, schema: dict[str, Any]) -> tuple[str, ...]:
    found = _FIELDS.get(schema_hash)
    if found is None:
        if len(_FIELDS) >= 256:
            _FIELDS.clear()
        found = _FIELDS[schema_hash] = needs_fields(schema)
    return found


def answer_needs_fields(
    conn: sqlite3.Connection, form_id: str, version: int, schema_hash: str, schema: dict[str, Any]
) -> tuple[str, ...]:
    """The arrays holding needs in an answer to this version.

    Those the version declares; a version published before its form declared any
    (the household form before x-needs existed) is read with the declaration of
    the form's newest version that has one, so the answers of phones still on it
    are followed up too.
    """
    declared = _fields_of(schema_hash, schema)
    if declared:
        return declared
    newer = rows(
        conn,
        "SELECT version, schema_hash FROM form_versions WHERE form_id = ? AND version > ?"
        " ORDER BY version DESC",
        (form_id, version),
    )
    for row in newer:
        fields = _FIELDS.get(row["schema_hash"])
        if fields is None:
            text = rows(
                conn,
                "SELECT schema FROM form_versions WHERE form_id = ? AND version = ?",
                (form_id, row["version"]),
            )
            fields = _fields_of(row["schema_hash"], json.loads(text[0]["schema"]))
        if fields:
            return fields
    return ()


# ---------------------------------------------------------------- the sync


def sync_needs(
    conn: sqlite3.Connection, form: FormVersion, stored: Any, actor: audit.Actor | str
) -> None:
    """Match the needs of the answer just stored (`stored`, its row, an answer to `form`)
    to its household's items, inside the transaction that stores it (module's rules).

    A plain function of the writer's connection, run by the answer's own write
    (Database.write_now): an error here rolls the answer back with it."""
    fields = answer_needs_fields(conn, form.form_id, form.version, form.schema_hash, form.schema)
    if not fields:
        return
    household_id, village_code = stored["household_id"], stored["village_code"]
    if household_id is None and village_code is None:
        return  # about nobody the ledger knows: cannot be followed up
    listed = listed_needs(json.loads(stored["answers"]), fields)
    listed_on = stored["survey_date"] or stored["received_at"][:10]
    corrects = stored["corrects"]
    held = _held(conn, household_id, village_code, stored["form_id"], corrects)
    if not listed and not held:
        return
    previous, later = _before(conn, stored, listed_on)
    matched = match(listed, held, previous=previous, late_on=listed_on if later else None)
    now = now_iso()
    cadre = (
        paired_cadre(conn, household_id, village_code, stored["submitted_by"]) if listed else None
    )

    opened: list[int] = []
    for index, need in enumerate(listed):
        if matched.items[index] is None:
            new = rows(
                conn,
                "INSERT INTO needs (household_id, village_code, form_id, category, item,"
                " description, urgency, raised_on, raised_by, raised_in, last_listed_in,"
                " last_listed_on, cadre_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    household_id,
                    village_code,
                    stored["form_id"],
                    need.category,
                    need.item,
                    need.description,
                    need.urgency,
                    listed_on,
                    stored["submitted_by"],
                    stored["id"],
                    stored["id"],
                    listed_on,
                    cadre,
                    now,
                    now,
                ),
            )
            matched.items[index] = new[0]["id"]
            opened.append(new[0]["id"])
    conn.executemany(
        "INSERT INTO need_listings (need_id, submission_id, path, listed_on, description,"
        " urgency) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (item, stored["id"], need.path, listed_on, need.description, need.urgency)
            for item, need in zip(matched.items, listed, strict=True)
        ],
    )
    continued = [i for i in matched.items if i is not None and i not in opened]
    touched = {*continued, *(h.id for h in held if h.corrected_path)}
    withdrawn = _refresh(conn, touched, stored["id"], now)
    asked: dict[str, list[int]] = {}
    if not later:
        if cadre is not None and continued:
            _set_cadre(conn, continued, cadre, now)
        asked = _ask(conn, stored, matched, held, now)
    if opened or continued or withdrawn or any(asked.values()):
        audit.record_now(
            conn,
            actor,
            "need.sync",
            f"submission:{stored['id']}",
            opened=opened,
            continued=continued,
            withdrawn=withdrawn,
            **{k: v for k, v in asked.items() if v},
            **({"late": True} if later else {}),
        )


def _held(
    conn: sqlite3.Connection,
    household_id: str | None,
    village_code: str | None,
    form_id: str,
    corrects: str | None,
) -> list[Held]:
    """The household's items (a village's own, for a village-level form), not withdrawn."""
    params: list[str | None]
    if household_id is not None:
        where, params = "n.household_id = ?", [household_id]
    else:
        where = "n.household_id IS NULL AND n.village_code = ? AND n.form_id = ?"
        params = [village_code, form_id]
    found = rows(
        conn,
        "SELECT n.id, n.category, n.item, n.status, n.raised_on, n.last_listed_in,"
        " (SELECT l.path FROM need_listings l WHERE l.need_id = n.id"
        "  AND l.submission_id = ?) AS corrected_path,"
        " n.attention = 'listed_again' AND n.attention_in IS ? AS asked_again,"
        " n.attention"
        f" FROM needs n WHERE {where} AND n.withdrawn_by IS NULL",
        (corrects, corrects, *params),
    )
    return [
        Held(
            r["id"],
            r["category"],
            r["item"],
            r["status"] in CLOSING,
            r["raised_on"],
            r["last_listed_in"],
            r["corrected_path"],
            bool(r["asked_again"]),
            r["attention"],
        )
        for r in found
    ]


def _same_subject(stored: Any) -> tuple[str, list[Any]]:
    """The answers (or items) about the same household, or village for a village form.

    Used with `+form_id = ?`: the unary plus keeps SQLite from reading a whole form's
    answers through its index instead of one household's (84 ms an answer in a county).
    """
    if stored["household_id"] is not None:
        return "household_id = ?", [stored["household_id"]]
    return "household_id IS NULL AND village_code = ?", [stored["village_code"]]


def _before(conn: sqlite3.Connection, stored: Any, listed_on: str) -> tuple[str | None, bool]:
    """(the household's latest other current answer of this form, whether it was surveyed
    later than this one): the previous answer, or a sign this one arrived late."""
    where, params = _same_subject(stored)
    latest = rows(
        conn,
        f"SELECT id, coalesce(survey_date, substr(received_at, 1, 10)) AS day FROM submissions"
        f" WHERE {where} AND +form_id = ? AND corrected_by IS NULL AND id != ?"
        " ORDER BY survey_date DESC, received_at DESC, rowid DESC LIMIT 1",
        (*params, stored["form_id"], stored["id"]),
    )
    if not latest:
        return None, False
    return latest[0]["id"], latest[0]["day"] > listed_on


def paired_cadre(
    conn: sqlite3.Connection,
    household_id: str | None,
    village_code: str | None,
    submitted_by: str | None,
) -> int | None:
    """The cadre paired now with the household (or its village) whom its needs are for:
    the one who sent the answer if paired, else a household's own pairing before a
    village's, the latest paired first."""
    found = rows(
        conn,
        "SELECT cadre_id FROM ("
        " SELECT cadre_id, 0 AS whole_village, since, id FROM pairings"
        "  WHERE household_id = ? AND until IS NULL"
        " UNION ALL"
        " SELECT cadre_id, 1, since, id FROM pairings"
        "  WHERE village_code = coalesce((SELECT village_code FROM households WHERE id = ?), ?)"
        "  AND until IS NULL)"
        " ORDER BY 'user:' || cadre_id = ? DESC, whole_village, since DESC, id DESC LIMIT 1",
        (household_id, household_id, village_code, submitted_by),
    )
    return found[0]["cadre_id"] if found else None


def _refresh(conn: sqlite3.Connection, items: set[int], submission_id: str, now: str) -> list[int]:
    """Bring the items' raised and last-listed facts to what their current answers say
    (a corrected answer's listings are history); withdraw those no current answer lists
    and no step touched. The ids withdrawn."""
    if not items:
        return []
    chosen = json.dumps(sorted(items))
    current = (
        "SELECT 1 FROM need_listings l JOIN submissions s ON s.id = l.submission_id"
        " WHERE l.need_id = needs.id AND s.corrected_by IS NULL"
    )
    withdrawn = rows(
        conn,
        "UPDATE needs SET withdrawn_by = ?, attention = NULL, attention_in = NULL,"
        " updated_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND steps = 0"
        f" AND NOT EXISTS ({current}) RETURNING id",
        (submission_id, now, chosen),
    )
    conn.execute(
        """WITH listed AS (
            SELECT l.need_id, l.submission_id, l.listed_on, l.description, l.urgency,
                   s.submitted_by,
                   row_number() OVER (PARTITION BY l.need_id
                       ORDER BY l.listed_on, s.received_at, s.rowid) AS first,
                   row_number() OVER (PARTITION BY l.need_id
                       ORDER BY l.listed_on DESC, s.received_at DESC, s.rowid DESC) AS last
            FROM need_listings l JOIN submissions s ON s.id = l.submission_id
            WHERE l.need_id IN (SELECT value FROM json_each(:items))
              AND s.corrected_by IS NULL)
        UPDATE needs SET raised_in = f.submission_id, raised_on = f.listed_on,
               raised_by = f.submitted_by, last_listed_in = l.submission_id,
               last_listed_on = l.listed_on, description = l.description, urgency = l.urgency,
               updated_at = :now
        FROM listed f JOIN listed l ON l.need_id = f.need_id AND l.last = 1
        WHERE f.first = 1 AND needs.id = f.need_id""",
        {"items": chosen, "now": now},
    )
    return sorted(r["id"] for r in withdrawn)


def _set_cadre(conn: sqlite3.Connection, items: list[int], cadre: int, now: str) -> None:
    marks = ",".join("?" * len(items))
    conn.execute(
        f"UPDATE needs SET cadre_id = ?, updated_at = ?"
        f" WHERE id IN ({marks}) AND cadre_id IS NOT ?",
        (cadre, now, *items, cadre),
    )


def _ask(
    conn: sqlite3.Connection, stored: Any, matched: Matched, held: list[Held], now: str
) -> dict[str, list[int]]:
    """Where the household's latest answer and its ledger disagree, ask the cadre.

    Open items of this form it does not list: `not_listed`. Closed items it carried
    over: `listed_again`. Items it lists otherwise agree, and their question is
    cleared.
    """
    listed = {i for i in matched.items if i is not None}
    asked_before = {h.id for h in held if h.attention}
    agree = sorted((listed - matched.listed_again) & asked_before)
    if agree:
        marks = ",".join("?" * len(agree))
        conn.execute(
            f"UPDATE needs SET attention = NULL, attention_in = NULL, updated_at = ?"
            f" WHERE id IN ({marks}) AND attention IS NOT NULL",
            (now, *agree),
        )
    again = sorted(matched.listed_again)
    for item in again:
        conn.execute(
            "UPDATE needs SET attention = 'listed_again', attention_in = ?, updated_at = ?"
            " WHERE id = ?",
            (stored["id"], now, item),
        )
    where, params = _same_subject(stored)
    unlisted_rows = rows(
        conn,
        f"UPDATE needs SET attention = 'not_listed', attention_in = ?, updated_at = ?"
        f" WHERE {where} AND form_id = ? AND withdrawn_by IS NULL"
        f" AND status NOT IN {_CLOSING_SQL} AND id NOT IN (SELECT value FROM json_each(?))"
        # asked since an earlier answer already (that one is named), or by the corrected one
        " AND (attention IS NULL OR attention_in IS ?) RETURNING id",
        (
            stored["id"],
            now,
            *params,
            stored["form_id"],
            json.dumps(sorted(listed)),
            stored["corrects"],
        ),
    )
    unlisted = sorted(r["id"] for r in unlisted_rows)
    # A closed item an answer carried over and this latest one does not: no question.
    dropped = [h.id for h in held if h.attention == "listed_again" and h.id not in listed]
    if dropped:
        marks = ",".join("?" * len(dropped))
        conn.execute(
            f"UPDATE needs SET attention = NULL, attention_in = NULL, updated_at = ?"
            f" WHERE id IN ({marks}) AND attention = 'listed_again'",
            (now, *dropped),
        )
    return {"not_listed": unlisted, "listed_again": again}


async def link_needs(conn: aiosqlite.Connection, submission_id: str, household_id: str) -> None:
    """An old answer was linked to a roster household: so are the items it raised."""
    await conn.execute(
        "UPDATE needs SET household_id = ?,"
        " village_code = (SELECT village_code FROM households WHERE id = ?), updated_at = ?"
        " WHERE household_id IS NULL AND id IN"
        " (SELECT need_id FROM need_listings WHERE submission_id = ?)",
        (household_id, household_id, now_iso(), submission_id),
    )
