"""Store-code campaigns in the configuration file (`store_codes`): each campaign with its whole
store list inline, as `scrm-bot stores import` would give it. Page views are not configuration.
The store lists' keys can't be named before they are read, so the import watches the lists'
version counter, which every change of a list bumps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from bot.config_io.items import Item
from bot.config_io.sections import ListSection, written
from bot.keys import RedisKeys
from bot.store_codes.model import (
    MAX_STORES,
    Campaign,
    CodeRef,
    Store,
    StoreCodeError,
    store_id,
    validate_campaign,
    validate_store,
)
from bot.store_codes.store import StoreCodeStore

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan
    from bot.text.guard import TextGuard


@dataclass(frozen=True, slots=True)
class StoreRow:
    """One store as the file lists it (its id follows from its city and name)."""

    name: str
    city: str
    address: str
    lat: float
    lng: float
    code: str

    def store(self) -> Store:
        return Store(
            store_id(self.name, self.city),
            self.name,
            self.city,
            self.address,
            self.lat,
            self.lng,
            self.code,
        )


@dataclass(slots=True)
class CampaignFile:
    """A campaign and its stores, the file's form."""

    id: str
    name: str
    backup: str
    radius_m: int = 5000
    coordinates: str = "gcj02"
    stores: list[StoreRow] = field(default_factory=list)

    def campaign(self) -> Campaign:
        return Campaign(self.id, self.name, self.backup, self.radius_m, self.coordinates)


class StoreCodesSection(ListSection):
    """Store-code campaigns with their stores."""

    name, label, rank = "store_codes", "门店活码", 78  # after the codes they show
    refers_to = ("channels", "group_codes")
    model = CampaignFile
    id_bytes = 3

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.store_campaigns

    def keys(self, keys: RedisKeys) -> list[str]:
        return [keys.store_campaigns, keys.store_lists_version]

    async def read(self, client: Any, keys: RedisKeys) -> tuple[Any, ...]:
        campaigns = dict(await client.hgetall(keys.store_campaigns))
        version = await client.get(keys.store_lists_version)
        lists = {cid: dict(await client.hgetall(keys.store_list(cid))) for cid in sorted(campaigns)}
        return campaigns, version, lists

    def current(self, state: tuple[Any, ...]) -> dict[str, Item]:
        campaigns, _version, lists = state
        items = {}
        for cid in sorted(campaigns):
            campaign = Campaign.from_json(campaigns[cid])
            stores = sorted(
                (Store.from_json(raw) for raw in lists.get(cid, {}).values()),
                key=lambda s: (s.city, s.name),
            )
            rows = [StoreRow(s.name, s.city, s.address, s.lat, s.lng, s.code) for s in stores]
            model = CampaignFile(**asdict(campaign), stores=rows)
            items[cid] = Item(cid, model.name, self.export(model), model)
        return items

    def export(self, model: Any) -> dict[str, Any]:
        data = asdict(model)
        data["stores"] = sorted(data["stores"], key=lambda s: (s["city"], s["name"]))
        return data

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate_campaign(model.campaign())
        if len(model.stores) > MAX_STORES:
            raise StoreCodeError(f"门店超过 {MAX_STORES} 家：请分成多个活动")
        seen: dict[str, int] = {}
        for n, row in enumerate(model.stores):
            try:
                validate_store(row.store())
            except StoreCodeError as exc:
                raise StoreCodeError(f"stores[{n}]: {exc}") from None
            key = store_id(row.name, row.city)
            if key in seen:
                raise StoreCodeError(f"stores[{n}]: 与 stores[{seen[key]}] 是同一城市的同名门店")
            seen[key] = n

    def check_references(
        self, after: Mapping[str, Mapping[str, Item]], media_present: set[str], own: bool
    ) -> list[str]:
        known = {"channel": set(after["channels"]), "group": set(after["group_codes"])}
        problems = []
        for item in after[self.name].values():
            label = item.where or f"store_codes (id {item.key})"
            model: CampaignFile = item.model
            refs = [("backup", model.backup)] + [
                (f"stores[{n}]", row.code) for n, row in enumerate(model.stores)
            ]
            for place, text in refs:
                try:
                    ref = CodeRef.parse(text)
                except StoreCodeError:
                    continue  # said by check_item
                if ref.id not in known[ref.kind]:
                    problems.append(f"{label}: {place} 的活码 {text} 不存在")
        return problems

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        saved = [
            (item.model.campaign(), [row.store() for row in item.model.stores])
            for item in written(plan, self.name)
        ]
        removed = [item.key for item in plan.sections[self.name].removed]
        StoreCodeStore.queue_import(tx, keys, saved, removed)


SECTIONS = (StoreCodesSection(),)
