"""The archive's file cache: over its cap the least recently opened files go first; a file of a
message past the retention goes with it; a half-written download goes after a day."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.archive.media import expire_cache, trim_cache


def _file(cache: Path, name: str, size: int, age: float) -> Path:
    path = cache / name
    path.write_bytes(b"x" * size)
    os.utime(path, (time.time() - age,) * 2)
    return path


def test_the_least_recently_opened_go_first(tmp_path: Path) -> None:
    old = _file(tmp_path, "100-a", 400, age=300)
    opened_lately = _file(tmp_path, "100-b", 400, age=10)
    newest = _file(tmp_path, "200-c", 400, age=0)
    part = _file(tmp_path, ".part-x", 400, age=0)  # being written: never trimmed
    trim_cache(tmp_path, 900)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [opened_lately.name, newest.name, part.name]
    )
    assert not old.exists()


def test_retention_and_stale_parts(tmp_path: Path) -> None:
    _file(tmp_path, "100-a", 1, age=0)
    kept = _file(tmp_path, "300-b", 1, age=0)
    fresh_part = _file(tmp_path, ".part-new", 1, age=60)
    _file(tmp_path, ".part-old", 1, age=2 * 86400)
    assert expire_cache(tmp_path, before=200) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([kept.name, fresh_part.name])
    assert expire_cache(tmp_path / "none", before=200) == 0
