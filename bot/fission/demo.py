"""The demo's fission scene: an activity (invite 2 new friends, stay 0 hours for the demo);
a customer asks for their poster in WeChat Customer Service and gets it; two friends add
through it, a third who was already a customer doesn't count; the goal met, the reward is
issued once and handed to the member. (The periodic work that counts and rewards runs once a
minute; the scene runs it at once.)"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING

from PIL import Image

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_now
from bot.fission.model import TIME_FORMAT, Activity
from bot.fission.periodic import confirm_due, settle_rewards
from bot.media import MediaLibrary

if TYPE_CHECKING:
    from bot.demo import Demo


def _background() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (750, 1200), "#ffe4ec").save(out, "PNG")
    return out.getvalue()


async def scene_fission(demo: Demo) -> None:
    ctx, sandbox = demo.app[HANDLER_CONTEXT], demo.sandbox
    store = ctx.services.fission
    poster = await MediaLibrary(ctx.redis, ctx.keys, ctx.wecom.media).add(
        "image", "spring.png", _background()
    )
    now = corp_now()
    activity = await store.save(
        Activity(
            "",
            "邀2位好友领券",
            ["zhangsan"],
            (now - timedelta(hours=1)).strftime(TIME_FORMAT),
            (now + timedelta(days=7)).strftime(TIME_FORMAT),
            goal=2,
            hold_hours=0,
            reward="coupon",
            poster_ref=poster,
            poster_text="春季新人礼：邀 2 位好友，领 20 元券",
        ),
        ctx.text,
    )
    await store.add_coupons(activity.id, ["SPRING-20-0001", "SPRING-20-0002"])
    demo.say("运营创建裂变活动「邀2位好友领券」（奖励：券码，共 2 张）")
    await sandbox.customer_adds_staff("zhangsan", "wmDemoInviter", name="林小北")
    replies = len(sandbox.state.kf_replies)
    await sandbox.kf_message("wmDemoInviter", "邀请海报")

    async def poster_sent() -> bool:
        return len(sandbox.state.kf_replies) >= replies + 2

    await demo.wait_for(poster_sent, "the fission poster")
    demo.say("  客户「林小北」在微信客服发「邀请海报」→ 收到专属海报图片和活动说明")
    code = await store.participant(activity.id, "wmDemoInviter") or {}
    await sandbox.customer_adds_staff("lisi", "wmDemoOldFriend", name="老客户")
    for friend in ("wmDemoFriend1", "wmDemoFriend2", "wmDemoOldFriend"):
        await sandbox.customer_adds_staff("zhangsan", friend, config_id=str(code["config_id"]))

    async def recorded() -> bool:
        return len(await store.invitees(activity.id)) == 3

    await demo.wait_for(recorded, "the invitees")
    statuses = [i.status for i in await store.invitees(activity.id)]
    demo.say(
        f"  3 位好友扫海报添加：新客 {statuses.count('pending')} 位计入，"
        f"老客 {statuses.count('not_new')} 位不计（防羊毛党）"
    )
    await confirm_due(ctx)
    issued = await settle_rewards(ctx) + await settle_rewards(ctx)  # a second round: nothing
    [reward] = (await store.rewards(activity.id)).values()
    demo.say(
        f"  达成 2/2 → 奖励发放 {issued} 次（券码 {reward['coupon']}），"
        "张三收到应用消息，确认后群发给林小北"
    )
