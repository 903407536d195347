"""CSV import of orders, checked as a whole before anything is written.

The first line is the header: `order_id,external_userid,amount,paid_at` and optionally
`refunded`, in any order and case; other columns (product, channel …) are ignored, blank lines
skipped. The file is UTF-8, with or without the BOM Excel writes. Every bad row is reported by
its line number and a file with any bad row changes nothing, so a corrected file can simply be
imported again; an order id already stored is replaced, never counted twice.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from bot.rfm.orders import OrderError, OrderRow, OrderStore, parse_order

COLUMNS = ("order_id", "external_userid", "amount", "paid_at")
MAX_ROWS = 200_000
SHOWN_PROBLEMS = 50


class ImportProblems(OrderError):
    """Every bad row of a file, one line each; nothing of the file was imported."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = len(problems) - SHOWN_PROBLEMS
        shown = problems[:SHOWN_PROBLEMS] + ([f"……另有 {more} 处"] if more > 0 else [])
        super().__init__("文件有错误，未导入任何订单：\n" + "\n".join(shown))


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise OrderError(
            f"{path} 不是 UTF-8 编码：请在 Excel 中另存为「CSV UTF-8（逗号分隔）」"
        ) from None
    except OSError as exc:
        raise OrderError(f"无法读取 {path}：{exc.strerror or exc}") from None


def read_orders(path: Path, now: float) -> list[OrderRow]:
    """Every row of the file as an order or refund; `ImportProblems` lists all bad rows."""
    reader = csv.reader(io.StringIO(_text(path)))
    rows: list[OrderRow] = []
    problems: list[str] = []
    try:
        header = next(reader, None)
        names = [name.strip().lower() for name in header or []]
        missing = [column for column in COLUMNS if column not in names]
        if missing:
            raise OrderError(
                f"CSV 缺少列：{', '.join(missing)}"
                f"（第 1 行应为表头 {','.join(COLUMNS)}[,refunded]）"
            )
        start = reader.line_num + 1
        for cells in reader:
            # a quoted cell may span lines: a row is named by the line it starts on
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) + len(problems) >= MAX_ROWS:
                raise OrderError(f"一次最多导入 {MAX_ROWS} 行订单，请分成几个文件")
            raw: dict[str, Any] = dict(zip(names, cells, strict=False))
            try:
                rows.append(parse_order(raw, now))
            except OrderError as exc:
                problems.append(f"第 {line} 行：{exc}")
    except csv.Error as exc:
        raise OrderError(f"CSV 格式错误（第 {reader.line_num} 行）：{exc}") from None
    if problems:
        raise ImportProblems(problems)
    return rows


async def import_orders(
    store: OrderStore, path: Path, now: float, *, dry_run: bool = False
) -> dict[str, Any]:
    """Check the whole file, then apply it (unless `dry_run`); returns the counts."""
    rows = read_orders(path, now)
    refunds = sum(1 for row in rows if row.refund)
    result: dict[str, Any] = {
        "rows": len(rows),
        "orders": len(rows) - refunds,
        "refunds": refunds,
        "dry_run": dry_run,
    }
    if not dry_run:
        applied = await store.apply(rows)
        result.update(created=applied.created, updated=applied.updated, removed=applied.removed)
    return result
