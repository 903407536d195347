"""Churn alerts: when a customer deletes a staff member, that member hears of it with a recall
script to try; when a staff member deletes a customer, the admins hear of it.

Alerts are scheduler jobs (`alert|follow|…`, `alert|admin|…`), so they share the reminders'
per-member message limit, retries and failure reports; the job id makes each alert go once.
"""

from __future__ import annotations

from bot.clock import corp_clock
from bot.context import HandlerContext
from bot.jobs import Done, Later, Outcome
from bot.scheduler import Claimed
from scripts_library.scripts import Script

KIND = "alert"
RECALL_WORDS = ("挽回", "召回", "流失")


def alert_id(audience: str, staff: str, external_userid: str, at: int) -> str:
    """`audience` is "follow" (the member the customer left) or "admin"."""
    return f"{KIND}|{audience}|{staff}|{external_userid}|{at}"


def recall_script(scripts: list[Script]) -> Script | None:
    """The first enabled script filed or keyworded under 挽回/召回/流失, for the member to use."""
    for script in sorted(scripts, key=lambda s: (s.category, s.title)):
        words = [script.category, *script.keywords]
        if script.enabled and any(w in text for w in RECALL_WORDS for text in words):
            return script
    return None


class ChurnAlerts:
    """The handler of `alert|…` jobs."""

    def __init__(self, ctx: HandlerContext) -> None:
        self._ctx = ctx
        self._quota = ctx.services.member_quota

    async def __call__(self, claimed: Claimed, now: float) -> Outcome:
        parts = claimed.id.split("|")
        if len(parts) != 5 or not parts[4].isdigit():
            return Done()
        _, audience, staff, external_userid, at = parts
        profile = await self._ctx.services.profiles.get(external_userid)
        follow = profile.follows.get(staff)
        who = (follow.remark if follow else "") or profile.name or external_userid
        when = corp_clock(int(at))
        if audience == "follow":
            recipients = [staff]
            text = f"客户「{who}」于 {when} 删除了您。"
            script = recall_script(await self._ctx.services.scripts.all())
            if script is not None:
                text += f"\n可以试试挽回话术「{script.title}」：{script.text[:200]}"
        else:
            recipients = sorted(self._ctx.settings.admins)
            names = self._ctx.services.names
            member = await names.staff_for_admins(staff)
            customer = f"「{who}」（{external_userid}）" if who != external_userid else who
            text = f"员工 {member} 于 {when} 删除了客户{customer}。"
        if not recipients:
            return Done()
        for userid in recipients:
            free_at = await self._quota.take(userid, claimed.id, now)
            if free_at is not None:
                return Later(free_at)
        await self._ctx.wecom.message.send_text(recipients, text)
        return Done()
