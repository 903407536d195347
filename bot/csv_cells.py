"""CSV the bot writes, safe to open in a spreadsheet, and read back to the same values.

A cell starting with `=`, `+`, `-` or `@` (or a tab, carriage return or NUL) is taken by Excel,
WPS and LibreOffice as a formula: a script titled `=HYPERLINK("http://…","点我")` would become a
live link, or worse, in the file an admin exports and opens (CSV injection, OWASP; ASVS 1.2.10).
Such a cell is written with a leading `'`, which spreadsheets show as text and do not display.

So that a file exported and imported again gives back what was stored, a cell that starts with
`'` followed by one of those characters or another `'` gets a `'` too, and `restored` removes
exactly one leading `'` from such cells: writing then reading is the identity on every value.
(A hand-made file with `'=x` in a cell is read as `=x`, as a spreadsheet would show it.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = frozenset("=+-@\t\r\0")
QUOTE = "'"


def restored(cell: str) -> str:
    """A cell as it was before `neutralised`."""
    if len(cell) > 1 and cell[0] == QUOTE and (cell[1] in FORMULA_STARTS or cell[1] == QUOTE):
        return cell[1:]
    return cell


def neutralised(value: str) -> str:
    """`value` as a cell no spreadsheet runs as a formula (`restored` gives it back)."""
    if value[:1] in FORMULA_STARTS or restored(value) != value:
        return QUOTE + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A whole CSV file: the header, then every row with each cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([neutralised(cell) for cell in row] for row in rows)
    return out.getvalue()
