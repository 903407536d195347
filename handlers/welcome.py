"""Welcome a customer who just added a staff member, inside WeCom's 20-second window.

This is the foundation's default welcome: one fixed text for every new customer. Templates
chosen by channel code, staff or department come with the welcome feature.
"""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import AddExternalContact, AddHalfExternalContact
from bot.routing import Router
from bot.wecom import WeComError

router = Router(name=__name__)

DEFAULT_WELCOME_TEXT = "您好，很高兴认识您！我是您的专属顾问，有任何问题随时在这里找我。"

# 41050 expired, 41051 already sent / chat started: a retry cannot succeed
FINAL_ERRCODES = frozenset({41050, 41051})


Added = AddExternalContact | AddHalfExternalContact


def has_welcome_code(event: Added, ctx: HandlerContext) -> bool:
    return bool(event.welcome_code)


@router.on(AddExternalContact, has_welcome_code)
async def send_default_welcome(event: AddExternalContact, ctx: HandlerContext) -> None:
    await _welcome(event, ctx)


@router.on(AddHalfExternalContact, has_welcome_code)
async def send_default_half_welcome(event: AddHalfExternalContact, ctx: HandlerContext) -> None:
    await _welcome(event, ctx)


async def _welcome(event: Added, ctx: HandlerContext) -> None:
    try:
        await ctx.wecom.external_contact.send_welcome_msg(
            event.welcome_code, text=DEFAULT_WELCOME_TEXT
        )
    except WeComError as exc:
        if exc.errcode not in FINAL_ERRCODES:
            raise
        ctx.log.info(
            "welcome to %s not sent: %s (%s)", event.external_user_id, exc.errcode, exc.explanation
        )
        return
    ctx.log.info("welcome sent to %s for %s", event.external_user_id, event.user_id)
