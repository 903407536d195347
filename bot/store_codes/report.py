"""Each store's numbers over a span of days: how often the landing page showed its code, and
what its code brought — adds (a channel code) or group joins (a group live code). Scans of a
code shown on a phone are not seen by anyone: WeCom reports adds and joins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.group_codes.stats import GroupCodeStats
from bot.keys import RedisKeys
from bot.stats.report import read_stats
from bot.storage.topology import RedisClient
from bot.store_codes.model import Campaign, CodeRef, Store
from bot.store_codes.store import BACKUP, PAGE, StoreCodeStore


@dataclass(frozen=True, slots=True)
class StoreNumbers:
    """One store (or the backup, `store` None) over the span."""

    store: Store | None
    code: str
    shown: int
    adds: int | None  # a channel code's adds; None for a group code
    joins: int | None  # a group code's joins; None for a channel code

    def as_dict(self) -> dict[str, object]:
        item = self.store
        where = {"id": item.id, "name": item.name, "city": item.city} if item else {}
        return (where or {"id": BACKUP, "name": "备用活码", "city": ""}) | {
            "code": self.code,
            "shown": self.shown,
            "adds": self.adds,
            "joins": self.joins,
        }


async def store_numbers(
    redis: RedisClient,
    keys: RedisKeys,
    campaign: Campaign,
    days: int,
    today: date,
) -> tuple[int, list[StoreNumbers]]:
    """(page loads, one row per store and one for the backup) over the last `days` days."""
    store = StoreCodeStore(redis, keys)
    shown = await store.views(campaign.id, days, today)
    adds: dict[str, int] = {}
    for row in await read_stats(redis, keys, days, "channel", today):
        adds[row.who] = adds.get(row.who, 0) + row.new
    group_stats = GroupCodeStats(redis, keys)

    async def numbers(item: Store | None, code_text: str, field: str) -> StoreNumbers:
        code = CodeRef.parse(code_text)
        if code.kind == "channel":
            return StoreNumbers(item, code_text, shown.get(field, 0), adds.get(code.id, 0), None)
        joins = (await group_stats.summary(code.id, days, today)).joins
        return StoreNumbers(item, code_text, shown.get(field, 0), None, joins)

    rows = [await numbers(item, item.code, item.id) for item in await store.stores(campaign.id)]
    rows.append(await numbers(None, campaign.backup, BACKUP))
    return shown.get(PAGE, 0), rows
