"""Reading a campaign's store list from CSV: every bad row named by its line, and nothing taken
when any row is bad.

Columns (a header row, in any order; extra columns are refused so a typo is not silently
ignored): name, city, address, lat, lng, code — `code` is `channel:<id>` or `group:<id>`. UTF-8
(with or without a BOM, as Excel writes it), at most `MAX_BYTES` and `MAX_STORES` rows."""

from __future__ import annotations

import csv
import io
import math

from bot.store_codes.model import (
    MAX_STORES,
    Store,
    StoreCodeError,
    store_id,
    validate_store,
)

MAX_BYTES = 2 * 1024 * 1024
COLUMNS = ("name", "city", "address", "lat", "lng", "code")
MAX_PROBLEMS = 50  # listed; the count says how many more


class StoreListError(StoreCodeError):
    """A store list that can't be imported: `problems` by line, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        text = "\n".join(shown) + (f"\n……另有 {more} 处问题" if more else "")
        super().__init__("门店表有问题，未导入任何门店：\n" + text)
        self.problems = problems


def _number(text: str, label: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise StoreCodeError(f"{label}「{text[:20]}」不是数字") from None
    if not math.isfinite(value):
        raise StoreCodeError(f"{label}「{text[:20]}」不是数字")
    return value


def parse_stores(data: bytes) -> tuple[list[Store], dict[str, int]]:
    """The stores of a CSV file and the line of each (by store id), or `StoreListError`
    listing every bad row by line."""
    if len(data) > MAX_BYTES:
        raise StoreListError([f"文件超过 {MAX_BYTES // 1024 // 1024} MB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StoreListError(["文件不是 UTF-8 编码（Excel 请另存为「CSV UTF-8」）"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if sorted(header) != sorted(COLUMNS):
        wanted = ",".join(COLUMNS)
        raise StoreListError(
            [f"第 1 行：表头应是 {wanted}（顺序不限），实际是 {','.join(header)[:80]}"]
        )
    stores: list[Store] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(stores) + len(problems) >= MAX_STORES:
            problems.append(f"门店超过 {MAX_STORES} 家：请分成多个活动")
            break
        if len(row) != len(header):
            problems.append(f"第 {line} 行：应有 {len(header)} 列，实际 {len(row)} 列")
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        try:
            store = Store(
                store_id(cells["name"], cells["city"]),
                cells["name"],
                cells["city"],
                cells["address"],
                _number(cells["lat"], "纬度"),
                _number(cells["lng"], "经度"),
                cells["code"],
            )
            validate_store(store)
        except StoreCodeError as exc:
            problems.append(f"第 {line} 行：{exc}")
            continue
        if store.id in seen:
            problems.append(f"第 {line} 行：与第 {seen[store.id]} 行是同一城市的同名门店")
            continue
        seen[store.id] = line
        stores.append(store)
    if problems:
        raise StoreListError(problems)
    if not stores:
        raise StoreListError(["文件里没有门店"])
    return stores, seen
