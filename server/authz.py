"""What each role may do, in one place: `await require(db, principal, verb, resource)`.

- admin: everything.
- designer: forms: drafts, previews and diffs (`form.design`), publishing,
  retiring and restoring versions (`form.publish`); and reading places, to
  build village choice lists.
- official: reads answers, needs, households and reports (a form's summary too) of
  one place of the tree and everything under it, and exports its answers; confirms
  households cadres propose there; reviews the answers made there (approved, has
  issues, rejected).
- cadre: fills and reads for the households paired with them and for every
  household of a village paired with them; records the steps taken on those
  households' needs; reads the reports (and form summaries) of villages paired with
  them; makes and revokes those households' own links, and prints their QR sheet.
  In a village question (forms/places.py) an official names a village of their area,
  a cadre one they work in (paired whole or through a household).
- household (a personal link): fills its own form for itself, nothing else; in a village
  question it may name only its own village.
- photos (server/media.py): uploaded by whoever fills forms, read as the answer naming
  them is read (before one does, by their uploader only).

Anonymous requests are refused with 401. Out of scope is 403, or 404 where
knowing that a household or an answer exists would already say too much.
Lists are narrowed by `area_sql` instead of checked row by row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from server.auth import Principal
from server.db import Database
from server.errors import AppError, not_found, zh_en

PAIRING_CACHE_SECONDS = 15.0


@dataclass(frozen=True)
class Place:
    """A node of the tree, by its significant code prefix (6 digits for a county)."""

    prefix: str

    @property
    def village_code(self) -> str | None:
        return self.prefix if len(self.prefix) == 12 else None


@dataclass(frozen=True)
class Household:
    id: str
    village_code: str


@dataclass(frozen=True)
class Answer:
    """A stored answer, by what decides who may read it."""

    id: str
    household_id: str | None
    village_code: str | None


@dataclass(frozen=True)
class Need:
    """A need of the ledger, by the household (or village) it is about."""

    id: int
    household_id: str | None
    village_code: str | None


@dataclass(frozen=True)
class Form:
    id: str


Resource = Place | Household | Answer | Need | Form | None


@dataclass(frozen=True)
class Pairing:
    households: frozenset[str]
    villages: frozenset[str]


# cadre id -> (monotonic time, pairing); per process, dropped on every pairing change here.
_pairings: dict[int, tuple[float, Pairing]] = {}


def forget_pairings(cadre_id: int | None = None) -> None:
    if cadre_id is None:
        _pairings.clear()
    else:
        _pairings.pop(cadre_id, None)


async def pairing(db: Database, cadre_id: int) -> Pairing:
    """The households and villages a cadre is paired with now."""
    hit = _pairings.get(cadre_id)
    if hit is not None and time.monotonic() - hit[0] < PAIRING_CACHE_SECONDS:
        return hit[1]
    rows = await db.fetch_all(
        "SELECT household_id, village_code FROM pairings WHERE cadre_id = ? AND until IS NULL",
        (cadre_id,),
    )
    found = Pairing(
        frozenset(r["household_id"] for r in rows if r["household_id"]),
        frozenset(r["village_code"] for r in rows if r["village_code"]),
    )
    _pairings[cadre_id] = (time.monotonic(), found)
    return found


def _under(prefix: str | None, village_code: str | None) -> bool:
    return bool(prefix and village_code and village_code.startswith(prefix))


async def _paired(db: Database, p: Principal, household: str | None, village: str | None) -> bool:
    if p.user_id is None:
        return False
    mine = await pairing(db, p.user_id)
    return (household is not None and household in mine.households) or (
        village is not None and village in mine.villages
    )


async def allowed(db: Database, p: Principal, verb: str, resource: Resource = None) -> bool:
    """Whether `p` may do `verb` to `resource`; no exception, for menus and lists."""
    if not p.authenticated:
        return False
    if p.role == "admin":
        return True
    rule = RULES.get(verb)
    if rule is None:
        raise KeyError(f"no rule for {verb!r}")  # a verb without a rule is a bug, not a denial
    return await rule(db, p, resource)


async def require(db: Database, p: Principal, verb: str, resource: Resource = None) -> None:
    """Raise 401 for nobody, 404 or 403 for someone who may not `verb` the `resource`."""
    if not p.authenticated:
        raise AppError(
            401, "login_required", zh_en("请先登录", "please log in first"), headers=LOGIN_HEADERS
        )
    if await allowed(db, p, verb, resource):
        return
    if isinstance(resource, Answer):
        raise not_found(f"答案 {resource.id!r}", f"submission {resource.id!r}")
    if isinstance(resource, Household):
        raise not_found(f"户 {resource.id!r}", f"household {resource.id!r}")
    if isinstance(resource, Need):
        raise not_found(f"需求 {resource.id}", f"need {resource.id}")
    raise AppError(403, "forbidden", zh_en("无权进行此操作", "you may not do this"))


LOGIN_HEADERS = {"WWW-Authenticate": 'Cookie realm="minsheng", Bearer'}


# ---------------------------------------------------------------- the rules


async def _anyone(db: Database, p: Principal, r: Resource) -> bool:
    return True


async def _staff(db: Database, p: Principal, r: Resource) -> bool:
    return p.kind == "user"


async def _designer(db: Database, p: Principal, r: Resource) -> bool:
    return p.role == "designer"


async def _form_read(db: Database, p: Principal, r: Resource) -> bool:
    if p.kind == "link":
        return isinstance(r, Form) and r.id == p.form_id
    return p.kind == "user"


def _where(r: Resource) -> tuple[str | None, str | None]:
    if isinstance(r, Household):
        return r.id, r.village_code
    if isinstance(r, Answer | Need):
        return r.household_id, r.village_code
    if isinstance(r, Place):
        return None, r.village_code
    return None, None


async def _fill(db: Database, p: Principal, r: Resource) -> bool:
    """submission.create: on a household (or a village, for a village-level form)."""
    household, village = _where(r)
    if p.kind == "link":
        return household is not None and household == p.household_id
    if p.role == "cadre":
        return await _paired(db, p, household, village)
    return False


async def _read(db: Database, p: Principal, r: Resource) -> bool:
    household, village = _where(r)
    if p.role == "official":
        if isinstance(r, Place):
            return r.prefix.startswith(p.place_prefix or "\0")
        return _under(p.place_prefix, village)
    if p.role == "cadre":
        return await _paired(db, p, household, village)
    return False


async def _list(db: Database, p: Principal, r: Resource) -> bool:
    """Listing is narrowed by area_sql; anyone with an area may ask."""
    return p.role in ("official", "cadre")


async def _follow_up(db: Database, p: Principal, r: Resource) -> bool:
    household, village = _where(r)
    return p.role == "cadre" and await _paired(db, p, household, village)


async def _report(db: Database, p: Principal, r: Resource) -> bool:
    if not isinstance(r, Place):
        return False
    if p.role == "official":
        return r.prefix.startswith(p.place_prefix or "\0")
    return p.role == "cadre" and await _paired(db, p, None, r.village_code)


async def _works_in(db: Database, p: Principal, r: Resource) -> bool:
    """An official in their area; a cadre in a village they are paired with, whole or
    through one of its households (household.propose, link.sheet)."""
    _, village = _where(r)
    if p.role == "official":
        return _under(p.place_prefix, village)
    if p.role != "cadre" or p.user_id is None or village is None:
        return False
    mine = await pairing(db, p.user_id)
    if village in mine.villages:
        return True
    rows = await db.fetch_all(
        "SELECT 1 FROM households WHERE village_code = ? AND id IN"
        " (SELECT household_id FROM pairings WHERE cadre_id = ? AND until IS NULL) LIMIT 1",
        (village, p.user_id),
    )
    return bool(rows)


async def _name_village(db: Database, p: Principal, r: Resource) -> bool:
    """village.answer: name a village in an answer (a village question, forms/places.py):
    where one works (as household.propose), and for a household's link its own village."""
    _, village = _where(r)
    if p.kind == "link":
        row = await db.fetch_one(
            "SELECT village_code FROM households WHERE id = ?", (p.household_id or "",)
        )
        return row is not None and village is not None and row["village_code"] == village
    return await _works_in(db, p, r)


