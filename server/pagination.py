"""Cursors for listings that are read page by page.

A page of a long listing starts after the last row of the page before, not at an
offset: an offset reads every row it skips (a million-answer form's last pages
took seconds), and rows stored between two requests shift it, so a client paging
through saw some rows twice and missed others. The cursor names a position in
the listing's order; it is opaque to clients, who only hand back what the
server gave them.
"""

from __future__ import annotations

import base64
import binascii

from server.errors import AppError, zh_en

MAX_OFFSET = 10_000  # deprecated offsets are served up to here; past it, `after` is the way

_PREFIX = "p"  # a version of the cursor's format, so another can be told apart


def encode_cursor(position: int) -> str:
    """The cursor a client passes back (as `after`) for the rows after `position`."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parameter: str = "after") -> int:
    """The position a cursor from `encode_cursor` names; 400 for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if text.startswith(_PREFIX) and text[len(_PREFIX) :].isdigit():
            position = int(text[len(_PREFIX) :])
            if position < 2**63:
                return position
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise AppError(
        400,
        "bad_cursor",
        zh_en(
            f"{parameter} 不是本服务器给出的分页位置，请用上一页返回的 next",
            f"{parameter} is not a cursor this server gave; pass the `next` of the page before",
        ),
    )


def check_offset(offset: int, cursor: str | None) -> None:
    """An offset is served when small and alone; past MAX_OFFSET or beside a cursor, 400."""
    if offset and cursor is not None:
        raise AppError(
            400,
            "bad_page",
            zh_en("after 与 offset 不能同时使用", "use after or offset, not both"),
        )
    if offset > MAX_OFFSET:
        raise AppError(
            400,
            "offset_too_large",
            zh_en(
                f"offset 最大为 {MAX_OFFSET}；更后面的页请用上一页返回的 next 作为 after",
                f"offset is at most {MAX_OFFSET}; for later pages pass the `next` of the page"
                " before as `after`",
            ),
        )
