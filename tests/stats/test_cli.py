"""`scrm-bot stats`: a table aligned for Chinese text, per staff member or channel, and JSON."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from redis.asyncio import Redis

from bot.cli import main
from bot.clock import corp_date
from bot.config import Settings
from bot.directory import StaffDirectory
from bot.keys import RedisKeys
from bot.stats.table import width
from bot.wecom import WeComClient
from bot.welcome.channels import Channel, ChannelStore
from tests.stats.conftest import seed_day

COLUMNS = (
    "新增客户 客户删除 员工删除 净增 1日留存 7日留存 30日留存 入群 退群 群净增 SOP已发 SOP已完成"
)


async def cli(*argv: str) -> int:
    """The CLI runs its own event loop, so it runs in a worker thread beside the test's."""
    return await asyncio.to_thread(main, list(argv))


def table(out: str) -> list[list[str]]:
    """The table's lines (after the title, before the note), split into cells."""
    lines = out.splitlines()[1:-1]
    assert len({width(line) for line in lines}) == 1, out  # every row as wide: aligned
    return [line.split() for line in lines]


async def test_stats_command(
    sandbox_cli_env: Settings,
    redis: Redis,
    keys: RedisKeys,
    sandbox_wecom: WeComClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = int(time.time())
    today = corp_date(now).isoformat()
    await seed_day(redis, keys, now)
    await ChannelStore(redis, keys).save(Channel("spring", "春季海报", users=["zhangsan"]))
    await StaffDirectory(redis, keys, sandbox_wecom.user).name("zhangsan")  # caches 张三

    assert await cli("stats") == 0
    out = capsys.readouterr().out
    assert out.startswith("运营统计：") and out.rstrip().endswith("转移给其他员工不算流失。")
    header, *rows = table(out)
    assert header == ["日期", *COLUMNS.split()]
    assert len(rows) == 7 and rows[-1][0] == today
    assert rows[-1][1:] == ["3", "0", "1", "2", "—", "—", "—", "3", "1", "2", "2", "1"]
    assert rows[0][1:5] == ["0", "0", "0", "0"]

    assert await cli("stats", "--days", "1", "--by", "staff") == 0
    header, *rows = table(capsys.readouterr().out)
    assert header[:2] == ["日期", "员工"]
    assert rows == [
        [today, "lisi", "1", "0", "1", "0", "—", "—", "—", "—", "—", "—", "0", "0"],
        [today, "张三（zhangsan）", "2", "0", "0", "2", "—", "—", "—", "—", "—", "—", "2", "1"],
    ]

    assert await cli("stats", "--days", "1", "--by", "channel") == 0
    header, *rows = table(capsys.readouterr().out)
    assert header[1] == "渠道"
    assert rows == [[today, "春季海报（spring）", "1", *["0", "0", "1"], *["—"] * 8]]

    assert await cli("stats", "--days", "2", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert [row["day"] for row in shown][-1] == today and len(shown) == 2
    assert shown[-1] == {
        "day": today,
        "new_customers": 3,
        "lost_by_customer": 0,
        "lost_by_staff": 1,
        "transferred": 0,
        "net": 2,
        "retention_1d": None,
        "retention_7d": None,
        "retention_30d": None,
        "group_joins": 3,
        "group_leaves": 1,
        "group_net": 2,
        "sop_sent": 2,
        "sop_completed": 1,
    }
    assert await cli("stats", "--days", "1", "--by", "channel", "--json") == 0
    [spring] = json.loads(capsys.readouterr().out)
    assert (spring["channel"], spring["name"], spring["sop_sent"]) == ("spring", "春季海报", None)

    assert await cli("stats", "--days", "0") == 2
    assert "--days 应在 1 到 400 之间" in capsys.readouterr().err


async def test_nothing_per_staff_says_so(
    sandbox_cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("stats", "--by", "staff") == 0
    assert capsys.readouterr().out.strip() == "最近 7 天没有按员工的统计数据"
