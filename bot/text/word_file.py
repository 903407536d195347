"""Word files as operators bring them: txt (one word a line) or CSV (`word,category`)."""

from __future__ import annotations

import csv
import io

WordLine = tuple[int, str, str]  # line number, word, category


def read_word_file(data: str, default_category: str) -> tuple[list[WordLine], list[WordLine]]:
    """(word lines, malformed lines with their reason) of a txt or CSV word file.

    One word per line, or `word,category`; blank lines and lines starting with # are skipped,
    and so is a first row that is the documented header (`word,category`, or 词,分类).
    """
    lines: list[WordLine] = []
    malformed: list[WordLine] = []
    for number, row in enumerate(csv.reader(io.StringIO(data)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if not lines and not malformed and _is_header(row):
            continue
        if len(row) > 2:
            malformed.append((number, ",".join(row), "列数过多：每行应为「词」或「词,分类」"))
            continue
        category = row[1] if len(row) == 2 and row[1].strip() else default_category
        if not category.strip():
            malformed.append(
                (number, row[0], "没有分类：第二列写分类，或用 --category 给出默认分类")
            )
            continue
        lines.append((number, row[0], category))
    return lines, malformed


HEADER_NAMES = ({"word", "词", "敏感词"}, {"category", "分类", "类别"})


def _is_header(row: list[str]) -> bool:
    """A header row, as a spreadsheet writes it (a BOM and case ignored)."""
    cells = [cell.strip().lstrip("\ufeff").lower() for cell in row]
    return all(cell in names for cell, names in zip(cells, HEADER_NAMES, strict=False))
