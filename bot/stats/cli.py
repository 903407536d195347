"""`scrm-bot stats`: the operating statistics of the last days as a table (or JSON)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli.output import admin_services, print_json
from bot.clock import corp_now
from bot.config import Settings
from bot.group_codes.stats_cli import GROUP_CODE, print_code_days, print_funnel
from bot.stats.report import BY, MAX_DAYS, RETENTION_DAYS, StatsRow, day_range, read_stats
from bot.stats.table import number, percent, table

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
    stats.add_argument(
        "--funnel",
        action="store_true",
        help="the guided-entry funnel per channel and add day: added, welcomed, joined a group",
    )
    stats.add_argument("--json", action="store_true", help="print the rows as JSON")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if not 1 <= args.days <= MAX_DAYS:
        print(f"错误：--days 应在 1 到 {MAX_DAYS} 之间（统计保留 {MAX_DAYS} 天）", file=sys.stderr)
        return 2
    today = corp_now().date()
    if args.funnel:
        return await print_funnel(settings, args.days, args.json)
    if args.by == GROUP_CODE:
        return await print_code_days(settings, args.days, args.json)
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


def render_table(rows: Sequence[StatsRow], by: str | None) -> str:
    """Rows under the headers, each column as wide as its widest cell; numbers right-aligned."""
    # the date (and the staff member or channel) read left to right
    return table([headers(by), *(cells(row, by) for row in rows)], texts=2 if by else 1)
