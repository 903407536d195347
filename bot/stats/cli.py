"""`scrm-bot stats`: the operating statistics of the last days as a table (or JSON)."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Sequence

from bot.cli.output import admin_services, print_json
from bot.clock import corp_now
from bot.config import Settings
from bot.group_codes.report import GROUP_CODE, CodeDay, code_days
from bot.stats.report import BY, MAX_DAYS, RETENTION_DAYS, StatsRow, day_range, read_stats

MISSING = "—"
BY_TITLE = {"staff": "员工", "channel": "渠道", GROUP_CODE: "群活码"}
RETENTION_NOTE = (
    "留存：当天新增的客户在 N 天后仍未删除（客户删除或员工删除）的比例，"
    "第 N 天过完后才显示；转移给其他员工不算流失。"
)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser("stats", help="daily statistics: customers, retention, groups, SOP")
    stats.add_argument("--days", type=int, default=7, help="the last N days (default 7)")
    stats.add_argument(
        "--by",
        choices=(*BY, GROUP_CODE),
        help="one row per day and staff member / channel / group live code",
    )
    stats.add_argument("--json", action="store_true", help="print the rows as JSON")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if not 1 <= args.days <= MAX_DAYS:
        print(f"错误：--days 应在 1 到 {MAX_DAYS} 之间（统计保留 {MAX_DAYS} 天）", file=sys.stderr)
        return 2
    today = corp_now().date()
    if args.by == GROUP_CODE:
        return await _group_codes(settings, args)
    async with admin_services(settings) as services:
        rows = await read_stats(services.redis, services.keys, args.days, args.by, today)
    if args.json:
        print_json([row.as_dict(args.by) for row in rows])
        return 0
    if not rows:  # only per staff member or channel: the corp's rows cover every day
        print(f"最近 {args.days} 天没有按{BY_TITLE[args.by]}的统计数据")
        return 0
    scope = f"（按{BY_TITLE[args.by]}）" if args.by else ""
    first = day_range(args.days, today)[0]
    print(f"运营统计{scope}：{first} 至 {today}")
    print(render_table(rows, args.by))
    print(RETENTION_NOTE)
    return 0


async def _group_codes(settings: Settings, args: argparse.Namespace) -> int:
    """Joins and leaves per group live code and day (the code's page in the console has more)."""
    today = corp_now().date()
    async with admin_services(settings) as services:
        stores = services.stores
        days = await code_days(
            await stores.group_codes.list(), stores.group_code_stats, args.days, today
        )
    if args.json:
        print_json([row.as_dict() for row in days])
        return 0
    if not days:
        print("还没有群活码")
        return 0
    print(f"群活码统计：{day_range(args.days, today)[0]} 至 {today}")
    header = ["日期", "群活码", "入群", "退群", "净增"]
    print(table([header, *(_code_cells(row) for row in days)], texts=2))
    print("退群只计通过该群活码入群的客户。")
    return 0


def _code_cells(row: CodeDay) -> list[str]:
    name = f"{row.name}（{row.code_id}）"
    return [row.day.isoformat(), name, str(row.joins), str(row.leaves), str(row.joins - row.leaves)]


def headers(by: str | None) -> list[str]:
    who = [BY_TITLE[by]] if by else []
    retention = [f"{k}日留存" for k in RETENTION_DAYS]
    numbers = ["新增客户", "客户删除", "员工删除", "净增", *retention]
    return ["日期", *who, *numbers, "入群", "退群", "群净增", "SOP已发", "SOP已完成"]


def cells(row: StatsRow, by: str | None) -> list[str]:
    who = [label(row)] if by else []
    retention = [percent(row.retention(k)) for k in RETENTION_DAYS]
    counts = [row.new, row.lost_by_customer, row.lost_by_staff, row.net]
    groups = [row.group_joins, row.group_leaves, row.group_net]
    sop = [row.sop_sent, row.sop_completed]
    return [
        row.day.isoformat(),
        *who,
        *map(number, counts),
        *retention,
        *map(number, groups),
        *map(number, sop),
    ]


def label(row: StatsRow) -> str:
    return f"{row.name}（{row.who}）" if row.name and row.name != row.who else row.who


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


def render_table(rows: Sequence[StatsRow], by: str | None) -> str:
    """Rows under the headers, each column as wide as its widest cell; numbers right-aligned."""
    # the date (and the staff member or channel) read left to right
    return table([headers(by), *(cells(row, by) for row in rows)], texts=2 if by else 1)


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
