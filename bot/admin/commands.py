"""Runs an admin's text as a command: who may, what it does, what the admin is told.

Only a complete command (see `grammar`) from an admin changes anything. Destructive ones are
parked until the admin sends the code they are given; every change is audited and can be taken
back with `撤销`; long answers are paged (`下一页`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from bot.admin.admins import AdminCheck
from bot.admin.call import Call, CommandError, Confirmation, Executor, Preview, Undo
from bot.admin.grammar import Parsed, Usage
from bot.admin.session import CONFIRM_SECONDS, MAX_WRONG_CODES, AdminSession, Change
from bot.admin.specs import grammar, help_text
from bot.clock import corp_clock
from bot.context import HandlerContext
from bot.stats.report import read_stats, summarize
from bot.text.guard import BlockedText

REFUSAL = "抱歉，只有管理员可以使用管理命令。如需开通，请联系企业微信管理员。"
MAX_STATS_DAYS, AUDIT_DEFAULT, AUDIT_MAX = 90, 10, 100


def _number(text: str, *, default: int) -> int:
    """An optional count argument: `default` when absent, 0 (out of range) when not digits."""
    if not text:
        return default
    return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else 0


async def _help(cmd: Parsed, call: Call) -> str:
    return help_text(cmd["topic"])


async def _stats(cmd: Parsed, call: Call) -> str:
    days = _number(cmd["days"], default=7)
    if not 1 <= days <= MAX_STATS_DAYS:
        raise CommandError(f"天数应是 1 到 {MAX_STATS_DAYS} 的整数，例如：统计 7")
    total = summarize(await read_stats(call.ctx.redis, call.ctx.keys, days))
    lines = [
        f"最近 {days} 天：",
        f"新增客户 {total.new}，流失 {total.lost}（客户删除 {total.lost_by_customer}，"
        f"员工删除 {total.lost_by_staff}），净增 {total.new - total.lost}",
    ]
    if total.group_joins is not None or total.group_leaves is not None:
        lines.append(f"客户群入群 {total.group_joins or 0}，退群 {total.group_leaves or 0}")
    if total.sop_sent is not None:
        lines.append(f"SOP 提醒发出 {total.sop_sent}，完成 {total.sop_completed or 0}")
    for k, (added, kept) in sorted(total.cohorts.items()):
        if added:
            lines.append(f"{k} 日留存 {kept}/{added}（{kept / added:.0%}）")
    return "\n".join(lines)


async def _audit(cmd: Parsed, call: Call) -> str:
    count = _number(cmd["count"], default=AUDIT_DEFAULT)
    if not 1 <= count <= AUDIT_MAX:
        raise CommandError(f"条数应是 1 到 {AUDIT_MAX} 的整数，例如：审计 20")
    entries = await call.session.audit.latest(count)
    if not entries:
        return "还没有改动记录。"
    lines = [f"最近 {len(entries)} 条改动（新的在前）："]
    for entry in entries:
        when = corp_clock(entry.at, "%m-%d %H:%M")
        lines.append(f"{when} {entry.actor}（{entry.how}）{entry.summary}")
    return "\n".join(lines)


async def _next(cmd: Parsed, call: Call) -> str:
    page = await call.session.next_page()
    return page if page is not None else "没有更多内容了。"


CORE: dict[str, Executor] = {"stats": _stats, "audit": _audit, "next": _next, "help": _help}


@functools.cache
def _tables() -> tuple[dict[str, Executor], dict[str, Preview], dict[str, Undo]]:
    """Executors, previews and undos: the core ones and every feature's (its record's
    AdminPart); built on first use, as the grammar is."""
    from bot.features import admin_parts

    executors: dict[str, Executor] = dict(CORE)
    previews: dict[str, Preview] = {}
    undos: dict[str, Undo] = {}
    for part in admin_parts():
        executors.update(part.executors)
        previews.update(part.previews)
        undos.update(part.undo)
    return executors, previews, undos


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: the reply; `refused` when it changed nothing because the input was
    wrong; `code` when it is destructive and waits for that code (`reply` then says what it
    will do: the summary line, then any list)."""

    reply: str
    refused: bool = False
    code: str = ""


