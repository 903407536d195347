"""The demo's mass-send scene: a task to the customers tagged 兴趣/护肤 is previewed (one
customer already at the day's quota is left out, by name), made as one WeCom task per member,
a member confirms in the client and the results roll up."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_date
from bot.mass import actions
from bot.mass.create import make, preview, quota_of
from bot.mass.model import Audience, MassTask
from bot.mass.report import preview_view
from bot.mass.results import refresh, rollup

if TYPE_CHECKING:
    from bot.demo import Demo

CUSTOMERS = (
    ("zhangsan", "wmDemoSkin1", "周小雨"),
    ("zhangsan", "wmDemoSkin2", "吴小晴"),
    ("lisi", "wmDemoSkin3", "郑小岚"),
    ("lisi", "wmDemoSkin4", "冯小月"),
)


async def scene_mass(demo: Demo) -> None:
    ctx, sandbox = demo.app[HANDLER_CONTEXT], demo.sandbox
    ctx = replace(ctx, settings=replace(ctx.settings, mass_quota="day"))
    now = int(sandbox.now())
    for member, eid, name in CUSTOMERS:
        await sandbox.customer_adds_staff(member, eid, name=name)

        async def added(eid: str = eid, member: str = member) -> bool:
            return member in (await ctx.services.profiles.get(eid)).follows

        await demo.wait_for(added, "the customer's profile")  # then the tag, as if synced
        tag = {"tag_id": "etDemoSkin", "group_name": "兴趣", "tag_name": "护肤"}
        follow = {"userid": member, "createtime": now, "tags": [tag]}
        contact = {"external_userid": eid, "name": name}
        await ctx.services.profiles.record_contact(
            {"external_contact": contact, "follow_user": [follow]}, now
        )
    await quota_of(ctx).reserve(["wmDemoSkin4"], corp_date(now))  # got today's one already
    task = await actions.save_new(
        ctx,
        MassTask(
            "",
            "护肤新品",
            "{{ staff_name }}：冬季护肤新品到店",
            audience=Audience(tags_any=("兴趣/护肤",)),
        ),
        by="lisi",
    )
    seen = await preview_view(ctx, task, await preview(ctx, task))
    members = "，".join(f"{m} {n} 位" for m, n in seen["per_member"].items())
    left = "；".join(f"{r}：{'、'.join(v['examples'])}" for r, v in seen["left_out"].items())
    demo.say(f"运营新建群发「护肤新品」（标签 兴趣/护肤）→ 预览：{members}；不发送（{left}）")
    made = await make(ctx, task) or task
    tasks = [t for t in sandbox.mass_tasks if t.text.endswith("冬季护肤新品到店")]
    demo.say(f"  创建 {len(tasks)} 个企业微信群发任务（每位员工一个），员工收到「待您发送」提醒")
    for wecom_task in tasks:
        if wecom_task.sender == "zhangsan":
            sandbox.member_sends_mass(wecom_task.msgid, "zhangsan")
    await refresh(ctx, made)
    numbers = await rollup(ctx, made)
    demo.say(
        f"  张三在群发助手确认发送 → 已送达 {numbers.recipients['sent']} 位，"
        f"待李四发送 {numbers.recipients['unsent']} 位"
    )
