"""The reconciliation's checks of tags, SOP reminders and admin commands (welcomes and chat
history are in `reconcile`), each one a `Check`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from benchmarks.soak.drain import RedisFacts
from benchmarks.soak.faults import FaultWindow
from benchmarks.soak.traffic import Sent
from bot.sandbox import Call
from bot.sop.jobs import step_id
from bot.sop.rules import SopRule, step_due
from bot.sop.tasks import task_id

SEND, TAG = "message/send", "externalcontact/mark_tag"
ANSWERED = "answered:"  # handlers.admin's mark of an answered command
OUTAGES = ("redis_shutdown", "redis_kill", "worker_kill")
API_FAULTS = ("errcode", "status", "timeout")
_KIND = re.compile(r"<(?:ChangeType|Event|MsgType)><!\[CDATA\[(\w+)\]\]>")
_MSGID = re.compile(r'"msgid": "([^"]+)"')


@dataclass
class Check:
    """One invariant: how many cases it covered, and the ones that broke it (or were excused
    by an injected fault, with the reason)."""

    name: str
    checked: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    excused: list[str] = field(default_factory=list)


def answers(calls: Iterable[Call]) -> str:
    """The errcodes (or HTTP statuses) the calls got, comma-separated."""
    return ",".join(str(c.errcode if c.errcode is not None else f"HTTP {c.status}") for c in calls)


def fault_reason(tried: list[Call], windows: list[FaultWindow], start: float, end: float) -> str:
    """Why an injected fault explains a missing effect, or "" when none does."""
    reasons = []
    faulted = [c for c in tried if c.fault is not None]
    if faulted:
        reasons.append(f"{len(faulted)} call(s) answered an injected fault ({answers(faulted)})")
    reasons += [w.detail for w in windows if w.kind in OUTAGES and w.overlaps(start, end)]
    return "; ".join(reasons)


def ok_calls(calls: list[Call], path: str) -> list[Call]:
    return [c for c in calls if c.path == path and c.ok and isinstance(c.body, dict)]


def check_dead_letters(
    letters: list[dict[str, str]], windows: list[FaultWindow]
) -> tuple[Check, dict[str, str]]:
    """Dead letters: those whose error is an injected API fault (their retries ran out inside
    its window) are excused, the rest lost. Also returns chat msgid → excuse ("" if lost)."""
    check = Check("pipeline dead letters")
    chats: dict[str, str] = {}
    for letter in letters:
        error, failed = letter.get("error", ""), int(letter.get("failed_ms", "0")) / 1000
        kinds = _KIND.findall(letter.get("xml", "")) or ["chat text"]
        line = f"{kinds[-1]}: {error[:160]}"
        window = next(
            (
                w
                for w in windows
                if w.kind in API_FAULTS
                and w.overlaps(failed - 60, failed)
                and any(p in error for p in w.paths)
                and w.signature in error
            ),
            None,
        )
        reason = f"retries ran out during: {window.detail} (replayable)" if window else ""
        (check.excused if window else check.lost).append(f"{line}; {reason}" if reason else line)
        msgid = _MSGID.search(letter.get("chat", ""))
        if msgid:
            chats[msgid.group(1)] = reason
    return check, chats


def check_tags(
    records: list[Sent],
    deleted: dict[str, float],
    calls: list[Call],
    tag_ids: dict[str, str],
    held: dict[tuple[str, str], set[str]],
    dead_chats: dict[str, str],
) -> Check:
    """No (staff, customer, tag) marked twice; each keyword message's customer has the tag
    (a message dead-lettered is counted with the dead letters, not here)."""
    check = Check("mark_tag")
    marks: Counter[tuple[str, str, str]] = Counter()
    stalled: set[tuple[str, str, str]] = set()
    for call in ok_calls(calls, TAG):
        assert isinstance(call.body, dict)
        for tag in call.body.get("add_tag") or []:
            key = (str(call.body.get("userid")), str(call.body.get("external_userid")), str(tag))
            marks[key] += 1
            if call.fault is not None:
                stalled.add(key)
    for key, count in sorted(marks.items()):
        if count > 1:
            why = " (one stalled by an injected timeout)" if key in stalled else ""
            check.duplicates.append(f"{key[1]} / {key[0]}: tag {key[2]} marked {count}×{why}")
    for r in records:
        if r.kind != "kf_keyword" or not r.acked or r.customer in deleted:
            continue
        check.checked += 1
        wanted = {tag for word, tag in tag_ids.items() if word in r.text}
        missing = wanted - held.get((r.userid, r.customer), set())
        if missing and r.msg_id not in dead_chats:
            check.lost.append(f"{r.customer} / {r.userid}: {r.text!r}, tags {sorted(missing)}")
        elif missing and dead_chats[r.msg_id]:
            check.excused.append(f"{r.customer}: {r.text!r}, {dead_chats[r.msg_id]}")
    return check


def check_reminders(
    records: list[Sent],
    deleted: dict[str, float],
    calls: list[Call],
    sop: tuple[SopRule, float],
    facts: RedisFacts,
) -> Check:
    """Each (rule, step, customer) reminded at most once; those due by `sop[1]` reminded, or
    still on their way: retried after a failed attempt (the job backoff starts at 60 s), held
    by a claim until its lease lapses, or given up and reported with the reason."""
    rule, until = sop
    check = Check("SOP reminder")
    sent: Counter[str] = Counter()
    for call in ok_calls(calls, SEND):
        assert isinstance(call.body, dict)
        card = call.body.get("textcard")
        if call.body.get("msgtype") == "textcard" and isinstance(card, dict):
            sent[str(card.get("url", "")).rsplit("/", 1)[-1]] += 1
    given_up = {f.get("job", ""): f.get("reason", "") for f in facts.jobs_failed}
    jobs = {}
    for r in records:
        if r.kind != "add" or not r.acked:
            continue
        for index, step in enumerate(rule.steps):
            job = step_id(rule.id, index, r.userid, r.customer, r.create_time)
            jobs[task_id(job)] = job
            due = step_due(rule, step, r.create_time, job)
            if r.customer in deleted or due > until:
                continue  # the relation ended (no reminder due), or due after the traffic
            check.checked += 1
            if sent[task_id(job)] == 0:
                reason = _not_yet(job, facts, given_up)
                (check.excused if reason else check.lost).append(f"{job} due {due:.0f} {reason}")
    for tid, count in sorted(sent.items()):
        if count > 1:
            check.duplicates.append(f"{jobs.get(tid, tid)}: sent {count} times")
    return check


def _not_yet(job: str, facts: RedisFacts, given_up: dict[str, str]) -> str:
    """Why a reminder due by now is not sent but not lost either, or ""."""
    if job in given_up:
        return f"given up and reported: {given_up[job]}"
    if job in facts.jobs_scheduled:
        return f"an attempt failed; due again at {facts.jobs_scheduled[job]:.0f}"
    if job in facts.jobs_held:
        return f"claimed when Redis went away; runs again at {facts.jobs_held[job]:.0f}"
    return ""


def check_admin(records: list[Sent], calls: list[Call], admin: str, marks: dict[str, str]) -> Check:
    """Every acknowledged command answered exactly once, as the passive reply of its callback
    or by `message/send`. The handler's mark in Redis holds the answer it gave; app messages
    are matched to commands by that text (the harness makes each command's answer unique; the
    notice for a command cut short is the same for all, so those are matched in bulk)."""
    check = Check("admin command answered")
    sent: Counter[str] = Counter()
    for call in ok_calls(calls, SEND):
        assert isinstance(call.body, dict)
        if call.body.get("msgtype") == "text" and admin in str(call.body.get("touser")).split("|"):
            sent[str((call.body.get("text") or {}).get("content", ""))] += 1
    needed: Counter[str] = Counter()
    owners: dict[str, list[str]] = {}
    for r in records:
        if not r.kind.startswith("admin") or not r.acked:
            continue
        check.checked += 1
        mark = marks.get(r.msg_id, "")
        if not mark.startswith(ANSWERED):
            check.lost.append(f"{r.text!r}: never answered (mark {mark or 'none'!r})")
            continue
        answer = mark.removeprefix(ANSWERED)
        needed[answer] += 0 if r.reply else 1
        owners.setdefault(answer, []).append(r.text)
        if r.reply and r.reply != answer:
            check.duplicates.append(f"{r.text!r}: passive reply {r.reply[:40]!r} is not its answer")
    for answer, who in owners.items():
        extra = sent[answer] - needed[answer]
        if extra > 0:
            check.duplicates += [f"{who[0]!r}: answered again by message/send"] * extra
        elif extra < 0:
            check.lost += [f"{who[0]!r}: answered by neither route"] * -extra
    return check
