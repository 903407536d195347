"""The demo's group live code scene: the operator makes a code over two groups, the first
already full; one customer scans and lands in the second, the second fills, and the next
customer's scan lands in a group WeCom creates — each join counted for the code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_now
from bot.group_codes.codes import QR_GROUP_LIMIT, GroupCode
from bot.group_codes.report import report

if TYPE_CHECKING:
    from bot.demo import Demo

GROUPS = (("wrDemoCodeGroup01", "福利一群"), ("wrDemoCodeGroup02", "福利二群"))


async def _fill(demo: Demo, chat_id: str) -> None:
    """Members up to the QR join limit, as if the group had filled over weeks."""
    members = demo.sandbox.state.groups[chat_id].members
    members += [f"wmDemoFill{chat_id[-2:]}{n:03d}" for n in range(QR_GROUP_LIMIT - len(members))]


async def scene_group_code(demo: Demo) -> None:
    sandbox, ctx = demo.sandbox, demo.app[HANDLER_CONTEXT]
    for chat_id, name in GROUPS:
        await sandbox.group_created("zhangsan", chat_id, name=name)
    await _fill(demo, GROUPS[0][0])
    code = await ctx.services.group_codes.create(
        GroupCode("", "直播间群码", [c for c, _ in GROUPS], room_base_name="福利群", room_base_id=3)
    )
    demo.say(f"运营创建群活码「直播间群码」（福利一群已满 {QR_GROUP_LIMIT} 人，满后自动建群）")
    first = await sandbox.customer_joins_via_code(code.config_id, "wmDemoCustomer03")
    joined = sandbox.state.groups[str(first.chat_id)].name
    demo.say(f"  客户扫码 → 进入「{joined}」（一群已满，跳过）")
    await _fill(demo, GROUPS[1][0])
    made = await sandbox.customer_joins_via_code(code.config_id, "wmDemoCustomer04")
    created = sandbox.state.groups[str(made.chat_id)].name
    demo.say(f"  二群也满了，下一位客户扫码 → 企业微信自动新建「{created}」")
    stats = ctx.services.group_code_stats

    async def counted() -> bool:
        return (await stats.summary(code.id, 1, corp_now().date())).joins == 2

    await demo.wait_for(counted, "the group code's joins")
    found = await report(code, stats, ctx.wecom.external_contact, corp_now().date())
    demo.say(
        f"  → 按活码统计：今日入群 {found.spans[0].joins} 人，自动新建群 {found.created} 个；"
        "管理后台「群活码」页可下载二维码"
    )
