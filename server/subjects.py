"""What an answer is about: a household of the roster, or a village, named beside the answers.

A form declares its subject (`x-subject`, household by default). The phone sends
the household's id (or the village's code) next to the answers, never inside
them, and this module checks it against the roster: an answer about a
household or village nobody registered is refused with a clear message, and
the answer is filed under the roster's village, not whatever code was typed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from forms.schema import form_subject
from server.authz import Household, Place, Resource
from server.db import Database
from server.errors import AppError, zh_en


@dataclass(frozen=True)
class Subject:
    household_id: str | None
    village_code: str

    @property
    def resource(self) -> Resource:
        if self.household_id is not None:
            return Household(self.household_id, self.village_code)
        return Place(self.village_code)


def _refuse(code: str, path: str, zh: str, en: str) -> AppError:
    return AppError(422, code, zh_en(zh, en), [{"path": path, "code": code, "message": zh}])


async def subject_of(
    db: Database, schema: dict[str, object], household_id: str | None, village_code: str | None
) -> Subject:
    """The roster entity an answer names; 422 when it names none, or one not on the roster."""
    if form_subject(schema) == "village":
        if not village_code:
            raise _refuse(
                "village_required",
                "/village_code",
                "此调查表按村填写，须指定村（village_code）",
                "this form is answered per village: name the village (village_code)",
            )
        row = await db.fetch_one(
            "SELECT code FROM places WHERE code = ? AND level = 'village'", (village_code,)
        )
        if row is None:
            raise _refuse(
                "village_unknown",
                "/village_code",
                f"村代码 {village_code} 不在地区名录中",
                f"village {village_code} is not on the list of places",
            )
        return Subject(None, village_code)
    if not household_id:
        raise _refuse(
            "household_required",
            "/household_id",
            "此调查表按户填写，须指定花名册中的户（household_id）",
            "this form is answered per household: name the roster household (household_id)",
        )
    row = await _household(db, household_id[:80])
    if row is None or row[1] not in ("active", "proposed"):
        raise _refuse(
            "household_unknown",
            "/household_id",
            "此户不在花名册中。如确有此户，请先提交新增户申请，经主管干部确认",
            "this household is not on the roster; if it exists, propose it for an official to"
            " confirm",
        )
    return Subject(household_id, row[0])


# household id -> (monotonic time, (village, status) or None): every answer names its
# household, and the roster changes seldom. Dropped here whenever this process changes a
# household (server.households calls forget_households); another process's change is seen
# within HOUSEHOLD_CACHE_SECONDS.
HOUSEHOLD_CACHE_SECONDS = 5.0
_households: dict[str, tuple[float, tuple[str, str] | None]] = {}


def forget_households() -> None:
    _households.clear()


async def _household(db: Database, household_id: str) -> tuple[str, str] | None:
    hit = _households.get(household_id)
    if hit is not None and time.monotonic() - hit[0] < HOUSEHOLD_CACHE_SECONDS:
        return hit[1]
    row = await db.fetch_one(
        "SELECT village_code, status FROM households WHERE id = ?", (household_id,)
    )
    found = None if row is None else (row["village_code"], row["status"])
    if len(_households) >= 50_000:
        _households.clear()
    _households[household_id] = (time.monotonic(), found)
    return found
