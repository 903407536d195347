"""The demo's statistics scene: three customers add 李四 while the bot's callback URL is down (WeCom
counts them, the bot never hears of them); WeCom's own figures for today are read and set
against the bot's, and the day is flagged with the member where they differ, by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_date
from bot.wecom_stats.pull import pull
from bot.wecom_stats.reconcile import reconcile

if TYPE_CHECKING:
    from bot.demo import Demo

MISSED = ("wmDemoMissed1", "wmDemoMissed2", "wmDemoMissed3")


async def scene_wecom_stats(demo: Demo) -> None:
    ctx, sandbox = demo.app[HANDLER_CONTEXT], demo.sandbox
    for eid in MISSED:  # made in WeCom with no callback: as if the bot's URL had been down
        sandbox.customer_added_unheard("lisi", eid)
    today = corp_date(sandbox.now())
    await pull(ctx, today, today)
    [check] = await reconcile(ctx, today, 1)
    names = ctx.services.names
    members = "；".join(
        [
            f"{await names.staff(m)} 本系统 {o} / 企业微信 {w}"
            for m, (o, w) in sorted(check.members.items())
        ]
    )
    verdict = f"不一致（{check.gap:+d}）" if check.flagged else "一致"
    demo.say(
        f"读取企业微信自己的统计（{today.isoformat()}）：新增客户 本系统 {check.ours} 位 / "
        f"企业微信 {check.wecom} 位 → {verdict}"
    )
    demo.say(f"  相差的员工：{members}（回调没收到的添加，在这里对得出来）")
