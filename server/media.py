"""Photos: uploaded on their own, then named by an answer, and read as that answer is.

A phone takes a photo offline (forms/media.py: the photo question), keeps it beside
the answer in its outbox and, once there is a network, uploads it with
`PUT /api/media/{id}` before it posts the answer naming that id. The upload is
idempotent like an answer: the same bytes again are acknowledged (200), other bytes
under the same id are a conflict (409). The bytes are checked to be a JPEG, PNG or
WebP image by their first bytes, whatever the request says, and a body over
MEDIA_LIMIT is refused while it arrives.

An answer naming a photo its sender has not uploaded is refused (422, at the
photo's field). Once an answer names it, the photo belongs with that answer's
household (or village): whoever may read the answer may read the photo; before,
only its uploader. Anyone else gets 404, as if there were no such photo.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath

from server import audit
from server.auth import Principal
from server.authz import Answer, allowed, require
from server.db import Database, now_iso, rows
from server.errors import AppError, documented_errors, not_found, zh_en
from server.subjects import Subject

MEDIA_LIMIT = 300 * 1024  # the phone sends ~200 KB at most; room for a PNG or a retake
MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp")


class Media(msgspec.Struct):
    id: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: str


def sniff(data: bytes) -> str | None:
    """The image type `data` is by its first bytes: JPEG, PNG or WebP; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _media(row: Any) -> Media:
    return Media(row["id"], row["media_type"], row["size"], row["sha256"], row["uploaded_at"])


def _unsupported(zh: str, en: str) -> AppError:
    return AppError(
        415,
        "unsupported_media_type",
        zh_en(
            f"照片须为 JPEG、PNG 或 WebP 图片，{zh}",
            f"a photo must be a JPEG, PNG or WebP image, {en}",
        ),
    )


def _conflict(media_id: str) -> AppError:
    return AppError(
        409,
        "media_conflict",
        zh_en(
            f"编号 {media_id} 已存有另一张照片；新照片须用新编号",
            f"photo {media_id} already holds another picture; a new photo needs a new id",
        ),
    )


async def put_media(
    db: Database, principal: Principal, media_id: str, data: bytes, declared: str
) -> tuple[Media, bool]:
    """Store a photo under the phone's id; (stored, True if it is new).

    AppError 415 (not a JPEG, PNG or WebP, by the request or by its bytes), 409 (the id
    holds other bytes). The same bytes again are the stored photo, stored once.
    """
    await require(db, principal, "media.upload")
    if declared not in MEDIA_TYPES:
        given = declared or "no Content-Type"
        raise _unsupported(f"而不是 {given}", f"not {given}")
    media_type = sniff(data)
    if media_type is None:
        raise _unsupported("上传的内容不是图片", "and these bytes are none")
    digest = hashlib.sha256(data).hexdigest()
    actor = principal.actor

    def work(conn: sqlite3.Connection) -> tuple[Media, bool]:
        inserted = rows(
            conn,
            "INSERT INTO media (id, media_type, size, sha256, bytes, uploaded_by, uploaded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
            " RETURNING id, media_type, size, sha256, uploaded_at",
            (media_id, media_type, len(data), digest, data, actor.name, now_iso()),
        )
        if not inserted:
            stored = rows(
                conn,
                "SELECT id, media_type, size, sha256, uploaded_at FROM media WHERE id = ?",
                (media_id,),
            )[0]
            if stored["sha256"] != digest:
                raise _conflict(media_id)
            return _media(stored), False
        audit.record_now(
            conn, actor, "media.upload", f"media:{media_id}", size=len(data), type=media_type
        )
        return _media(inserted[0]), True

    return await db.write_now(work)


UNNAMED_DAYS = 90  # a phone keeps a photo until its answer is sent, and uploads it again


@dataclass(frozen=True)
class Pruned:
    photos: int
    bytes: int


async def prune_unnamed(db: Database, actor: str, days: int = UNNAMED_DAYS) -> Pruned:
    """Delete the photos no answer names that were uploaded more than `days` ago: a
    retaken photo, or one whose answer was never sent. A phone still holding such an
    answer uploads its photo again when the server says it is missing (store.js)."""
    cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds")
    cutoff = cutoff.replace("+00:00", "Z")

    def work(conn: sqlite3.Connection) -> Pruned:
        gone = rows(
            conn,
            "DELETE FROM media WHERE submission_id IS NULL AND uploaded_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM submission_media sm WHERE sm.media_id = media.id)"
            " RETURNING size",
            (cutoff,),
        )
        pruned = Pruned(len(gone), sum(row["size"] for row in gone))
        if pruned.photos:
            audit.record_now(
                conn, actor, "media.prune", "media", photos=pruned.photos, bytes=pruned.bytes,
                older_than_days=days,
            )  # fmt: skip
        return pruned

    return await db.write_now(work)


@dataclass(frozen=True)
class Photo:
    media_type: str
    data: bytes
    sha256: str


