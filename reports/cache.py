"""Keeping the folder of rendered reports within a size budget.

Every distinct report (its data, period, language, template) is written once
into one flat folder and served from there until the data changes, so without
pruning the folder only grows. After each render the least recently used PDFs
are removed until the folder is back under its budget.

"Used" is a file's modification time: it is set when the PDF is written and
touched again each time it is served from the cache, because access times are
not kept on noatime/relatime mounts. A PDF used within SERVING_GRACE seconds is
never removed: it may be on its way to a client (the response opens it a moment
after the handler returns, and the time also covers other server processes
sharing the folder); once it is open, removing its name does not disturb the
download. A `*.part` file is a render being written, and is only removed when
it is older than STALE_PART seconds, i.e. left by a crashed worker.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Collection
from pathlib import Path

log = logging.getLogger(__name__)

SERVING_GRACE = 120.0
STALE_PART = 3600.0


def touch(path: Path) -> bool:
    """Mark a cached PDF as used now; False if it is gone (pruned meanwhile)."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def prune(
    folder: Path,
    budget_bytes: int,
    keep: Collection[Path] = (),
    *,
    now: float | None = None,
) -> list[Path]:
    """Remove least recently used PDFs until `folder` holds at most `budget_bytes`.

    Never removes a path in `keep`, a PDF used in the last SERVING_GRACE
    seconds, or a `*.part` file younger than STALE_PART seconds; older
    `*.part` files are removed whatever the budget. Returns what was removed.
    One scan of the folder, no recursion.
    """
    now = time.time() if now is None else now
    kept = {os.fspath(p) for p in keep}
    removed: list[Path] = []
    total = 0
    candidates: list[tuple[float, int, str]] = []  # (last used, size, path)
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if entry.name.endswith(".part"):
            if now - stat.st_mtime > STALE_PART and _remove(entry.path):
                removed.append(Path(entry.path))
            else:
                total += stat.st_size
            continue
        total += stat.st_size
        recent = now - stat.st_mtime < SERVING_GRACE
        if entry.name.endswith(".pdf") and entry.path not in kept and not recent:
            candidates.append((stat.st_mtime, stat.st_size, entry.path))
    candidates.sort()
    for _, size, path in candidates:
        if total <= budget_bytes:
            break
        if _remove(path):
            removed.append(Path(path))
            total -= size
    if total > budget_bytes:
        log.info("report cache %s holds %d bytes, over its budget; all of it in use", folder, total)
    return removed


def _remove(path: str) -> bool:
    """True when `path` is gone, whoever removed it."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass  # another server process removed it first
    except OSError as exc:
        log.warning("could not remove cached report %s: %s", path, exc)
        return False
    return True
