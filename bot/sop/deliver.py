"""Running SOP jobs: a step goes to its staff member (a reminder card, or a mass-message task
to confirm), then the next step is scheduled; a calendar occurrence expands into steps.

A step is dropped, never sent, when its rule was deleted or paused, the step no longer exists,
or the customer and the staff member are no longer connected. Quiet hours and the member's
message limit (30 a minute, 1,000 an hour) make it wait, not fail. The task record is written
before the send and marked sent after it, so a job reclaimed after a crash doesn't send twice
what it already sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.attachments import materialize
from bot.clock import corp_now
from bot.context import HandlerContext
from bot.jobs import Done, Failed, Later, Outcome
from bot.profiles.store import ProfileStore
from bot.scheduler import Claimed
from bot.sop import jobs
from bot.sop.batches import SopBatches, batch_id, batch_job, close_at
from bot.sop.rules import SopRule, SopStep, next_occurrence, outside_quiet_hours, step_due
from bot.sop.tasks import SopTask, task_id
from bot.stats.recorder import record_sop
from bot.templating import render_or_plain
from bot.templating.render import uses_name
from bot.text.guard import BlockedText
from bot.wecom.pacing import CallPacer

TITLE_BYTES, DESCRIPTION_BYTES = 128, 512
# Reminder cards' share of WeCom's 10,000 `message/send` calls a minute per corp (doc 90454):
# a burst of reminders is spread at 6,000 a minute, leaving the rest for alerts and replies.
REMINDERS_PER_SECOND = 100
PACE_WAIT_SECONDS = 10.0  # longer than this, the job goes back to the set rather than wait
RULES_PARSED, NAMES_HELD, NAME_SECONDS = 64, 10_000, 300.0


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
        self._store = ctx.services.sops
        self._tasks = ctx.services.sop_tasks
        self._quota = ctx.services.member_quota
        self._lookup = ctx.services.names
        self._directory = self._lookup.directory
        self._pacer = CallPacer(ctx.redis, ctx.keys, "message/send", REMINDERS_PER_SECOND)
        self._batches = SopBatches(ctx.redis, ctx.keys)
        self._rules: dict[str, SopRule] = {}
        self._names: dict[str, tuple[str, float]] = {}

    async def step(self, claimed: Claimed, now: float) -> Outcome:
        job = jobs.parse_step(claimed.id)
        if job is None:
            return Done()
        rule, target, task = await self._read(job, task_id(claimed.id))
        if rule is None or not rule.enabled or job.index >= len(rule.steps):
            return Done()  # the rule ended, was paused or lost this step: nothing to send
        if not target.connected:
            return Done()  # the customer and the member parted: the rest never goes out
        step = rule.steps[job.index]
        if rule.tags and target.tags.isdisjoint(rule.tags):
            await self._schedule_next(rule, job)  # not in the audience now; maybe later
            return Done()
        wake = outside_quiet_hours(rule, now)
        if wake > now:
            return Later(wake)
        if task is None or task.status == "sending":
            if step.delivery == "reminder":
                free_at = await self._quota.take(job.staff, claimed.id, now)
                if free_at is not None:
                    return Later(free_at)
                if await self._pacer.slot(max_wait=PACE_WAIT_SECONDS) is None:
                    return Later(time.time() + 1)  # the corp's share is taken for a while
            outcome = await self._send(rule, step, job, target, now, claimed.due)
            if outcome is not None:
                return outcome
        await self._schedule_next(rule, job)
        return Done()

    async def _read(
        self, job: jobs.StepJob, tid: str
    ) -> tuple[SopRule | None, Target, SopTask | None]:
        """The rule, whom the step is about and its task record, in one round trip."""
        about = job.target != "*"  # a group's chat id reads as an empty profile: harmless
        async with self._ctx.redis.pipeline(transaction=False) as pipe:
            pipe.hget(self._ctx.keys.sop_rules, job.rule_id)
            pipe.hgetall(self._ctx.keys.sop_task(tid))
            if about:
                await self._ctx.services.profiles.queue_read(pipe, job.target)
            rows = await pipe.execute()
        rule = self._rule(rows[0]) if rows[0] else None
        task = SopTask.from_mapping(rows[1]) if rows[1] else None
        if rule is None or rule.kind == "group" or not about:
            return rule, Target("", True, frozenset()), task
        profile = ProfileStore.parse_read(job.target, rows[2])
        follow = profile.follows.get(job.staff)
        if follow is None:  # no record of the relation (yet): don't hold the reminder back
            return rule, Target(profile.name, True, frozenset()), task
        tags = frozenset(f"{t.group}/{t.name}" for t in follow.tags)
        return rule, Target(follow.remark or profile.name, follow.connected, tags), task

    def _rule(self, raw: str) -> SopRule:
        """Parsed once per version of the rule's JSON, as thousands of steps share a rule."""
        rule = self._rules.get(raw)
        if rule is None:
            if len(self._rules) >= RULES_PARSED:
                self._rules.clear()
            rule = self._rules[raw] = SopRule.from_json(raw)
        return rule

    async def _staff_name(self, userid: str) -> str:
        held = self._names.get(userid)
        if held is not None and time.monotonic() < held[1]:
            return held[0]
        name = await self._directory.name(userid)
        if len(self._names) >= NAMES_HELD:
            self._names.clear()
        self._names[userid] = (name, time.monotonic() + NAME_SECONDS)
        return name

    async def _target_name(self, rule: SopRule, job: jobs.StepJob, target: Target) -> str:
        """Whom the task is about, as the member knows them (a group by its name)."""
        if rule.kind == "group" and job.target != "*":
            return await self._lookup.group(job.target)
        return target.name

    async def _send(
        self,
        rule: SopRule,
        step: SopStep,
        job: jobs.StepJob,
        target: Target,
        now: float,
        due: float,
    ) -> Outcome | None:
        job_id = job.id
        staff_name = await self._staff_name(job.staff)
        variables = {
            "customer_name": target.name,
            "staff_name": staff_name,
            "date": corp_now().strftime("%Y-%m-%d"),
        }
        text = render_or_plain(step.text, variables, f"SOP {rule.id} step {job.index + 1}")
        try:
            text = self._ctx.text.outgoing(text)
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
            target_name=await self._target_name(rule, job, target),
        )
        await self._tasks.begin(task)
        msgid = ""
        if step.delivery == "mass" and job.target != "*" and not uses_name(step.text):
            batch = batch_id(rule.id, job.index, job.staff, due)
            if await self._batches.join(batch, job.target, task.id):
                await self._store.scheduler.add({batch_job(batch): close_at(batch)})
                return None  # the batch's one WeCom task marks it sent (bot.sop.batches)
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
        media = self._ctx.services.media
        products = self._ctx.services.products
        group_codes = self._ctx.services.group_codes
        attachments = await materialize(step.attachments, media, products, group_codes)
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
