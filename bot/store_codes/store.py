"""Store-code campaigns and their stores in Redis (`keys.store_campaigns`, `keys.store_list`,
`keys.store_views`: written here only). A campaign's codes must exist when it is saved: its
backup, and each store's channel code or group live code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.storage.ids import free_id
from bot.store_codes.csv_import import StoreListError
from bot.store_codes.model import (
    Campaign,
    CodeRef,
    Store,
    StoreCodeError,
    validate_campaign,
)

VIEWS_KEEP_SECONDS = 400 * 86400
PAGE, BACKUP = "page", "backup"  # view fields besides the stores'


class StoreCodeStore:
    """The corp's store-code campaigns."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def campaign(self, campaign_id: str) -> Campaign | None:
        raw = await self._redis.hget(self._keys.store_campaigns, campaign_id)
        return Campaign.from_json(raw) if raw else None

    async def campaigns(self) -> list[Campaign]:
        rows = await self._redis.hgetall(self._keys.store_campaigns)
        return sorted((Campaign.from_json(v) for v in rows.values()), key=lambda c: c.id)

    async def save_campaign(self, campaign: Campaign) -> Campaign:
        """Create (no id) or change a campaign, after checking it and its backup code."""
        validate_campaign(campaign)
        if not await self.code_exists(CodeRef.parse(campaign.backup)):
            raise StoreCodeError(f"备用活码 {campaign.backup} 不存在")
        if not campaign.id:
            campaign = replace(campaign, id=await free_id(self._redis, self._keys.store_campaigns))
        elif await self.campaign(campaign.id) is None:
            raise StoreCodeError(f"没有门店活码活动 {campaign.id}")
        await self._redis.hset(self._keys.store_campaigns, campaign.id, campaign.to_json())
        return campaign

    async def delete_campaign(self, campaign_id: str) -> Campaign:
        campaign = await self.campaign(campaign_id)
        if campaign is None:
            raise StoreCodeError(f"没有门店活码活动 {campaign_id}")
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hdel(self._keys.store_campaigns, campaign_id)
            tx.delete(
                self._keys.store_list(campaign_id), self._keys.store_list_previous(campaign_id)
            )
            await tx.execute()
        return campaign

    async def stores(self, campaign_id: str) -> list[Store]:
        rows = await self._redis.hgetall(self._keys.store_list(campaign_id))
        return sorted((Store.from_json(v) for v in rows.values()), key=lambda s: (s.city, s.name))

    async def replace_stores(
        self, campaign_id: str, stores: Sequence[Store], lines: dict[str, int]
    ) -> None:
        """Make the campaign's store list `stores` in one transaction, once every store's code
        exists (`lines`: where each came from, for the problems)."""
        if await self.campaign(campaign_id) is None:
            raise StoreCodeError(f"没有门店活码活动 {campaign_id}")
        problems = [
            f"第 {lines.get(store.id, 0)} 行：活码 {store.code} 不存在"
            for store in stores
            if not await self.code_exists(CodeRef.parse(store.code))
        ]
        if problems:
            raise StoreListError(problems)
        key, previous = (
            self._keys.store_list(campaign_id),
            self._keys.store_list_previous(campaign_id),
        )
        async with self._redis.pipeline(transaction=True) as tx:
            tx.delete(previous)
            tx.copy(key, previous)  # one generation back, for 撤销
            tx.delete(key)
            if stores:
                tx.hset(key, mapping={store.id: store.to_json() for store in stores})
            tx.incr(self._keys.store_lists_version)
            await tx.execute()

    async def restore_previous(self, campaign_id: str) -> int:
        """Put back the store list the last import replaced; returns how many stores."""
        key, previous = (
            self._keys.store_list(campaign_id),
            self._keys.store_list_previous(campaign_id),
        )
        async with self._redis.pipeline(transaction=True) as tx:
            tx.delete(key)
            tx.copy(previous, key)
            tx.delete(previous)
            tx.incr(self._keys.store_lists_version)
            tx.hlen(key)
            *_, count = await tx.execute()
        return int(count)

    @staticmethod
    def queue_import(
        tx: Any,
        keys: RedisKeys,
        saved: Sequence[tuple[Campaign, Sequence[Store]]],
        removed: Sequence[str],
    ) -> None:
        """Queue a configuration import's writes: each saved campaign with its whole store list,
        and the removed campaigns gone with theirs."""
        for campaign, stores in saved:
            tx.hset(keys.store_campaigns, campaign.id, campaign.to_json())
            tx.delete(keys.store_list(campaign.id))
            if stores:
                tx.hset(keys.store_list(campaign.id), mapping={s.id: s.to_json() for s in stores})
        for campaign_id in removed:
            tx.hdel(keys.store_campaigns, campaign_id)
            tx.delete(keys.store_list(campaign_id), keys.store_list_previous(campaign_id))
        tx.incr(keys.store_lists_version)

    async def code_exists(self, ref: CodeRef) -> bool:
        hash_key = self._keys.channels if ref.kind == "channel" else self._keys.group_codes
        return bool(await self._redis.hexists(hash_key, ref.id))

    async def count_view(self, campaign_id: str, field: str, day: date) -> None:
        """One more showing of `field` (a store id, `PAGE` or `BACKUP`) of an existing
        campaign — the caller checked both exist, so no visitor adds a field."""
        key = self._keys.store_views(day.isoformat())
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, f"{campaign_id}|{field}", 1)
            pipe.expire(key, VIEWS_KEEP_SECONDS)
            await pipe.execute()

    async def views(self, campaign_id: str, days: int, today: date) -> dict[str, int]:
        """field -> showings over the last `days` days."""
        span = [today - timedelta(days=n) for n in range(days)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in span:
                pipe.hgetall(self._keys.store_views(day.isoformat()))
            rows = await pipe.execute()
        totals: dict[str, int] = {}
        prefix = f"{campaign_id}|"
        for row in rows:
            for name, count in row.items():
                if name.startswith(prefix):
                    field = name.removeprefix(prefix)
                    totals[field] = totals.get(field, 0) + int(count)
        return totals

    def _lists(self, campaign_id: str) -> tuple[str, str]:
        """The campaign's store list and the one before the last import."""
        return self._keys.store_list(campaign_id), self._keys.store_list_previous(campaign_id)
