"""Profiles in Redis, updated field by field as events and API reads arrive.

Each update touches only the fields it knows, atomically: an add sets the follower's added-at
and channel, a deletion its flags, a message the counters (a small script keeps "last message
at" the latest even when an archive batch arrives out of order), a tag we marked the follower's
tag list. `externalcontact/get` answers overwrite what they cover: they are WeCom's truth.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from bot.events import ChatText
from bot.keys import RedisKeys
from bot.profiles.model import SEP, CustomerProfile, ProfileTag, from_hash, tags_json
from bot.welcome.channels import STATE_PREFIX

# KEYS[1] profile; ARGV[1] sent at, ARGV[2] "customer"/"staff", ARGV[3] follower ('' = none)
_MESSAGE = """
local function latest(field, at)
  local old = tonumber(redis.call('HGET', KEYS[1], field) or '0') or 0
  if at > old then redis.call('HSET', KEYS[1], field, at) end
end
local at = tonumber(ARGV[1])
redis.call('HINCRBY', KEYS[1], 'messages', 1)
latest('last_message_at', at)
if ARGV[2] == 'customer' then
  redis.call('HINCRBY', KEYS[1], 'messages_from_customer', 1)
  latest('last_customer_message_at', at)
end
if ARGV[3] ~= '' then
  redis.call('HINCRBY', KEYS[1], ARGV[3] .. '|messages', 1)
  latest(ARGV[3] .. '|last_message_at', at)
end
"""

# KEYS[1] profile; ARGV[1] the follower's tags field, ARGV[2] JSON tags to add,
# ARGV[3] JSON ids to remove
_TAGS = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local current = {}
if raw then
  local ok, decoded = pcall(cjson.decode, raw)
  if ok and type(decoded) == 'table' then current = decoded end
end
local drop = {}
for _, id in ipairs(cjson.decode(ARGV[3])) do drop[id] = true end
local out, seen = {}, {}
for _, tag in ipairs(current) do
  if not drop[tag.id] and not seen[tag.id] then out[#out + 1] = tag; seen[tag.id] = true end
end
for _, tag in ipairs(cjson.decode(ARGV[2])) do
  if not seen[tag.id] then out[#out + 1] = tag; seen[tag.id] = true end
end
if #out == 0 then
  redis.call('HSET', KEYS[1], ARGV[1], '[]')
else
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(out))
end
"""


def _channel(state: str) -> str:
    return state.removeprefix(STATE_PREFIX) if state.startswith(STATE_PREFIX) else ""


def _follow_tags(follow: dict[str, Any]) -> list[ProfileTag]:
    return [
        ProfileTag(str(t.get("tag_id", "")), str(t.get("group_name", "")), str(t.get("tag_name")))
        for t in follow.get("tags", [])
        if isinstance(t, dict)
    ]


class ProfileStore:
    """Reads and updates customer profiles."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._message = redis.register_script(_MESSAGE)
        self._tags = redis.register_script(_TAGS)

    async def get(self, external_userid: str) -> CustomerProfile:
        fields = await self._redis.hgetall(self._keys.profile(external_userid))
        return from_hash(external_userid, fields)

    async def record_contact(self, data: dict[str, Any], read_at: int) -> None:
        """Store an `externalcontact/get` answer: the customer and every follower listed."""
        contact = data.get("external_contact") or {}
        external_userid = str(contact.get("external_userid", ""))
        if not external_userid:
            return
        mapping: dict[str, str | int] = {"read_at": read_at}
        for name in ("name", "corp_name", "avatar", "type", "gender"):
            if name in contact:
                mapping[name] = contact[name] if name in ("type", "gender") else str(contact[name])
        connected = []
        for follow in data.get("follow_user", []):
            userid = str(follow.get("userid", ""))
            if not userid:
                continue
            connected.append(userid)
            state = str(follow.get("state") or "")
            mapping.update(
                {
                    f"{userid}{SEP}remark": str(follow.get("remark") or ""),
                    f"{userid}{SEP}description": str(follow.get("description") or ""),
                    f"{userid}{SEP}tags": tags_json(_follow_tags(follow)),
                    f"{userid}{SEP}added_at": int(follow.get("createtime") or 0),
                    f"{userid}{SEP}state": state,
                }
            )
            if _channel(state):
                mapping[f"{userid}{SEP}channel"] = _channel(state)
        key = self._keys.profile(external_userid)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(key, mapping=mapping)
            for userid in connected:  # listed by WeCom, so they are connected now
                tx.hdel(key, f"{userid}{SEP}deleted_by", f"{userid}{SEP}deleted_at")
            await tx.execute()

    async def added(self, external_userid: str, userid: str, at: int, state: str) -> None:
        """A staff member added the customer (again: earlier deletion flags are cleared)."""
        key = self._keys.profile(external_userid)
        mapping: dict[str, str | int] = {f"{userid}{SEP}added_at": at, f"{userid}{SEP}state": state}
        if _channel(state):
            mapping[f"{userid}{SEP}channel"] = _channel(state)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(key, mapping=mapping)
            tx.hdel(key, f"{userid}{SEP}deleted_by", f"{userid}{SEP}deleted_at")
            await tx.execute()

    async def follow_deleted(self, external_userid: str, userid: str, by: str, at: int) -> None:
        """The relation ended: `by` is customer, staff or transfer."""
        await self._redis.hset(
            self._keys.profile(external_userid),
            mapping={f"{userid}{SEP}deleted_by": by, f"{userid}{SEP}deleted_at": at},
        )

    async def message(self, message: ChatText) -> None:
        """Count one chat message towards the customer (and the staff member in the chat)."""
        if not message.external_userid:
            return
        # a KF servicer isn't a follower: only direct chats count towards a staff member
        follower = message.staff_userid if message.source != "kf" else ""
        await self._message(
            keys=[self._keys.profile(message.external_userid)],
            args=[message.sent_at or message.create_time, message.sender, follower],
        )

    async def tags_changed(
        self,
        external_userid: str,
        userid: str,
        add: list[ProfileTag],
        remove_ids: Sequence[str] = (),
    ) -> None:
        """Tags the bot marked (or removed) for one follower, without reading WeCom again."""
        await self._tags(
            keys=[self._keys.profile(external_userid)],
            args=[f"{userid}{SEP}tags", tags_json(add), json.dumps(list(remove_ids))],
        )
