"""One RFM run: score every customer, sync the tags of those whose segment changed, keep both.

A run reads every order, scores the population (`bot.rfm.model`) and compares each customer's
segment with the one stored by the last run. Customers whose segment is unchanged only get their
scores refreshed; the others have their tags synced (`bot.rfm.sync`) and their new segment is
stored only once that worked, so a customer whose sync failed is tried again by the next run.
Customers skipped because they aren't anyone's contact keep their segment like the rest: there
was nothing to tag. `resync_all` syncs every customer, which also reaches followers added since
their segment last changed.

One process runs at a time, holding `rfm_lock` for as long as it works (a short lease, renewed,
so a crashed process frees it within a couple of minutes). The daily run starts at the first
check at or after `SCRM_RFM_HOUR`, corp time, and marks the day done. After
`MAX_CONSECUTIVE_FAILURES` WeCom errors in a row the run stops syncing (WeCom is down or our
permissions are gone: more calls would only fail) and the rest count as failed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.rfm.model import DAY, Score, Tally
from bot.rfm.orders import OrderStore
from bot.rfm.sync import DEFAULT_CALLS_PER_SECOND, SegmentHook, TagSync
from bot.storage.locks import LockTimeout, RedisLease
from bot.wecom import WeComError
from bot.wecom.api.external_contact import ExternalContactAPI

LEASE_SECONDS = 120
MAX_CONSECUTIVE_FAILURES = 20
WRITE_CHUNK = 1000

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    """The counts of one run; `stopped` says why syncing stopped early, if it did."""

    customers: int = 0
    changed: int = 0  # customers whose segment is new or different
    dropped: int = 0  # customers with no orders any more: their RFM tags come off
    marked: int = 0  # mark_tag calls
    skipped: int = 0  # not anyone's contact: nothing to tag
    failed: int = 0  # not synced: tried again next run
    stopped: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _record(score: Score, window_days: int, at: int) -> str:
    body = {
        "segment": score.segment,
        "r_days": round(score.r_days, 2),
        "f": score.f,
        "m_cents": score.m_cents,
        "last_paid_at": score.last_paid_at,
        "window_days": window_days,
        "at": at,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _stored_segment(raw: str) -> str | None:
    try:
        return str(json.loads(raw)["segment"])
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: synced again as if new


async def segment_of(redis: Redis, keys: RedisKeys, external_userid: str) -> dict[str, Any] | None:
    """One customer's latest scores and segment as the last run stored them, or None."""
    raw = await redis.hget(keys.rfm_segments, external_userid)
    return dict(json.loads(raw)) if raw else None


async def latest_summary(redis: Redis, keys: RedisKeys) -> dict[str, Any] | None:
    """The latest run's averages, customers per segment and sync counts, or None."""
    raw = await redis.get(keys.rfm_summary)
    return dict(json.loads(raw)) if raw else None


class RfmRunner:
    """Recomputes the segments and syncs their tags, one process at a time."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        api: ExternalContactAPI,
        *,
        window_days: int,
        calls_per_second: int = DEFAULT_CALLS_PER_SECOND,
        on_segment: SegmentHook | None = None,
    ) -> None:
        self._on_segment = on_segment
        self._redis = redis
        self._keys = keys
        self._api = api
        self._window_days = window_days
        self._calls_per_second = calls_per_second

    async def run(self, now: float, *, resync_all: bool = False) -> RunReport:
        """Run now; `LockTimeout` when another process is running."""
        async with RedisLease(self._redis, self._keys.rfm_lock, LEASE_SECONDS):
            return await self._run(now, resync_all)

    async def run_daily(self, hour: int, now: datetime) -> RunReport | None:
        """The day's run if `now` (corp time) is at or past `hour` and nobody has run it."""
        if now.hour < hour:
            return None
        done = self._keys.rfm_done(now.date().isoformat())
        if await self._redis.exists(done):
            return None
        try:
            async with RedisLease(self._redis, self._keys.rfm_lock, LEASE_SECONDS):
                if await self._redis.exists(done):  # finished while we looked
                    return None
                report = await self._run(now.timestamp(), False)
                await self._redis.set(done, str(int(now.timestamp())), ex=2 * DAY)
                return report
        except LockTimeout:
            return None

    async def _run(self, now: float, resync_all: bool) -> RunReport:
        tally = Tally(now, self._window_days)
        async for orders in OrderStore(self._redis, self._keys).by_customer():
            for order in orders:
                tally.add(order)
        result = tally.segmentation()
        stored = await self._redis.hgetall(self._keys.rfm_segments)
        previous = {customer: _stored_segment(raw) for customer, raw in stored.items()}
        report = RunReport(customers=len(result.scores))
        todo: list[tuple[str, Score | None]] = []
        unchanged: dict[str, str] = {}
        for customer, score in result.scores.items():
            changed = previous.get(customer) != score.segment
            report.changed += int(changed)
            if changed or resync_all:
                todo.append((customer, score))
            else:
                unchanged[customer] = _record(score, self._window_days, result.now)
        gone = sorted(set(previous) - set(result.scores))
        report.dropped = len(gone)
        todo += [(customer, None) for customer in gone]
        items = list(unchanged.items())
        for start in range(0, len(items), WRITE_CHUNK):
            await self._redis.hset(
                self._keys.rfm_segments, mapping=dict(items[start : start + WRITE_CHUNK])
            )
        if todo:
            await self._sync(todo, report, result.now)
        summary = {
            "at": result.now,
            "window_days": self._window_days,
            "customers": len(result.scores),
            "averages": {
                "r_days": round(result.averages.r_days, 2),
                "f": round(result.averages.f, 2),
                "m_cents": round(result.averages.m_cents, 2),
            },
            "segments": result.counts(),
            "sync": report.as_dict(),
        }
        await self._redis.set(self._keys.rfm_summary, json.dumps(summary, ensure_ascii=False))
        return report

    async def _sync(self, todo: list[tuple[str, Score | None]], report: RunReport, at: int) -> None:
        tags = TagSync(
            self._redis,
            self._keys,
            self._api,
            calls_per_second=self._calls_per_second,
            on_segment=self._on_segment,
        )
        await tags.tag_ids()  # the group first: without it no customer can be synced
        failures = 0
        for index, (customer, score) in enumerate(todo):
            try:
                synced = await tags.sync(customer, score.segment if score else None)
            except WeComError as exc:
                log.warning("RFM tags of %s not synced: %s", customer, exc)
                report.failed += 1
                failures += 1
                if failures >= MAX_CONSECUTIVE_FAILURES:
                    report.failed += len(todo) - index - 1
                    report.stopped = (
                        f"连续 {failures} 次企业微信错误，已停止同步；"
                        f"最后一次 {exc.errcode}：{exc.explanation}"
                    )
                    return
                continue
            failures = 0
            report.marked += synced.marked
            report.skipped += int(synced.skipped)
            if score is None:
                await self._redis.hdel(self._keys.rfm_segments, customer)
            else:
                record = _record(score, self._window_days, at)
                await self._redis.hset(self._keys.rfm_segments, customer, record)
