"""The group live codes' part of `scrm-bot stats`: `--by group-code` (joins, leaves and net
per code and day) and `--funnel` (the guided-entry funnel per channel and add day)."""

from __future__ import annotations

from bot.cli.output import admin_services, print_json
from bot.clock import corp_now
from bot.config import Settings
from bot.group_codes.funnel import funnel
from bot.group_codes.report import GROUP_CODE, CodeDay, code_days
from bot.stats.report import day_range
from bot.stats.table import percent, table

__all__ = ["GROUP_CODE", "print_code_days", "print_funnel"]


async def print_code_days(settings: Settings, days: int, as_json: bool) -> int:
    """Joins and leaves per group live code and day (the code's page in the console has more)."""
    today = corp_now().date()
    async with admin_services(settings) as services:
        stores = services.stores
        codes = await stores.group_codes.list()
        rows = await code_days(codes, stores.group_code_stats, days, today)
    if as_json:
        print_json([row.as_dict() for row in rows])
        return 0
    if not rows:
        print("还没有群活码")
        return 0
    print(f"群活码统计：{day_range(days, today)[0]} 至 {today}")
    header = ["日期", "群活码", "入群", "退群", "净增"]
    print(table([header, *(_code_cells(row) for row in rows)], texts=2))
    print("退群只计通过该群活码入群的客户。")
    return 0


async def print_funnel(settings: Settings, days: int, as_json: bool) -> int:
    """The guided-entry funnel per channel and add day (`scrm-bot stats --funnel`)."""
    today = corp_now().date()
    async with admin_services(settings) as services:
        stores = services.stores
        rows = await funnel(
            services.redis, services.keys, stores.group_code_stats, stores.names, days, today
        )
    if as_json:
        print_json([row.as_dict() for row in rows])
        return 0
    if not rows:
        print(f"最近 {days} 天没有通过渠道活码添加的客户")
        return 0
    print(f"引导入群漏斗（按添加日）：{day_range(days, today)[0]} 至 {today}")
    header = ["添加日", "渠道", "添加", "已发欢迎语", "入群", "入群率"]
    lines = [
        [
            row.day.isoformat(),
            f"{row.name}（{row.channel}）" if row.name else row.channel,
            str(row.added),
            str(row.welcomed),
            str(row.joined),
            percent(row.joined_share),
        ]
        for row in rows
    ]
    print(table([header, *lines], texts=2))
    print(FUNNEL_NOTE)
    return 0


FUNNEL_NOTE = (
    "入群：这天通过该渠道添加、之后经群活码入群的客户（每人计一次）；"
    "扫码但未添加的无法统计（企业微信只推送添加事件）。"
)


def _code_cells(row: CodeDay) -> list[str]:
    name = f"{row.name}（{row.code_id}）"
    return [row.day.isoformat(), name, str(row.joins), str(row.leaves), str(row.joins - row.leaves)]
