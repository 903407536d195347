"""Pulling WeCom's statistics into our own, day by day, and keeping them (WeCom keeps 180 days;
we keep 400, as our own statistics).

Each member's behaviour (`get_user_behavior_data`) and the groups' figures are read for the days
asked (30 a call, WeCom's limit) and stored per day; a day is read again on each pull while it
is within the last `SETTLE_DAYS` (WeCom's figures for a day keep changing for a while). The
members are those WeCom lists with customer contact (`get_follow_user_list`).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from redis.asyncio import Redis

from bot.clock import CORP_TIME
from bot.context import HandlerContext
from bot.keys import RedisKeys

SPAN_DAYS = 30
WECOM_KEEPS = 180
KEEP_SECONDS = 400 * 86400
SETTLE_DAYS = 3


def _start(day: date) -> int:
    return int(datetime.combine(day, time(), CORP_TIME).timestamp())


class WeComStatsStore:
    """WeCom's figures per day: the one writer of `wecomstats:*`."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, day: date, rows: dict[str, dict[str, Any]]) -> None:
        if not rows:
            return
        key = self._keys.wecom_stats(day.isoformat())
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(key, mapping={who: json.dumps(row) for who, row in rows.items()})
            tx.expire(key, KEEP_SECONDS)
            await tx.execute()

    async def day(self, day: date) -> dict[str, dict[str, Any]]:
        raw = await self._redis.hgetall(self._keys.wecom_stats(day.isoformat()))
        return {who: json.loads(value) for who, value in raw.items()}


async def pull(ctx: HandlerContext, first: date, last: date) -> int:
    """Read WeCom's figures for `first`..`last` (corp days, within WeCom's 180); returns how
    many (member, day) rows were stored."""
    today = datetime.now(CORP_TIME).date()
    first = max(first, today - timedelta(days=WECOM_KEEPS - 1))
    if last < first:
        return 0
    members = sorted(await ctx.wecom.external_contact.get_follow_user_list())
    store = WeComStatsStore(ctx.redis, ctx.keys)
    stored = 0
    span_start = first
    while span_start <= last:
        span_end = min(last, span_start + timedelta(days=SPAN_DAYS - 1))
        per_day: dict[date, dict[str, dict[str, Any]]] = {}
        start, end = _start(span_start), _start(span_end)
        for member in members:
            for row in await ctx.wecom.statistics.behavior(member, start, end):
                day = datetime.fromtimestamp(int(row.get("stat_time", 0)), CORP_TIME).date()
                per_day.setdefault(day, {})[member] = row
        for item in await ctx.wecom.statistics.groups_by_day([], start, end):
            day = datetime.fromtimestamp(int(item.get("stat_time", 0)), CORP_TIME).date()
            per_day.setdefault(day, {})["groups"] = dict(item.get("data") or {})
        for day, rows in per_day.items():
            await store.save(day, rows)
            stored += len(rows)
        span_start = span_end + timedelta(days=1)
    return stored


async def pull_recent(ctx: HandlerContext, days: int = SETTLE_DAYS) -> int:
    """The daily pull: yesterday and the days before it that may still change."""
    yesterday = datetime.now(CORP_TIME).date() - timedelta(days=1)
    return await pull(ctx, yesterday - timedelta(days=days - 1), yesterday)
