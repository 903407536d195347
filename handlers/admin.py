"""Admin commands: text staff send to the app, answered by the command layer.

Each message is taken as a command at most once (a redelivered or retried event is not run
again: a command that changed something must not change it twice; one cut short is answered
with a notice instead). The answer goes back as the passive reply of the callback request when
that is still waiting, else by `message/send`.
"""

from __future__ import annotations

from bot.admin.commands import AdminCommands
from bot.admin.marks import Earlier
from bot.context import HandlerContext
from bot.events import TextMessage
from bot.routing import Router

# pinned: handler names are stored as done-marks; urgent: the admin waits for the answer
router = Router(name="handlers.admin", urgent=True)

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
    marks = ctx.services.command_marks
    if await marks.claim(event.msg_id):
        answer = await AdminCommands(ctx).answer(event.user_id, event.content)
        if answer is None:
            await marks.silent(event.msg_id)  # not a command: nothing to say
            return
    else:
        earlier = await marks.earlier(event.msg_id)
        if earlier is Earlier.SILENT:
            return  # ran before and said nothing
        # died mid-command: not run twice, but answered; else a retry after a failed send
        answer = INTERRUPTED if earlier is Earlier.INTERRUPTED else earlier
    # kept, so that a retry after a failed send repeats the answer, not the command
    await marks.answered(event.msg_id, answer)
    if await ctx.services.handoff.offer(event.msg_id, answer):
        return
    await ctx.wecom.message.send_text([event.user_id], answer)
