"""The village report's appendix of house photos (附录：住房照片).

A household's photo is the one its drawn answer (the current one: reports/draw.py)
names, stored beside it by the server (`media`, `submission_media`; forms/media.py
is the convention). Each is printed as a small thumbnail with the household's head
and group, four to a row: enough to see a house's walls and roof, and a village of
two hundred households still makes a PDF of a few megabytes.

A photo is read only as far as a thumbnail needs: a JPEG is decoded at a reduced
scale, and a picture claiming more than MAX_PIXELS is left out rather than decoded,
so a hostile upload (300 KB can claim a gigapixel) costs the worker nothing.
"""

from __future__ import annotations

import io
import logging
import sqlite3
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from reports.draw import group_order

log = logging.getLogger("minsheng.reports")

THUMB_SIDE = 300  # px, the longest side: ~40 mm wide at four to an A4 row
THUMB_QUALITY = 70
MAX_PIXELS = 16_000_000  # a phone sends 1280 px at most; a camera's original is ~12 MP


def house_photos(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The drawn households' photos (TEMP table h filled by reports.draw.draw), by group
    and head: {head_name, grp, path, jpeg} with a thumbnail's JPEG bytes."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'submission_media'").fetchone():
        return []  # a database from before photos (server/migrations/0011_media.sql)
    found = conn.execute(
        """SELECT h.head_name, h.grp, sm.path, m.bytes
        FROM h JOIN submissions s ON s.rowid = h.rid
        JOIN submission_media sm ON sm.submission_id = s.id
        JOIN media m ON m.id = sm.media_id
        ORDER BY h.grp, h.head_name, h.rid, sm.path"""
    ).fetchall()
    photos = []
    # SQL orders groups as text (七组 before 五组); the report's tables use their numbers.
    for head_name, grp, path, data in sorted(found, key=lambda row: group_order(row[1])):
        small = thumbnail(data)
        if small is not None:
            photos.append({"head_name": head_name, "grp": grp, "path": path, "jpeg": small})
    return photos


def thumbnail(data: bytes) -> bytes | None:
    """A JPEG at most THUMB_SIDE px on its longest side; None for bytes that are no
    picture Pillow reads, or claim more than MAX_PIXELS."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                log.warning("photo of %dx%d px left out of the report", *image.size)
                return None
            image.draft("RGB", (THUMB_SIDE, THUMB_SIDE))  # JPEG: decoded at 1/2, 1/4, 1/8
            small = ImageOps.exif_transpose(image).convert("RGB")  # upright as taken
            small.thumbnail((THUMB_SIDE, THUMB_SIDE))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("photo left out of the report: %s", exc)
        return None
