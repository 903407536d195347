"""Auto-tag customers from the keywords in what they write (any chat source), and keep the
corp tag cache current when tags change in WeCom."""

from __future__ import annotations

import time

from bot.context import HandlerContext
from bot.events import ChatText, ExternalTagEvent
from bot.routing import Router
from bot.sop.triggers import SopTriggers
from bot.tagging.store import MatcherCache
from bot.text.guard import off_loop_if_long

router = Router(name="handlers.tagging")  # pinned: handler names are stored as done-marks

# one compiled matcher per process and corp: rebuilt when an admin changes the rules
_MATCHERS: dict[str, MatcherCache] = {}


def from_a_customer(event: ChatText, ctx: HandlerContext) -> bool:
    return event.sender == "customer" and bool(event.external_userid and event.text)


@router.on(ChatText, from_a_customer)
async def tag_from_keywords(event: ChatText, ctx: HandlerContext) -> None:
    cache = _MATCHERS.setdefault(ctx.keys.base, MatcherCache())
    matcher = await cache.current(ctx.redis, ctx.keys)
    matches = await off_loop_if_long(matcher.match, event.text)
    if not matches:
        return
    tagger = ctx.services.tagger
    marked = await tagger.apply(event, await tagger.due(event, matches))
    if marked:
        ctx.log.info("auto-tagged %s: %s", event.external_userid, [m.tag_id for m in marked])
        # a tag the bot added starts the SOPs waiting for it ("tag" trigger)
        names = {m.rule.id: f"{m.rule.tag_group}/{m.rule.tag_name}" for m in matches}
        sops = SopTriggers.of(ctx)
        for mark in marked:
            await sops.fire(
                "tag", mark.staff, event.external_userid, time.time(), value=names[mark.rule_id]
            )


@router.on(ExternalTagEvent)
async def corp_tags_changed(event: ExternalTagEvent, ctx: HandlerContext) -> None:
    await ctx.services.corp_tags.forget()