async def get_media(db: Database, principal: Principal, media_id: str) -> Photo:
    """A photo's bytes, for its uploader, an administrator or whoever may read the answer
    naming it; 404 for anyone else, as for a photo that does not exist (401 for nobody)."""
    await require(db, principal, "media.read")
    row = await db.fetch_one(
        "SELECT media_type, bytes, sha256, uploaded_by, submission_id, household_id,"
        " village_code FROM media WHERE id = ?",
        (media_id,),
    )
    if row is None or not (
        row["uploaded_by"] == principal.actor.name
        or principal.role == "admin"
        or (
            row["submission_id"] is not None
            and await allowed(
                db,
                principal,
                "submission.read",
                Answer(row["submission_id"], row["household_id"], row["village_code"]),
            )
        )
    ):
        raise not_found(f"照片 {media_id!r}", f"photo {media_id!r}")
    return Photo(row["media_type"], row["bytes"], row["sha256"])


def attach_media(
    conn: sqlite3.Connection,
    submission_id: str,
    photos: list[tuple[str, str]],
    subject: Subject,
    uploader: str,
    lang: str,
) -> None:
    """Inside the write storing answer `submission_id`: link the photos it names
    ((pointer, id) pairs) to it, or raise 422 naming each photo's field when the photo
    is not there: never uploaded, uploaded by someone else and not yet in an answer, or
    in an answer about another household."""
    missing: list[dict[str, str]] = []
    for path, media_id in photos:
        found = rows(
            conn,
            "SELECT uploaded_by, submission_id, household_id, village_code FROM media WHERE id = ?",
            (media_id,),
        )
        row = found[0] if found else None
        if row is None or not (
            (row["submission_id"] is None and row["uploaded_by"] == uploader)
            or (
                row["submission_id"] is not None
                and (row["household_id"], row["village_code"])
                == (subject.household_id, subject.village_code)
            )
        ):
            message = zh_en(
                "照片还没有上传到服务器：请联网后重新发送，或重新拍照",
                "the photo has not reached the server: send again with a network, or retake it",
            )
            missing.append({"path": path, "code": "photo_missing", "message": message[lang]})
            continue
        conn.execute(
            "UPDATE media SET submission_id = ?, household_id = ?, village_code = ?"
            " WHERE id = ? AND submission_id IS NULL",
            (submission_id, subject.household_id, subject.village_code, media_id),
        )
        conn.execute(
            "INSERT INTO submission_media (submission_id, path, media_id) VALUES (?, ?, ?)",
            (submission_id, path, media_id),
        )
    if missing:
        raise AppError(
            422,
            "photo_missing",
            zh_en(
                "答案中的照片还没有上传到服务器", "a photo named in the answers was not uploaded"
            ),
            missing,
        )


# ---------------------------------------------------------------- the API

_BINARY = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


@dataclass
class _UploadOperation(Operation):
    """The body is the image itself."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={t: OpenAPIMediaType(schema=_BINARY) for t in MEDIA_TYPES},
            description=f"the photo: a JPEG, PNG or WebP image of at most {MEDIA_LIMIT} bytes",
        )


@dataclass
class _ReadOperation(Operation):
    """The answer is the image itself, in the type its bytes are."""

    def __post_init__(self) -> None:
        responses = dict(self.responses or {})
        responses["200"] = OpenAPIResponse(
            description="the photo, as uploaded",
            content={t: OpenAPIMediaType(schema=_BINARY) for t in MEDIA_TYPES},
        )
        self.responses = responses


class MediaController(Controller):
    path = "/api/media"
    tags = ("media",)

    @put(
        "/{media_id:uuid}",
        status_code=201,
        request_max_body_size=MEDIA_LIMIT,
        operation_class=_UploadOperation,
        responses={
            200: ResponseSpec(
                Media, description="this id already holds these same bytes; nothing new stored"
            ),
            **documented_errors(
                {
                    401: "not logged in (nor holding a household's link)",
                    403: "may not upload photos (only those who fill forms: cadres, a"
                    " household's link, administrators), or a write from another site",
                    409: "this id already holds another picture (`media_conflict`)",
                    413: f"the photo is over {MEDIA_LIMIT} bytes",
                    415: "not a JPEG, PNG or WebP image (by Content-Type or by its bytes)",
                    503: "the database is busy or its storage failed; retry later",
                    507: "the server's storage is full; retry later",
                }
            ),
        },
    )
    async def upload(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        media_id: FromPath[uuid.UUID],
    ) -> Response[Media]:
        """Upload a photo before the answer naming it: the image's bytes as the body, under
        the id the phone chose (201; 200 for the same bytes again; 409 for other bytes)."""
        await require(db, principal, "media.upload")  # before a byte of the body is read
        declared = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        stored, created = await put_media(
            db, principal, str(media_id), await request.body(), declared
        )
        return Response(stored, status_code=201 if created else 200)

    @get(
        "/{media_id:uuid}",
        operation_class=_ReadOperation,
        responses=documented_errors(
            {401: "not logged in", 404: "no such photo (or not yours to see)"}
        ),
    )
    async def read(
        self,
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        media_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """A photo: for its uploader, or whoever may read the answer that names it."""
        photo = await get_media(db, principal, str(media_id))
        return Response(
            photo.data,
            media_type=photo.media_type,
            headers={"ETag": f'"{photo.sha256[:20]}"', "X-Content-Type-Options": "nosniff"},
        )
