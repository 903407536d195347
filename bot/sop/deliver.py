"""Running SOP jobs: a step goes to its staff member (a reminder card, or a mass-message task
to confirm), then the next step is scheduled; a calendar occurrence expands into steps.

A step is dropped, never sent, when its rule was deleted or paused, the step no longer exists,
or the customer and the staff member are no longer connected. Quiet hours and the member's
message limit (30 a minute, 1,000 an hour) make it wait, not fail. The task record is written
before the send and marked sent after it, so a job reclaimed after a crash doesn't send twice
what it already sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.attachments import materialize
from bot.context import HandlerContext
from bot.directory import StaffDirectory
from bot.jobs import Done, Failed, Later, Outcome
from bot.media import MediaLibrary
from bot.profiles.store import ProfileStore
from bot.scheduler import Claimed
from bot.sop import jobs
from bot.sop.rules import SopRule, SopStep, next_occurrence, outside_quiet_hours, step_due
from bot.sop.store import SopStore
from bot.sop.tasks import SopTask, TaskStore, task_id
from bot.stats.recorder import record_sop
from bot.templating import render
from bot.text.guard import BlockedText
from bot.wecom.member_quota import MemberQuota
from bot.welcome.templates import corp_now
from scripts_library.products import ProductStore

TITLE_BYTES, DESCRIPTION_BYTES = 128, 512


def clip(text: str, max_bytes: int) -> str:
    """`text` cut to fit `max_bytes` of UTF-8, with an ellipsis when cut."""
    if len(text.encode()) <= max_bytes:
        return text
    cut = text.encode()[: max_bytes - 3].decode("utf-8", errors="ignore")
    return cut + "…"


@dataclass(frozen=True, slots=True)
class Target:
    """Who a step is about, as the reminder names them."""

    name: str
    connected: bool
    tags: frozenset[str]


class SopDelivery:
    """The handlers of `sop|…` and `sopfire|…` jobs."""

    def __init__(self, ctx: HandlerContext) -> None:
        self._ctx = ctx
        self._store = SopStore(ctx.redis, ctx.keys)
        self._tasks = TaskStore(ctx.redis, ctx.keys)
        self._quota = MemberQuota(ctx.redis, ctx.keys)
        self._profiles = ProfileStore(ctx.redis, ctx.keys)
        self._directory = StaffDirectory(ctx.redis, ctx.keys, ctx.wecom.user)

    async def step(self, claimed: Claimed, now: float) -> Outcome:
        job = jobs.parse_step(claimed.id)
        rule = await self._store.get(job.rule_id) if job else None
        if job is None or rule is None or not rule.enabled or job.index >= len(rule.steps):
            return Done()  # the rule ended, was paused or lost this step: nothing to send
        target = await self._target(rule, job)
        if not target.connected:
            return Done()  # the customer and the member parted: the rest never goes out
        step = rule.steps[job.index]
        if rule.tags and target.tags.isdisjoint(rule.tags):
            await self._schedule_next(rule, job)  # not in the audience now; maybe later
            return Done()
        wake = outside_quiet_hours(rule, now)
        if wake > now:
            return Later(wake)
        task = await self._tasks.get(task_id(claimed.id))
        if task is None or task.status == "sending":
            if step.delivery == "reminder":
                free_at = await self._quota.take(job.staff, claimed.id, now)
                if free_at is not None:
                    return Later(free_at)
            outcome = await self._send(rule, step, job, target, now)
            if outcome is not None:
                return outcome
        await self._schedule_next(rule, job)
        return Done()

    async def _target(self, rule: SopRule, job: jobs.StepJob) -> Target:
        if rule.kind == "group" or job.target == "*":
            return Target("", True, frozenset())
        profile = await self._profiles.get(job.target)
        follow = profile.follows.get(job.staff)
        if follow is None:  # no record of the relation (yet): don't hold the reminder back
            return Target(profile.name, True, frozenset())
        tags = frozenset(f"{t.group}/{t.name}" for t in follow.tags)
        return Target(follow.remark or profile.name, follow.connected, tags)

    async def _send(
        self,
        rule: SopRule,
        step: SopStep,
        job: jobs.StepJob,
        target: Target,
        now: float,
    ) -> Outcome | None:
        job_id = job.id
        staff_name = await self._directory.name(job.staff)
        variables = {
            "customer_name": target.name,
            "staff_name": staff_name,
            "date": corp_now().strftime("%Y-%m-%d"),
        }
        text = render(step.text, variables)
        try:
            self._ctx.text.check_outgoing(text)
        except BlockedText as exc:  # a word blocked since the rule was saved
            return Failed(f"内容含敏感词：{exc}", retry=False)
        task = SopTask(
            id=task_id(job_id),
            job=job_id,
            rule_id=rule.id,
            rule_name=rule.name,
            step=job.index,
            staff=job.staff,
            target=job.target,
            kind=rule.kind,
            delivery=step.delivery,
            text=text,
            attachments=step.attachments,
            target_name=target.name,
        )
        await self._tasks.begin(task)
        msgid = ""
        if step.delivery == "mass":
            msgid = await self._mass(rule, job, text, step)
        else:
            await self._remind(rule, job, task)
        await self._tasks.sent(task, int(now), msgid)
        await record_sop(
            self._ctx.redis, self._ctx.keys, "sent", job.staff, int(now), mark=f"sent:{task.id}"
        )
        return None

    async def _remind(self, rule: SopRule, job: jobs.StepJob, task: SopTask) -> None:
        who = {"customer": "客户", "group": "客户群"}[rule.kind]
        if job.target == "*":
            about = "您的客户（按 SOP 受众）"
        else:
            about = f"{who}：{task.target_name or job.target}"
        description = f"{about}\n第 {job.index + 1} 步 · {task.text}"
        url = f"{self._ctx.settings.public_url}/sidebar/sop/{task.id}"
        await self._ctx.wecom.message.send_textcard(
            [job.staff],
            clip(f"SOP 提醒：{rule.name}", TITLE_BYTES),
            clip(description, DESCRIPTION_BYTES),
            url,
            btntxt="去发送",
        )

    async def _mass(self, rule: SopRule, job: jobs.StepJob, text: str, step: SopStep) -> str:
        media = MediaLibrary(self._ctx.redis, self._ctx.keys, self._ctx.wecom.media)
        products = ProductStore(self._ctx.redis, self._ctx.keys)
        attachments = await materialize(step.attachments, media, products)
        contact = self._ctx.wecom.external_contact
        group = rule.kind == "group"
        answer = await contact.add_msg_template(
            sender=job.staff,
            text=text or None,
            attachments=attachments or None,
            chat_type="group" if group else "single",
            chat_id_list=[job.target] if group else None,
            # "*": a calendar SOP for all the member's customers, chosen by the member
            external_userid=None if group or job.target == "*" else [job.target],
        )
        return str(answer.get("msgid", ""))

    async def _schedule_next(self, rule: SopRule, job: jobs.StepJob) -> None:
        index = job.index + 1
        if index >= len(rule.steps):
            return
        next_id = jobs.step_id(rule.id, index, job.staff, job.target, job.trigger_at)
        due = step_due(rule, rule.steps[index], job.trigger_at, next_id)
        await self._store.scheduler.add({next_id: due})

    async def fire(self, claimed: Claimed, now: float) -> Outcome:
        """A calendar occurrence: step 1 for each target, and the next occurrence."""
        parsed = jobs.parse_fire(claimed.id)
        rule = await self._store.get(parsed[0]) if parsed else None
        if parsed is None or rule is None or rule.schedule is None:
            return Done()
        occurrence = parsed[1]
        if rule.enabled:
            pairs = [(s, "*") for s in rule.staff]
            for chat_id in rule.groups if rule.kind == "group" else []:
                group = await self._ctx.wecom.external_contact.get_group_chat(chat_id, False)
                pairs.append((str(group.get("owner", "")), chat_id))
            first = rule.steps[0]
            due = {}
            for staff, target in pairs:
                job_id = jobs.step_id(rule.id, 0, staff, target, occurrence)
                due[job_id] = step_due(rule, first, occurrence, job_id)
            await self._store.scheduler.add(due)
        following = next_occurrence(rule.schedule, occurrence)
        if following is not None:
            await self._store.scheduler.add({jobs.fire_id(rule.id, following): following})
        return Done()