class AdminCommands:
    """The command layer of one process: `answer` turns an app text into the reply, or None
    when the text is not addressed to it; `run` does a parsed command for the console."""

    def __init__(self, ctx: HandlerContext) -> None:
        self._ctx = ctx
        self._admins = AdminCheck(ctx)

    async def is_admin(self, userid: str) -> bool:
        return await self._admins.is_admin(userid)

    async def answer(self, userid: str, text: str) -> str | None:
        parsed = grammar().parse(text)
        if not isinstance(parsed, Parsed | Usage):
            return None
        if not await self.is_admin(userid):
            near_miss = isinstance(parsed, Usage) and parsed.near_miss
            return None if near_miss else REFUSAL
        if isinstance(parsed, Usage):
            return parsed.message
        session = AdminSession(self._ctx.redis, self._ctx.keys, userid)
        outcome = await self._outcome(parsed, Call(self._ctx, session))
        if outcome.code:
            minutes = CONFIRM_SECONDS // 60
            head, _, details = outcome.reply.partition("\n")  # the code first, then any list
            reply = (
                f"{head}。\n请在 {minutes} 分钟内回复「确认 {outcome.code}」执行；不回复则不执行。"
            )
            return await session.paged(f"{reply}\n{details}" if details else reply)
        if parsed.spec.key == "next" or outcome.refused:
            return outcome.reply
        return await session.paged(outcome.reply)

    async def run(self, userid: str, parsed: Parsed, via: str) -> Outcome:
        """Do `parsed` for an admin (the caller checked `is_admin`), audited as made `via`."""
        session = AdminSession(self._ctx.redis, self._ctx.keys, userid, via)
        return await self._outcome(parsed, Call(self._ctx, session))

    async def _outcome(self, parsed: Parsed, call: Call) -> Outcome:
        try:
            return await self._run(parsed, call)
        except CommandError as exc:
            return Outcome(str(exc), refused=True)
        except BlockedText as exc:
            return Outcome(f"没有保存：内容含敏感词{exc}", refused=True)

    async def _run(self, parsed: Parsed, call: Call) -> Outcome:
        key = parsed.spec.key
        if key == "undo":
            return Outcome(await self._undo(call))
        if key == "confirm":
            return Outcome(await self._confirm(parsed, call))
        if parsed.spec.destructive:
            preview = await _tables()[1][key](parsed, call)
            ask = preview if isinstance(preview, Confirmation) else Confirmation(preview)
            code = await call.session.ask_confirmation(parsed.text, ask.seen)
            return Outcome(ask.what, code=code)
        return Outcome(await _tables()[0][key](parsed, call))

    async def _confirm(self, parsed: Parsed, call: Call) -> str:
        confirmed = await call.session.confirm(parsed["code"])
        if confirmed.status == "wrong":
            return f"确认码不对，请核对后重发（还可再试 {confirmed.tries_left} 次）。"
        if confirmed.status == "dropped":
            return (
                f"确认码已连续错了 {MAX_WRONG_CODES} 次，这个操作已取消，什么都没有改。"
                "如仍要执行，请重新发送命令。"
            )
        if confirmed.status != "ok":
            return "没有等待确认的操作（确认码已过期或已用过），请重新发送命令。"
        command = grammar().parse(confirmed.text)
        if not isinstance(command, Parsed):  # parked only after it parsed: can't happen
            return "这条命令已无法执行，请重新发送。"
        execute = _tables()[0][command.spec.key]
        return await execute(command, replace(call, seen=confirmed.seen))

    async def _undo(self, call: Call) -> str:
        change = await call.session.take_last_change()
        if change is None:
            return "没有可以撤销的改动。"
        undo = _tables()[2].get(change.kind)
        if undo is None:
            raise CommandError(f"这类改动（{change.kind}）不能撤销。")
        try:
            reply = await undo(change, call)
        except CommandError as exc:  # e.g. the item was deleted since: skip it, don't block
            skipped = f"这条改动（{change.summary}）无法撤销，已跳过"
            return f"{exc}\n{skipped}；再发「撤销」可撤销更早的改动。"
        await call.session.changed(
            "undo",
            Change(
                change.kind, change.target, change.after, change.before, f"撤销：{change.summary}"
            ),
            undoable=False,
        )
        return reply
