"""Admin commands: text staff send to the app, answered by the command layer.

Each message is taken as a command at most once (a redelivered or retried event is not run
again: a command that changed something must not change it twice; one cut short is answered
with a notice instead). The answer goes back as the passive reply of the callback request when
that is still waiting, else by `message/send`.
"""

from __future__ import annotations

from bot.admin.commands import AdminCommands
from bot.admin.handoff import ReplyHandoff
from bot.context import HandlerContext
from bot.events import TextMessage
from bot.routing import Router

router = Router(name="handlers.admin")  # pinned: handler names are stored as done-marks

SEEN_SECONDS = 86400
RUNNING, ANSWERED, SILENT = "running", "answered:", "silent"
# the answer to a command whose first run was cut short (its process died, Redis went away):
# it is not run again, since it may have changed something already, but the admin is told
INTERRUPTED = (
    "这条命令在执行中被中断，可能没有完成。为避免重复执行，不会自动重做；"
    "请先查看结果（例如「话术 搜索」），需要时再发送一次。"
)


def has_text(event: TextMessage, ctx: HandlerContext) -> bool:
    return bool(event.msg_id and event.content and event.user_id)


@router.on(TextMessage, has_text)
async def run_admin_command(event: TextMessage, ctx: HandlerContext) -> None:
    seen = ctx.keys.admin_seen(event.msg_id)
    if await ctx.redis.set(seen, RUNNING, nx=True, ex=SEEN_SECONDS):
        answer = await AdminCommands(ctx).answer(event.user_id, event.content)
        if answer is None:
            await ctx.redis.set(seen, SILENT, ex=SEEN_SECONDS)  # not a command: nothing to say
            return
    else:
        earlier = str(await ctx.redis.get(seen) or "")
        if earlier == RUNNING:
            answer = INTERRUPTED  # died mid-command: not run twice, but answered
        elif earlier.startswith(ANSWERED):
            answer = earlier.removeprefix(ANSWERED)  # a retry after a failed send
        else:
            return  # ran before and said nothing
    # kept, so that a retry after a failed send repeats the answer, not the command
    await ctx.redis.set(seen, ANSWERED + answer, ex=SEEN_SECONDS)
    if await ReplyHandoff(ctx.redis, ctx.keys).offer(event.msg_id, answer):
        return
    await ctx.wecom.message.send_text([event.user_id], answer)
