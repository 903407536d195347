"""Channel codes (渠道活码): a 联系我 QR code per channel, its staff rotation and daily limits.

Each channel is a WeCom contact way whose State is `ch:<id>`, so an add event names its
channel. Which staff the code hands customers to is worked out from the channel's time slots
(the first slot matching now, else its default staff), minus anyone who reached the daily add
limit, else the backup staff. Whenever that set changes, the contact way is updated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.storage.ids import free_id
from bot.welcome.templates import TemplateError, TimeSlot, check_slot

STATE_PREFIX = "ch:"
MAX_USERS = 100  # add_contact_way: 41041 past this
MAX_REMARK_CHARS = 30


@dataclass
class StaffSlot:
    """Staff who serve the code when the time matches (same rules as welcome time slots)."""

    users: list[str]
    weekdays: list[int] = field(default_factory=list)
    start: str = ""
    end: str = ""

    def matches(self, now: datetime) -> bool:
        probe = TimeSlot("", weekdays=self.weekdays, start=self.start, end=self.end)
        return probe.matches(now)


@dataclass
class Channel:
    """One channel code and how it hands out customers."""

    id: str
    name: str
    users: list[str]
    slots: list[StaffSlot] = field(default_factory=list)
    backup: list[str] = field(default_factory=list)
    daily_limit: int = 0  # adds per staff member per day; 0 = no limit
    tags: list[str] = field(default_factory=list)  # corp tag ids marked on each new customer
    skip_verify: bool = True
    config_id: str = ""
    qr_code: str = ""
    active: list[str] = field(default_factory=list)  # the staff the code hands out right now

    @property
    def state(self) -> str:
        return STATE_PREFIX + self.id

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> Channel:
        raw = json.loads(data)
        raw["slots"] = [StaffSlot(**slot) for slot in raw.get("slots", [])]
        return cls(**raw)

    def staff(self) -> list[str]:
        """Every member the channel names (default staff, each slot's, the backup), once."""
        everyone = [*self.users, *(u for slot in self.slots for u in slot.users), *self.backup]
        return list(dict.fromkeys(everyone))

    def scheduled(self, now: datetime) -> list[str]:
        for slot in self.slots:
            if slot.matches(now):
                return slot.users
        return self.users

    def serving(self, now: datetime, adds_today: dict[str, int]) -> list[str]:
        """Who the code should hand customers to now, given today's adds per member."""

        def open_(user: str) -> bool:
            return not self.daily_limit or adds_today.get(user, 0) < self.daily_limit

        chosen = [user for user in self.scheduled(now) if open_(user)]
        return chosen or [user for user in self.backup if open_(user)] or list(self.backup)


def validate_channel(channel: Channel) -> None:
    if not channel.name.strip() or len(channel.name) > MAX_REMARK_CHARS:
        raise TemplateError(f"渠道名称需要 1-{MAX_REMARK_CHARS} 个字符")
    for n, slot in enumerate(channel.slots, 1):
        if not slot.users:
            raise TemplateError(f"第 {n} 个时段没有员工")
        check_slot(n, TimeSlot("", weekdays=slot.weekdays, start=slot.start, end=slot.end))
    if not channel.users and not channel.slots:
        raise TemplateError("渠道至少需要一名员工")
    if len(channel.staff()) > MAX_USERS:
        raise TemplateError(f"一个渠道最多 {MAX_USERS} 名员工（企业微信限制）")
    if channel.daily_limit < 0:
        raise TemplateError("每日添加上限不能为负数")


class ChannelStore:
    """Channels in Redis, today's adds per member, and per-channel stats."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def new_id(self) -> str:
        """A channel id no stored channel has."""
        return await free_id(self._redis, self._keys.channels)

    async def save(self, channel: Channel) -> Channel:
        if not channel.id:
            channel.id = await self.new_id()
        await self._redis.hset(self._keys.channels, channel.id, channel.to_json())
        return channel

    async def get(self, channel_id: str) -> Channel | None:
        data = await self._redis.hget(self._keys.channels, channel_id)
        return Channel.from_json(data) if data else None

    async def list(self) -> list[Channel]:
        rows = await self._redis.hgetall(self._keys.channels)
        return sorted((Channel.from_json(v) for v in rows.values()), key=lambda c: c.id)

    async def delete(self, channel_id: str) -> None:
        await self._redis.hdel(self._keys.channels, channel_id)

    def queue_import(self, tx: Any, saved: Sequence[Channel], removed: Sequence[str]) -> None:
        """Queue a configuration import's writes (WeCom already holds the saved codes)."""
        if saved:
            tx.hset(self._keys.channels, mapping={c.id: c.to_json() for c in saved})
        if removed:
            tx.hdel(self._keys.channels, *removed)

    async def count_add(self, channel_id: str, user_id: str, day: str) -> dict[str, int]:
        """Count one add for `user_id` today; returns today's adds per member."""
        key = self._keys.channel_adds(channel_id, day)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hincrby(key, user_id, 1)
            tx.expire(key, 3 * 86400)
            tx.hgetall(key)
            _, _, counts = await tx.execute()
        return {user: int(count) for user, count in counts.items()}

    async def adds_today(self, channel_id: str, day: str) -> dict[str, int]:
        counts = await self._redis.hgetall(self._keys.channel_adds(channel_id, day))
        return {user: int(count) for user, count in counts.items()}

    async def remember_customer(self, channel_id: str, user_id: str, external_userid: str) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(self._keys.channel_customers, f"{user_id}|{external_userid}", channel_id)
            tx.hincrby(self._keys.channel_stats, f"{channel_id}:adds", 1)
            await tx.execute()

    async def forget_customer(self, user_id: str, external_userid: str) -> str | None:
        """A customer left (either side deleted): count the deletion on their channel."""
        field_ = f"{user_id}|{external_userid}"
        channel_id = await self._redis.hget(self._keys.channel_customers, field_)
        if channel_id:
            async with self._redis.pipeline(transaction=True) as tx:
                tx.hdel(self._keys.channel_customers, field_)
                tx.hincrby(self._keys.channel_stats, f"{channel_id}:deletions", 1)
                await tx.execute()
        return str(channel_id) if channel_id else None

    async def stats(self, channel_id: str) -> dict[str, float]:
        adds, deletions = await self._redis.hmget(
            self._keys.channel_stats, [f"{channel_id}:adds", f"{channel_id}:deletions"]
        )
        adds_n, deletions_n = int(adds or 0), int(deletions or 0)
        retention = (adds_n - deletions_n) / adds_n if adds_n else 0.0
        return {"adds": adds_n, "deletions": deletions_n, "retention": round(retention, 4)}