async def _review(db: Database, p: Principal, r: Resource) -> bool:
    _, village = _where(r)
    return p.role == "official" and _under(p.place_prefix, village)


async def _link(db: Database, p: Principal, r: Resource) -> bool:
    """link.manage: make or revoke a household's personal link."""
    household, village = _where(r)
    if p.role == "official":
        return _under(p.place_prefix, village)
    return p.role == "cadre" and await _paired(db, p, household, village)


async def _export(db: Database, p: Principal, r: Resource) -> bool:
    """export.read: officials, for their area; a place asked must overlap it (the rows
    are narrowed to the area by area_sql). Cadres may not: see server/exports.py."""
    if p.role != "official" or not p.place_prefix:
        return False
    if isinstance(r, Place):
        return r.prefix.startswith(p.place_prefix) or p.place_prefix.startswith(r.prefix)
    return r is None


async def _summary(db: Database, p: Principal, r: Resource) -> bool:
    """summary.read: a form's summary PDF (counts, no one's answers): officials as for
    export.read (the rows are narrowed by area_sql), a cadre for a village paired with
    them whole, as for its report."""
    if p.role == "official":
        return await _export(db, p, r)
    return await _report(db, p, r)


async def _uploads(db: Database, p: Principal, r: Resource) -> bool:
    """media.upload: whoever fills forms (a cadre, a household's link) may send photos;
    which answer may name a photo is checked when the answer arrives (server/media.py)."""
    return p.kind == "link" or p.role == "cadre"


