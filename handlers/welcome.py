"""Welcome a customer who just added a staff member, inside WeCom's 20-second window.

The template is chosen by the event's State (channel), then the staff member, then their
department, then the default; its time slots pick the text for now. The customer's name is
looked up only when the text uses it, within a short budget; if that fails, the template's
no-name text goes instead. Attachments get live media ids and product cards just before the
send. What leaves is checked once more after rendering, with the word library as it is now:
a template holding a word blocked since it was saved gives way to the default template (and
when that one is blocked too, nothing is sent). A failure worth retrying is retried while the
window lasts, then counted as failed; a media id WeCom no longer knows is uploaded again for
the retry.
Outcomes are counted per template, per channel and per day (for the admins' daily digest).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.attachments import Attachment, materialize, references, texts_of
from bot.clock import corp_now
from bot.context import HandlerContext
from bot.events import AddExternalContact, AddHalfExternalContact, ContactAdded
from bot.media import MediaGone, MediaLibrary
from bot.names import Names
from bot.routing import Router
from bot.templating import render_or_plain, uses_name
from bot.text.guard import BlockedText
from bot.wecom import WeComError
from bot.wecom.errors import ErrCode
from bot.welcome.templates import WelcomeTemplate

# pinned: handler names are stored as done-marks; urgent: WeCom's 20-second window
router = Router(name="handlers.welcome", urgent=True)

NAME_LOOKUP_SECONDS = 3.0  # of the 20 s window; the welcome must not wait longer for a name
# a retry cannot help: 41050 the code expired, 41051 already sent or the chat started
FINAL_OUTCOMES: dict[int, str] = {
    ErrCode.WELCOME_CODE_EXPIRED: "expired",
    ErrCode.WELCOME_ALREADY_SENT: "already_sent",
}
MEDIA_GONE = ErrCode.INVALID_MEDIA_ID  # older than 3 days, or lost
WINDOW_SECONDS = 20.0
LAST_TRY_SECONDS = 17.0  # a failure later than this can't be retried inside the window

Added = ContactAdded


@router.on(AddExternalContact)
async def welcome_new_customer(event: AddExternalContact, ctx: HandlerContext) -> None:
    await _welcome(event, ctx)


@router.on(AddHalfExternalContact)
async def welcome_half_added_customer(event: AddHalfExternalContact, ctx: HandlerContext) -> None:
    await _welcome(event, ctx)


async def _welcome(event: Added, ctx: HandlerContext) -> None:
    store = ctx.services.welcomes
    names = ctx.services.names

    async def departments() -> list[int]:
        return await names.directory.departments(event.user_id)

    template = await store.choose(event.state, event.user_id, departments)
    if template is None:
        template = await store.ensure_default()
    template_id = template.id if template else ""
    if not event.welcome_code:  # a native welcome is configured, or the chat already began
        await store.count(template_id, event.state, "no_code")
        return
    if template is None:
        await store.count("", event.state, "failed")
        ctx.log.error("no welcome template at all for %s", event.external_userid)
        return
    media = ctx.services.media
    content = await _checked_content(event, ctx, template, media, names)
    if content is None and template.scope != "default":
        # a word blocked since this template was saved: the customer still gets a welcome
        await store.count(template.id, event.state, "fallback")
        template = await store.ensure_default()
        content = await _checked_content(event, ctx, template, media, names) if template else None
    if template is None or content is None:
        await store.count(template.id if template else "", event.state, "blocked")
        return
    try:
        await ctx.wecom.external_contact.send_welcome_msg(
            event.welcome_code, text=content.text or None, attachments=content.ready or None
        )
    except WeComError as exc:
        media_refs = references(content.saved)[0]
        if exc.errcode == MEDIA_GONE and media_refs and not _last_chance(event, ctx):
            await media.forget(media_refs)
            raise MediaGone("WeCom forgot a media id; the retry uploads it again") from exc
        outcome = FINAL_OUTCOMES.get(exc.errcode)
        if outcome is None and exc.retryable and not _last_chance(event, ctx):
            raise  # 41096, -1, timeouts: the pipeline retries while the window lasts
        await store.count(template.id, event.state, outcome or "failed", errcode=exc.errcode)
        ctx.log.info("welcome to %s not sent: %s", event.external_userid, exc.explanation)
        return
    await store.count(template.id, event.state, "sent")


@dataclass(frozen=True, slots=True)
class _Content:
    """A welcome as it leaves: the checked text, the attachments as WeCom takes them, and
    the attachments as saved (their media refs are uploaded again when WeCom forgot one)."""

    text: str
    ready: list[Attachment]
    saved: list[Attachment]


async def _checked_content(
    event: Added,
    ctx: HandlerContext,
    template: WelcomeTemplate,
    media: MediaLibrary,
    names: Names,
) -> _Content | None:
    """The text and attachments as they leave the bot: rendered, then checked against the
    word library as it is now (the template's source was checked when it was saved, but a
    word may have been blocked since). None when a block word is in them."""
    now = corp_now()
    text, without_name, attachments = template.content_for(now)
    either = text + without_name  # a lookup only for a name the text can use
    variables = {
        "customer_name": "",
        # names a customer can read: the member's display name, the channel code's name
        "staff_name": await names.staff(event.user_id) if "staff_name" in either else "",
        "channel_name": await names.channel(event.state) if "channel_name" in either else "",
        "date": now.strftime("%Y-%m-%d"),
    }
    if text and uses_name(text):
        name = await _customer_name(ctx, event.external_userid)
        if name:
            variables["customer_name"] = name
        else:
            text = without_name
    where = f"welcome template {template.id}"
    rendered = render_or_plain(text, variables, where) if text.strip() else ""
    products = ctx.services.products
    ready = await materialize(attachments, media, products, ctx.services.group_codes)
    try:
        rendered = ctx.text.outgoing(rendered)
        for piece in texts_of(ready):
            ctx.text.check_outgoing(piece)
    except BlockedText as exc:
        ctx.log.warning("%s not sent to %s: %s", where, event.external_userid, exc)
        return None
    return _Content(rendered, ready, attachments)


def _last_chance(event: Added, ctx: HandlerContext) -> bool:
    """Whether a retry would come too late for the window, or would be the pipeline's last."""
    arrived = ctx.delivery.received_ms / 1000 or float(event.create_time)
    too_late = time.time() - arrived > LAST_TRY_SECONDS
    return too_late or ctx.delivery.attempt >= ctx.settings.pipeline.max_attempts


async def _customer_name(ctx: HandlerContext, external_userid: str) -> str:
    try:
        async with asyncio.timeout(NAME_LOOKUP_SECONDS):
            data = await ctx.wecom.external_contact.get(external_userid)
    except (WeComError, TimeoutError) as exc:
        ctx.log.info("customer name of %s not available in time: %s", external_userid, exc)
        return ""
    return str(data.get("external_contact", {}).get("name", ""))
