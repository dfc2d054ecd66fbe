"""The report folder stays within its budget without touching PDFs in use or being written."""

from __future__ import annotations

import os
import time
from pathlib import Path

from reports.cache import SERVING_GRACE, STALE_PART, prune, touch

KB = 1024


def _file(folder: Path, name: str, size: int, used_seconds_ago: float) -> Path:
    path = folder / name
    path.write_bytes(b"%" * size)
    when = time.time() - used_seconds_ago
    os.utime(path, (when, when))
    return path


def test_least_recently_used_pdfs_go_first_until_within_budget(tmp_path) -> None:
    hour = 3600
    oldest = _file(tmp_path, "a.pdf", 100 * KB, 5 * hour)
    older = _file(tmp_path, "b.pdf", 100 * KB, 4 * hour)
    newer = _file(tmp_path, "c.pdf", 100 * KB, 3 * hour)
    newest = _file(tmp_path, "d.pdf", 100 * KB, 2 * hour)

    removed = prune(tmp_path, budget_bytes=250 * KB)

    assert removed == [oldest, older]
    assert sorted(tmp_path.iterdir()) == [newer, newest]


def test_within_budget_nothing_is_removed(tmp_path) -> None:
    files = [_file(tmp_path, f"{i}.pdf", 10 * KB, 9999 + i) for i in range(3)]
    assert prune(tmp_path, budget_bytes=30 * KB) == []
    assert all(f.exists() for f in files)


def test_a_pdf_served_from_the_cache_counts_as_used_now(tmp_path) -> None:
    served = _file(tmp_path, "served.pdf", 100 * KB, 5 * 3600)
    other = _file(tmp_path, "other.pdf", 100 * KB, 4 * 3600)
    assert touch(served)

    assert prune(tmp_path, budget_bytes=150 * KB) == [other]
    assert served.exists()
    assert not touch(other)  # gone: the caller renders it again


def test_pdfs_being_served_written_or_kept_are_never_removed(tmp_path) -> None:
    serving = _file(tmp_path, "serving.pdf", 100 * KB, SERVING_GRACE / 2)
    kept = _file(tmp_path, "just-written.pdf", 100 * KB, 9 * 3600)
    writing = _file(tmp_path, "next.4242.part", 100 * KB, STALE_PART / 2)
    old = _file(tmp_path, "old.pdf", 100 * KB, 8 * 3600)

    removed = prune(tmp_path, budget_bytes=0, keep=[kept])

    assert removed == [old]
    assert serving.exists() and kept.exists() and writing.exists()


def test_a_stale_partial_file_from_a_crashed_worker_is_removed(tmp_path) -> None:
    stale = _file(tmp_path, "crashed.1234.part", 10 * KB, STALE_PART + 60)
    fresh = _file(tmp_path, "fresh.pdf", 10 * KB, 9 * 3600)

    assert prune(tmp_path, budget_bytes=100 * KB) == [stale]
    assert fresh.exists()


def test_other_files_and_folders_are_left_alone(tmp_path) -> None:
    notes = _file(tmp_path, "README.txt", 100 * KB, 9 * 3600)
    (tmp_path / "sub").mkdir()
    inner = _file(tmp_path / "sub", "x.pdf", 100 * KB, 9 * 3600)
    assert prune(tmp_path, budget_bytes=0) == []
    assert notes.exists() and inner.exists()


def test_a_missing_folder_is_not_an_error(tmp_path) -> None:
    assert prune(tmp_path / "never-made", budget_bytes=0) == []
