"""The group live codes' periodic work: admins are told, once a day, of a code whose groups are
all (nearly) full while it creates no new group — before a customer scans it in vain."""

from __future__ import annotations

import logging

from bot.clock import corp_now
from bot.context import HandlerContext
from bot.group_codes.codes import QR_GROUP_LIMIT
from bot.group_codes.store import group_fill
from bot.periodic import PeriodicWork
from bot.wecom import WeComError

FILL_CHECK_SECONDS = 1800.0
NEAR_FULL = QR_GROUP_LIMIT - 10  # warn while a few places are left
WARNED_SECONDS = 2 * 86400

log = logging.getLogger(__name__)


async def warn_full_codes(ctx: HandlerContext) -> int:
    """Tell the admins of each code that can't take more customers soon; returns how many."""
    store = ctx.services.group_codes
    day = corp_now().date().isoformat()
    warned = 0
    for code in await store.list():
        if code.auto_create:
            continue  # WeCom makes the next group itself
        try:
            counts = [group.members for group in await group_fill(code, ctx.wecom.external_contact)]
        except WeComError as exc:  # one code's trouble must not hold up the others
            log.warning("group code %s: fill not read: %s", code.id, exc)
            continue
        if not counts or min(counts) < NEAR_FULL:
            continue
        if not await ctx.redis.set(
            ctx.keys.group_code_warned(code.id, day), "1", nx=True, ex=WARNED_SECONDS
        ):
            continue  # told today already
        text = (
            f"【群活码快满了】「{code.name}」的 {len(counts)} 个群都已有 {min(counts)} 人以上"
            f"（每群上限 {QR_GROUP_LIMIT}），且没有开启自动建群，新客户扫码将无法入群。"
            f"请加新群或开启自动建群：scrm-bot group-codes update {code.id} --chats …"
        )
        if ctx.settings.admins:
            await ctx.wecom.message.send_text(sorted(ctx.settings.admins), text)
        log.warning("group code %s: every group nearly full, admins told", code.id)
        warned += 1
    return warned


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    async def check() -> int:
        return await warn_full_codes(ctx)

    return [
        PeriodicWork(
            "group-code-fill", FILL_CHECK_SECONDS, check, ctx.keys.group_codes_lock, lock_ttl=600
        )
    ]
