"""The demo's inheritance scene (离职继承): 王五 leaves with three customers and a customer
group, the admin is told what waits, hands them to 张三 and 李四 in turn, one customer declines,
and a day later (on the sandbox's clock) the rest are taken over and their profiles follow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.appkeys import HANDLER_CONTEXT
from bot.inheritance.runner import DAY, poll, start

if TYPE_CHECKING:
    from bot.demo import Demo

CUSTOMERS = (("wmDemoLeave1", "孙小雅"), ("wmDemoLeave2", "钱小川"), ("wmDemoLeave3", "冯小禾"))
STATUS = {1: "已接替", 3: "客户拒绝", 4: "接替成员客户已满"}


async def scene_inheritance(demo: Demo) -> None:
    ctx, sandbox = demo.app[HANDLER_CONTEXT], demo.sandbox
    for eid, name in CUSTOMERS:
        await sandbox.customer_adds_staff("wangwu", eid, name=name)

        async def added(eid: str = eid) -> bool:
            return "wangwu" in (await ctx.services.profiles.get(eid)).follows

        await demo.wait_for(added, "the customer's profile")
    await sandbox.group_created("wangwu", "wrDemoLeave", [CUSTOMERS[0][0]], name="王五的会员群")
    await sandbox.member_resigns("wangwu")

    def alert() -> str:
        texts = (str(m.content.get("content", "")) for m in sandbox.app_messages("lisi"))
        return next((t for t in texts if "【离职继承】" in t), "")

    async def alerted() -> bool:
        return bool(alert())

    await demo.wait_for(alerted, "the admins' alert")
    demo.say("员工「王五」离职 → 管理员「李四」收到提醒：")
    demo.say(f"    {alert().split('。')[0]}。")
    handover = await start(
        ctx, "resigned", "wangwu", ["zhangsan", "lisi"], "round_robin", by="lisi"
    )
    names = ctx.services.names
    rows = await ctx.services.inheritance.customers(handover.id)
    split = "，".join(
        [
            f"{await names.customer(c) or c}→{await names.staff(r['to'])}"
            for c, r in sorted(rows.items())
        ]
    )
    demo.say(
        f"  管理员按「轮流分配」把 {len(rows)} 位客户分给张三和李四：{split}；客户群随之转给新群主"
    )
    await sandbox.customer_refuses_transfer(CUSTOMERS[1][0])
    sandbox.advance(DAY + 60)  # WeCom takes a transfer over 24 hours after it is made
    await sandbox.settle_transfers()
    await poll(ctx, handover)
    rows = await ctx.services.inheritance.customers(handover.id)
    results = "，".join(
        [
            f"{await names.customer(c) or c} {STATUS.get(int(r['status']), '等待中')}"
            for c, r in sorted(rows.items())
        ]
    )
    first = await ctx.services.profiles.get(CUSTOMERS[0][0])
    follows = "、".join(
        [await names.staff(u) for u, f in sorted(first.follows.items()) if f.connected]
    )
    demo.say(f"  （沙箱时钟拨快 24 小时）企业微信确认接替：{results}")
    demo.say(f"  客户画像随之更新：{CUSTOMERS[0][1]}现在的跟进员工是 {follows}")
