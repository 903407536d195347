"""Acquisition links as operators define them, and their store (`keys.acquisition_*`, written
here only). A link is made in WeCom first; the URL we hand out carries `customer_channel=acq:<id>`,
which WeCom returns as the add's State, so adds through it are counted for it."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

from redis.asyncio import Redis

from bot.errors import UserError
from bot.keys import RedisKeys
from bot.storage.ids import free_id
from bot.wecom.api.acquisition import AcquisitionAPI

STATE_PREFIX = "acq:"
MAX_NAME = 30
MAX_USERS = 500
KEEP_SECONDS = 400 * 86400
SEEN_SECONDS = 7 * 86400
_USERID = re.compile(r"[A-Za-z0-9_@.-]{1,64}")


class LinkError(UserError, ValueError):
    """A link that can't be saved; the message says why, in Chinese."""


@dataclass
class AcquisitionLink:
    """One acquisition link: who it adds, and WeCom's id and URL for it."""

    id: str
    name: str
    users: list[str] = field(default_factory=list)
    skip_verify: bool = True
    link_id: str = ""
    url: str = ""

    @property
    def state(self) -> str:
        return STATE_PREFIX + self.id

    @property
    def attributed_url(self) -> str:
        """The URL to hand out: WeCom's, with our State as `customer_channel`."""
        if not self.url:
            return ""
        joiner = "&" if urlsplit(self.url).query else "?"
        return self.url + joiner + urlencode({"customer_channel": self.state})

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> AcquisitionLink:
        return cls(**json.loads(raw))


def validate(link: AcquisitionLink) -> None:
    if not link.name.strip() or len(link.name) > MAX_NAME:
        raise LinkError(f"获客链接名称需要 1–{MAX_NAME} 个字")
    if not link.users or len(link.users) > MAX_USERS:
        raise LinkError(f"获客链接需要 1–{MAX_USERS} 名接待成员")
    bad = next((u for u in link.users if not _USERID.fullmatch(u)), None)
    if bad is not None:
        raise LinkError(f"「{bad[:20]}」不是有效的成员账号")


class LinkStore:
    """The corp's acquisition links, in WeCom and here, and the adds each brought."""

    def __init__(self, redis: Redis, keys: RedisKeys, api: AcquisitionAPI) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api

    async def get(self, link_id: str) -> AcquisitionLink | None:
        raw = await self._redis.hget(self._keys.acquisition_links, link_id)
        return AcquisitionLink.from_json(raw) if raw else None

    async def links(self) -> list[AcquisitionLink]:
        rows = await self._redis.hgetall(self._keys.acquisition_links)
        found = [AcquisitionLink.from_json(raw) for raw in rows.values()]
        return sorted(found, key=lambda link: link.id)

    async def create(self, link: AcquisitionLink) -> AcquisitionLink:
        validate(link)
        link.id = await free_id(self._redis, self._keys.acquisition_links)
        made = await self._api.create_link(link.name, link.users, skip_verify=link.skip_verify)
        link.link_id, link.url = str(made["link_id"]), str(made.get("url", ""))
        await self._redis.hset(self._keys.acquisition_links, link.id, link.to_json())
        return link

    async def delete(self, link_id: str) -> AcquisitionLink:
        link = await self.get(link_id)
        if link is None:
            raise LinkError(f"没有获客链接 {link_id}")
        await self._api.delete_link(link.link_id)
        await self._redis.hdel(self._keys.acquisition_links, link_id)
        return link

    async def count_add(self, mark: str, link_id: str, day: date) -> bool:
        """One more add through the link on `day`, once per event `mark`."""
        if not await self._redis.set(
            self._keys.acquisition_seen(mark), "1", nx=True, ex=SEEN_SECONDS
        ):
            return False
        key = self._keys.acquisition_adds(day.isoformat())
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hincrby(key, link_id, 1)
            tx.expire(key, KEEP_SECONDS)
            await tx.execute()
        return True

    async def adds(self, link_id: str, days: int, today: date) -> list[tuple[date, int]]:
        span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in span:
                pipe.hget(self._keys.acquisition_adds(day.isoformat()), link_id)
            counts = await pipe.execute()
        return [(day, int(count or 0)) for day, count in zip(span, counts, strict=True)]

    async def first_alert_today(self, change: str, day: date) -> bool:
        """Whether admins are yet to be told of this quota change today (and now will be)."""
        key = self._keys.acquisition_alerted(change, day.isoformat())
        return bool(await self._redis.set(key, "1", nx=True, ex=2 * 86400))
