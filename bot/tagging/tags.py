"""Corp tags by name: WeCom tag ids resolved through a cache of `get_corp_tag_list`.

Rules and RFM segments name their tag as group + name, as operators see them. The cache is
read from WeCom when a name is missing from it and when WeCom reports a tag change
(`change_external_tag`); a tag WeCom doesn't have is created with `add_corp_tag`, under a
lock so two processes don't create it twice.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.storage.locks import RedisLock
from bot.wecom.api.external_contact import ExternalContactAPI

SEP = "\x1f"


def _field(group: str, name: str) -> str:
    return f"{group}{SEP}{name}"


class CorpTags:
    """The corp's tag ids by (group name, tag name), and names by id."""

    def __init__(self, redis: Redis, keys: RedisKeys, api: ExternalContactAPI) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api

    async def refresh(self) -> int:
        """Read every tag group from WeCom into the cache; returns how many tags there are."""
        groups = await self._api.get_corp_tag_list()
        mapping: dict[str, str] = {}
        for group in groups:
            for tag in group.get("tag", []):
                mapping[_field(group["group_name"], tag["name"])] = tag["id"]
                mapping[f"id:{tag['id']}"] = f"{group['group_name']}/{tag['name']}"
        async with self._redis.pipeline(transaction=True) as tx:
            tx.delete(self._keys.corp_tags)
            if mapping:
                tx.hset(self._keys.corp_tags, mapping=mapping)
            await tx.execute()
        return sum(1 for key in mapping if not key.startswith("id:"))

    async def tag_id(self, group: str, name: str, *, create: bool = True) -> str | None:
        """The id of tag `name` in `group`, creating the tag (and group) when WeCom lacks it."""
        field = _field(group, name)
        found = await self._redis.hget(self._keys.corp_tags, field)
        if found:
            return str(found)
        async with RedisLock(self._redis, self._keys.corp_tags_lock, ttl=30, wait=30):
            await self.refresh()  # someone may have added it in the admin console meanwhile
            found = await self._redis.hget(self._keys.corp_tags, field)
            if found or not create:
                return str(found) if found else None
            created = await self._api.add_corp_tag([name], group_name=group)
            tag_id = str(created["tag"][0]["id"])
            await self._redis.hset(
                self._keys.corp_tags, mapping={field: tag_id, f"id:{tag_id}": f"{group}/{name}"}
            )
            return tag_id

    async def names(self, tag_ids: list[str]) -> dict[str, str]:
        """ "group/name" of each known tag id (unknown ids are left out)."""
        if not tag_ids:
            return {}
        rows = await self._redis.hmget(self._keys.corp_tags, [f"id:{t}" for t in tag_ids])
        return {t: name for t, name in zip(tag_ids, rows, strict=True) if name}

    async def unknown(self, tag_ids: list[str]) -> list[str]:
        """The ids among `tag_ids` that are no corp tag, in the order given; the cache is read
        from WeCom again first when it doesn't know one (a tag added in the console since)."""
        wanted = list(dict.fromkeys(tag_ids))
        cached = await self.names(wanted)
        missing = [t for t in wanted if t not in cached]
        if missing:
            await self.refresh()
            known = await self.names(missing)
            missing = [t for t in missing if t not in known]
        return missing

    async def forget(self) -> None:
        """Drop the cache (a tag changed in WeCom); the next lookup reads the list again."""
        await self._redis.delete(self._keys.corp_tags)
