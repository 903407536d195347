"""The `sopmass|…` job: make one batch of SOP mass steps (`bot.sop.batches`) into WeCom tasks.

The batch is closed first (no step joins after), the text rendered once for the member (a
batched step never names the customer), then per 10,000 customers (2,000 groups) a claimed
WeCom task, made after the recipients' places in the mass-message quota are taken (those over
it are left out and logged). Each member step gets the msgid it went out with; a task whose call
got no answer is never repeated, and one WeCom refused for a passing reason is retried.
"""

from __future__ import annotations

import logging

from bot.attachments import materialize
from bot.clock import corp_date, corp_now
from bot.context import HandlerContext
from bot.jobs import Done, Failed, Outcome
from bot.mass.model import MAX_CUSTOMERS, MAX_GROUPS
from bot.mass.quota import MassQuota
from bot.scheduler import Claimed
from bot.sop.batches import SopBatches, parse_batch_job
from bot.sop.rules import SopRule
from bot.stats.recorder import record_sop
from bot.templating import render_or_plain
from bot.text.guard import BlockedText
from bot.wecom import WeComError
from bot.wecom.errors import WeComTransportError
from bot.wecom.transport import JsonDict

log = logging.getLogger(__name__)
OVER_QUOTA = "客户本期的群发次数已用完"


class BatchSender:
    """Runs batch jobs for the job runner."""

    def __init__(self, ctx: HandlerContext) -> None:
        self._ctx = ctx
        self._batches = SopBatches(ctx.redis, ctx.keys)
        self._quota = MassQuota(ctx.redis, ctx.keys, ctx.settings.mass_quota)

    async def __call__(self, claimed: Claimed, now: float) -> Outcome:
        parsed = parse_batch_job(claimed.id)
        if parsed is None:
            return Done()
        batch, rule_id, index, staff = parsed
        rule = await self._ctx.services.sops.get(rule_id)
        entries = await self._batches.close(batch)
        if rule is None or not rule.enabled or index >= len(rule.steps) or not entries:
            return Done()  # the rule ended or was paused meanwhile: nothing goes
        try:
            text, attachments = await self._content(rule, index, staff)
        except BlockedText as exc:
            return Failed(f"内容含敏感词：{exc}", retry=False)
        size = MAX_GROUPS if rule.kind == "group" else MAX_CUSTOMERS
        for n, start in enumerate(range(0, len(entries), size)):
            chunk = entries[start : start + size]
            if await self._batches.claim(batch, n):
                failed = await self._make(rule, staff, batch, n, chunk, text, attachments, now)
                if failed is not None:
                    return failed
        return Done()

    async def _content(self, rule: SopRule, index: int, staff: str) -> tuple[str, list[JsonDict]]:
        step = rule.steps[index]
        variables = {
            "staff_name": await self._ctx.services.names.directory.name(staff),
            "date": corp_now().strftime("%Y-%m-%d"),
        }
        text = render_or_plain(step.text, variables, f"SOP {rule.id} step {index + 1}")
        text = self._ctx.text.outgoing(text) if text else ""
        services = self._ctx.services
        attachments = await materialize(
            step.attachments, services.media, services.products, services.group_codes
        )
        return text, attachments

    async def _make(
        self,
        rule: SopRule,
        staff: str,
        batch: str,
        n: int,
        chunk: list[tuple[str, str]],
        text: str,
        attachments: list[JsonDict],
        now: float,
    ) -> Outcome | None:
        day = corp_date(now)
        kept, over, _ = await self._quota.reserve([t for t, _ in chunk], day)
        if over:
            log.info("SOP %s: %d recipients over the mass quota left out", rule.id, len(over))
            left_out = set(over)
            for target, tid in chunk:
                if target in left_out:
                    await self._ctx.services.sop_tasks.skipped_id(tid, rule.id, OVER_QUOTA)
        msgid = ""
        if kept:
            group = rule.kind == "group"
            try:
                answer = await self._ctx.wecom.external_contact.add_msg_template(
                    sender=staff,
                    text=text or None,
                    attachments=attachments or None,
                    chat_type="group" if group else "single",
                    external_userid=None if group else kept,
                    chat_id_list=kept if group else None,
                )
            except WeComTransportError:  # WeCom may have made it: never again
                await self._batches.made(batch, n, "unknown")
                return None
            except WeComError as exc:
                await self._quota.release(kept, day)
                await self._batches.unclaim(batch, n)
                return Failed(f"企业微信拒绝群发（{exc.errcode}）", retry=exc.retryable)
            msgid = str(answer.get("msgid", ""))
            await self._quota.release([str(t) for t in answer.get("fail_list") or []], day)
        await self._batches.made(batch, n, msgid)
        sent = set(kept)
        for target, tid in chunk:
            if target in sent:
                await self._ctx.services.sop_tasks.sent_id(tid, staff, rule.id, int(now), msgid)
                await record_sop(
                    self._ctx.redis, self._ctx.keys, "sent", staff, int(now), mark=f"sent:{tid}"
                )
        return None