async def _admin_only(db: Database, p: Principal, r: Resource) -> bool:
    return False  # admins pass before any rule is asked


RULES: dict[str, Any] = {
    "place.read": _staff,
    "form.read": _form_read,
    "form.design": _designer,
    "form.publish": _designer,
    "submission.create": _fill,
    "submission.read": _read,
    "submission.list": _list,
    "submission.review": _review,
    "need.read": _read,
    "need.list": _list,
    "need.step": _follow_up,
    "report.read": _report,
    "export.read": _export,
    "summary.read": _summary,
    "household.read": _read,
    "household.list": _list,
    "household.propose": _works_in,
    "household.review": _review,
    "village.answer": _name_village,
    "link.manage": _link,
    # a village's printed QR sheet; it lists only the households one may make links for
    "link.sheet": _works_in,
    # a photo is read as the answer naming it is: checked photo by photo (server/media.py)
    "media.read": _anyone,
    "media.upload": _uploads,
    "account.self": _staff,
    "roster.import": _admin_only,
    "user.manage": _admin_only,
    "pairing.manage": _admin_only,
    "audit.read": _admin_only,
}


def area_sql(p: Principal, village_column: str, household_column: str) -> tuple[str, list[Any]]:
    """A WHERE fragment keeping the rows `p` may read, by their village and household."""
    if p.role == "admin":
        return "1 = 1", []
    if p.role == "official" and p.place_prefix:
        return f"({village_column} >= ? AND {village_column} < ?)", [
            p.place_prefix,
            p.place_prefix + ":",  # ':' sorts just after '9'
        ]
    if p.role == "cadre" and p.user_id is not None:
        return (
            f"({household_column} IN (SELECT household_id FROM pairings"
            "  WHERE cadre_id = ? AND until IS NULL AND household_id IS NOT NULL)"
            f" OR {village_column} IN (SELECT village_code FROM pairings"
            "  WHERE cadre_id = ? AND until IS NULL AND village_code IS NOT NULL))",
            [p.user_id, p.user_id],
        )
    return "0 = 1", []
