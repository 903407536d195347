"""Reconciliation: what the bot should have done for the events it acknowledged, against what
the sandbox recorded and what Redis holds. The result is an object, so tests can assert on it.

- welcome: every acknowledged add whose welcome code was still valid when acknowledged got
  exactly one welcome; a missing one is "excused" only when an injected fault explains it
  (the sandbox answered a fault to its calls, or Redis was down / its worker was killed inside
  its 20 s), and the reason is kept;
- mark_tag: no (staff, customer, tag) marked twice, and every keyword message's customer who is
  still a contact holds the tag;
- SOP reminder: each (rule, step, customer) at most once, and every one due before the end of
  the traffic sent (or recorded as given up, with the reason);
- admin: every command answered exactly once (passive reply or app message);
- chat: every acknowledged WeChat Customer Service message kept in the history; no dead letters.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from benchmarks.soak.checks import (
    OUTAGES,
    Check,
    answers,
    check_admin,
    check_dead_letters,
    check_reminders,
    check_tags,
    fault_reason,
)
from benchmarks.soak.drain import Backlog, RedisFacts
from benchmarks.soak.faults import FaultWindow
from benchmarks.soak.traffic import Sent
from bot.sandbox import Call, WelcomeDelivery
from bot.sop.rules import SopRule

WINDOW_SECONDS = 20.0
WELCOME = "externalcontact/send_welcome_msg"


@dataclass
class Reconciliation:
    """Everything a soak run measured and found; `lost` and `duplicates` decide pass/fail."""

    seconds: float
    rate: float
    sent_by_kind: dict[str, int]
    acked_by_kind: dict[str, int]
    checks: list[Check]
    latency_ms: dict[str, float]
    backlog: Backlog

    @property
    def sent(self) -> int:
        return sum(self.sent_by_kind.values())

    @property
    def acknowledged(self) -> int:
        return sum(self.acked_by_kind.values())

    @property
    def rate_held(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def lost(self) -> int:
        return sum(len(c.lost) for c in self.checks)

    @property
    def duplicates(self) -> int:
        return sum(len(c.duplicates) for c in self.checks)

    @property
    def excused(self) -> int:
        return sum(len(c.excused) for c in self.checks)

    @property
    def drained(self) -> bool:
        return self.backlog.empty

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)


def reconcile(
    records: list[Sent],
    deleted: dict[str, float],
    calls: list[Call],
    welcomes: list[WelcomeDelivery],
    windows: list[FaultWindow],
    facts: RedisFacts,
    *,
    seconds: float,
    rate: float,
    sop: tuple[SopRule, float] | None,
    admin: str,
    tag_ids: dict[str, str],
    held: dict[tuple[str, str], set[str]],
) -> Reconciliation:
    """`sop` is (the SOP rule, the end of the traffic); `tag_ids` keyword → the tag id it
    marks; `held` (staff, customer) → the tag ids the sandbox has on them at the end."""
    welcome, latencies = check_welcomes(records, calls, welcomes, windows)
    dead, dead_chats = check_dead_letters(facts.dead_letters, windows)
    checks = [welcome, check_tags(records, deleted, calls, tag_ids, held, dead_chats)]
    if sop is not None:
        checks.append(check_reminders(records, deleted, calls, sop, facts))
    checks.append(check_admin(records, calls, admin, facts.admin_marks))
    checks += [check_kf(records, facts.chat_msgids), dead]
    return Reconciliation(
        seconds=seconds,
        rate=rate,
        sent_by_kind=dict(Counter(r.kind for r in records)),
        acked_by_kind=dict(Counter(r.kind for r in records if r.acked)),
        checks=checks,
        latency_ms=_percentiles(latencies),
        backlog=facts.backlog,
    )


def check_welcomes(
    records: list[Sent],
    calls: list[Call],
    welcomes: list[WelcomeDelivery],
    windows: list[FaultWindow],
) -> tuple[Check, list[float]]:
    check = Check("welcome")
    by_code: dict[str, list[Call]] = {}
    for call in calls:
        if call.path == WELCOME and isinstance(call.body, dict):
            by_code.setdefault(str(call.body.get("welcome_code", "")), []).append(call)
    delivered = {w.welcome_code: w for w in welcomes}
    latencies = []
    for r in records:
        if r.kind != "add" or not r.acked or not r.welcome_code:
            continue
        if r.done_at - r.create_time >= WINDOW_SECONDS:
            continue  # acknowledged after the code had expired: nothing could be sent
        check.checked += 1
        tried = by_code.get(r.welcome_code, [])
        sends = [c for c in tried if c.fault is None and c.errcode in (0, 41051)]
        if len(sends) > 1:
            at = ", ".join(f"{c.errcode} at +{c.time - r.sent_at:.1f} s" for c in sends)
            outage = [
                w
                for w in windows
                if w.kind in OUTAGES and w.overlaps(sends[0].time, sends[-1].time)
            ]
            if outage and all(c.errcode == 41051 for c in sends[1:]):
                # at least once: the send went out, recording it didn't (Redis went away or the
                # worker died); WeCom refused the repeat, so the customer got one welcome
                check.excused.append(
                    f"{r.customer}: sent again after {outage[0].detail} ({at}); the repeat was "
                    "refused (41051): one welcome delivered"
                )
            else:
                check.duplicates.append(f"{r.customer} (entry sent {r.sent_at:.1f}): {at}")
        if r.welcome_code in delivered:
            latencies.append(delivered[r.welcome_code].time - r.sent_at)
            continue
        reason = fault_reason(tried, windows, r.create_time, r.create_time + WINDOW_SECONDS)
        line = f"{r.customer} (added {r.create_time}): calls {answers(tried) or 'none'}"
        (check.excused if reason else check.lost).append(f"{line}; {reason}" if reason else line)
    return check, latencies


def check_kf(records: list[Sent], kept: set[str]) -> Check:
    check = Check("customer service chat kept")
    for r in records:
        if r.kind.startswith("kf") and r.acked and r.msg_id:
            check.checked += 1
            if r.msg_id not in kept:
                check.lost.append(f"kf message {r.msg_id} of {r.customer}")
    return check


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(v * 1000 for v in values)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[max(int(len(ordered) * 0.99) - 1, 0)],
        "max": ordered[-1],
    }
