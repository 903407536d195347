"""Plain-text tables for the terminal: columns as wide as their widest cell (CJK characters
count two), text columns left-aligned and numbers right-aligned."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

MISSING = "—"


def number(value: int | None) -> str:
    return MISSING if value is None else str(value)


def percent(share: float | None) -> str:
    return MISSING if share is None else f"{share:.1%}"


def width(text: str) -> int:
    """Terminal columns: wide and full-width characters (CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def pad(text: str, columns: int, *, right: bool) -> str:
    gap = " " * max(0, columns - width(text))
    return gap + text if right else text + gap


def table(lines_in: Sequence[Sequence[str]], *, texts: int) -> str:
    """The first line as headers, the `texts` first columns left-aligned, the rest right."""
    sizes = [max(width(line[i]) for line in lines_in) for i in range(len(lines_in[0]))]
    lines = []
    for line in lines_in:
        padded = [
            pad(cell, size, right=i >= texts)
            for i, (cell, size) in enumerate(zip(line, sizes, strict=True))
        ]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)
