"""Demo scenes for SOP reminders and churn alerts, on the sandbox's clock.

The reminder is due three days after the add; the demo moves the sandbox's clock forward and
runs the due jobs at that time, as the scheduler in every process would once the days passed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS
from bot.sop.rules import SopRule, SopStep
from bot.sop.runner import job_runner
from bot.sop.store import SopStore

if TYPE_CHECKING:
    from bot.demo import Demo

CUSTOMER = "wmDemoCustomer01"


async def scene_sop_rule(demo: Demo) -> None:
    store = SopStore(demo.app[REDIS], demo.app[KEYS])
    step = SopStep(
        text="{{ customer_name }}您好，新买的用得还顺手吗？有问题随时找我~", days=3, at="10:20"
    )
    await store.save(SopRule("", "新客关怀", [step]), "lisi", None)
    demo.say("管理员设好客户 SOP「新客关怀」：添加客户后第 3 天 10:20 提醒员工发送关怀消息")


def _about(demo: Demo, customer: str) -> list[dict[str, str]]:
    cards = [m.content for m in demo.sandbox.app_messages("zhangsan") if m.msgtype == "textcard"]
    return [card for card in cards if customer in card["description"]]


async def scene_sop_reminder(demo: Demo) -> None:
    sandbox = demo.sandbox
    # from here on WeCom's time runs ahead of this machine's: callbacks keep their transport
    # timestamps on the bot's own clock, which checks them against replays
    if sandbox.driver is not None:
        sandbox.driver.clock = time.time
    sandbox.advance(3 * 86400)
    runner = job_runner(demo.app[HANDLER_CONTEXT])
    for _ in range(3 * 24 * 60):  # minute by minute until 王小明's 10:20 reminder went out
        await runner.run_due(sandbox.now())
        if _about(demo, "王小明"):
            break
        sandbox.advance(60)
    [card] = _about(demo, "王小明")
    demo.say("（沙箱时钟拨快到 3 天后 10:20）")
    demo.say(f"  → 员工「张三」收到 SOP 提醒卡片「{card['title']}」：")
    for line in card["description"].splitlines():
        demo.say(f"      {line}")
    demo.say(f"     按钮「去发送」打开侧边栏：{card['url']}")


async def scene_churn(demo: Demo) -> None:
    result = await demo.sandbox.customer_deletes_staff("zhangsan", CUSTOMER)
    statuses = [a.status for a in result.delivery.attempts] if result.delivery else []
    demo.say(f"客户删除了员工「张三」 → del_follow_user 已接收（应答 {statuses}）")
    runner = job_runner(demo.app[HANDLER_CONTEXT])

    async def alerted() -> bool:
        await runner.run_due(demo.sandbox.now())
        return any("删除了您" in t for t in _texts(demo))

    await demo.wait_for(alerted, "the churn alert")
    alert = next(t for t in _texts(demo) if "删除了您" in t)
    demo.say(f"  → 张三收到流失提醒：{alert.splitlines()[0]}")


def _texts(demo: Demo) -> list[str]:
    return [
        m.content["content"] for m in demo.sandbox.app_messages("zhangsan") if m.msgtype == "text"
    ]
