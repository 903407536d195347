"""The demo's admin scene: an admin adds a script by chatting with the app, a member finds it
in the sidebar at once; a delete asks for a code, and 撤销 takes it back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.demo.sidebar import signed_in

if TYPE_CHECKING:
    from bot.demo import Demo

ADMIN = "lisi"  # the demo's SCRM_ADMINS
NEW_SCRIPT = (
    "话术 新增 售后/换货 | 换货流程 | "
    "{{ customer_name }}您好，换货请在订单页点「申请换货」，新货 48 小时内发出。"
)


async def ask(demo: Demo, userid: str, text: str) -> str:
    """Send `text` to the app as `userid`, print it and the answer; returns the answer."""
    before = len(demo.sandbox.app_messages(userid))
    result = await demo.sandbox.staff_sends_text(userid, text)
    answer = result.passive_reply
    if not answer:

        async def sent() -> bool:
            return len(demo.sandbox.app_messages(userid)) > before

        await demo.wait_for(sent, "the answer to an admin command")
        answer = str(demo.sandbox.app_messages(userid)[-1].content["content"])
    how = "被动回复" if result.passive_reply else "应用消息"
    demo.say(f"  {userid} → 应用：{text.splitlines()[0]}")
    demo.say("  应用（" + how + "）：" + answer.replace("\n", "\n    "))
    return answer


async def scene_admin_chat(demo: Demo) -> None:
    demo.say("管理员「李四」在企业微信里给应用发消息，管理话术库：")
    added = await ask(demo, ADMIN, NEW_SCRIPT)
    found = re.search(r"编号 ([0-9a-f]{8})", added)
    if found is None:
        raise RuntimeError(f"demo: the script was not added: {added}")
    script_id = found.group(1)
    async with signed_in(demo, "zhangsan") as (call, _csrf):
        _, result = await call("GET", "api/scripts", params={"q": "换货"})
    titles = [s["title"] for s in result["scripts"] if s["id"] == script_id]
    demo.say(f"  员工「张三」在聊天工具栏搜索「换货」→ {'、'.join(titles) or '没有找到'}")
    await ask(demo, "zhangsan", "话术 删除 " + script_id)  # not an admin: refused
    confirm = await ask(demo, ADMIN, "话术 删除 " + script_id)
    code = re.search(r"确认 (\d{4})", confirm)
    if code is not None:
        await ask(demo, ADMIN, f"确认 {code.group(1)}")
    await ask(demo, ADMIN, "撤销")
