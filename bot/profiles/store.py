"""Profiles in Redis, updated field by field as events and API reads arrive.

Each update touches only the fields it knows, atomically, in one Lua step over the customer's
document (`bot.profiles.codec`): an add sets the follower's added-at and channel, a deletion
its flags, a message the counters ("last message at" stays the latest even when an archive
batch arrives out of order), a tag we marked the follower's tag list. `externalcontact/get`
answers overwrite what they cover: they are WeCom's truth.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from bot.events import ChatText
from bot.keys import RedisKeys
from bot.profiles.codec import PRELUDE, code_avatar, decode, tag_rows
from bot.profiles.model import CustomerProfile, ProfileTag, from_hash
from bot.welcome.channels import STATE_PREFIX

# ARGV[1]: {"c": customer fields, "f": {userid: follower fields}} in the document's names
_CONTACT = (
    PRELUDE
    + """
local patch = cjson.decode(ARGV[1])
local doc = load(KEYS[1])
for k, v in pairs(patch.c) do put(doc, k, v) end
for user, fields in pairs(patch.f) do
  local f = follower(doc, user)
  for k, v in pairs(fields) do
    if k ~= 's' and k ~= 'ch' then put(f, k, v) end
  end
  set_state(f, fields.s or '', fields.ch or '')
  f.db = nil
  f.dt = nil
end
save(KEYS[1], doc)
"""
)
# ARGV: userid, added at, state, our channel id ('' = not ours: the stored one stays)
_ADDED = (
    PRELUDE
    + """
local doc = load(KEYS[1])
local f = follower(doc, ARGV[1])
put(f, 'ad', tonumber(ARGV[2]))
set_state(f, ARGV[3], ARGV[4])
f.db = nil
f.dt = nil
save(KEYS[1], doc)
"""
)
# ARGV: userid, by (customer / staff / transfer), at
_DELETED = (
    PRELUDE
    + """
local doc = load(KEYS[1])
local f = follower(doc, ARGV[1])
put(f, 'db', ARGV[2])
put(f, 'dt', tonumber(ARGV[3]))
save(KEYS[1], doc)
"""
)
# ARGV: sent at, "customer"/"staff", follower ('' = none)
_MESSAGE = (
    PRELUDE
    + """
local doc = load(KEYS[1])
local at = tonumber(ARGV[1]) or 0
doc.m = (doc.m or 0) + 1
if at > (doc.lm or 0) then doc.lm = at end
if ARGV[2] == 'customer' then
  doc.mc = (doc.mc or 0) + 1
  if at > (doc.lc or 0) then doc.lc = at end
end
if ARGV[3] ~= '' then
  local f = follower(doc, ARGV[3])
  f.m = (f.m or 0) + 1
  if at > (f.lm or 0) then f.lm = at end
end
save(KEYS[1], doc)
"""
)
# ARGV: userid, JSON [id, group, name] rows to add, JSON ids to remove
_TAGS = (
    PRELUDE
    + """
local doc = load(KEYS[1])
local f = follower(doc, ARGV[1])
local drop = {}
for _, id in ipairs(cjson.decode(ARGV[3])) do drop[id] = true end
local out, seen = {}, {}
if type(f.tg) == 'table' then
  for _, tag in ipairs(f.tg) do
    if type(tag) == 'table' and not drop[tag[1]] and not seen[tag[1]] then
      out[#out + 1] = tag
      seen[tag[1]] = true
    end
  end
end
for _, tag in ipairs(cjson.decode(ARGV[2])) do
  if not seen[tag[1]] then out[#out + 1] = tag; seen[tag[1]] = true end
end
put(f, 'tg', out)
save(KEYS[1], doc)
"""
)
# the document as JSON, or the flat fields of a profile an earlier version kept as a hash
_READ = """
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'string' then
  local ok, doc = pcall(cmsgpack.unpack, redis.call('GET', KEYS[1]))
  if ok and type(doc) == 'table' then return {'doc', cjson.encode(doc)} end
  return {'none'}
end
if kind == 'hash' then return {'hash', redis.call('HGETALL', KEYS[1])} end
return {'none'}
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
    """Reads and updates customer profiles (the one writer of `profile` keys)."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._contact = redis.register_script(_CONTACT)
        self._added = redis.register_script(_ADDED)
        self._deleted = redis.register_script(_DELETED)
        self._message = redis.register_script(_MESSAGE)
        self._tags = redis.register_script(_TAGS)
        self._read = redis.register_script(_READ)

    async def get(self, external_userid: str) -> CustomerProfile:
        reply = await self._read(keys=[self._keys.profile(external_userid)])
        return self.parse_read(external_userid, reply)

    async def queue_read(self, pipe: Any, external_userid: str) -> None:
        """Queue reading one profile on a pipeline (`parse_read` its reply)."""
        await self._read(keys=[self._keys.profile(external_userid)], client=pipe)

    @staticmethod
    def parse_read(external_userid: str, reply: Any) -> CustomerProfile:
        if reply and reply[0] == "doc":
            return decode(external_userid, reply[1])
        if reply and reply[0] == "hash":
            flat = reply[1]
            return from_hash(external_userid, dict(zip(flat[::2], flat[1::2], strict=True)))
        return CustomerProfile(external_userid)

    async def record_contact(self, data: dict[str, Any], read_at: int) -> None:
        """Store an `externalcontact/get` answer: the customer and every follower listed
        (connected now, since WeCom lists them)."""
        contact = data.get("external_contact") or {}
        external_userid = str(contact.get("external_userid", ""))
        if not external_userid:
            return
        customer: dict[str, Any] = {"r": read_at}
        for name, short in (("name", "n"), ("corp_name", "c"), ("type", "t"), ("gender", "g")):
            if name in contact:
                customer[short] = _int(contact[name]) if short in ("t", "g") else str(contact[name])
        if "avatar" in contact:
            customer["a"] = code_avatar(str(contact["avatar"]))
        follows: dict[str, dict[str, Any]] = {}
        for follow in data.get("follow_user", []):
            userid = str(follow.get("userid", ""))
            if not userid:
                continue
            state = str(follow.get("state") or "")
            fields: dict[str, Any] = {
                "rm": str(follow.get("remark") or ""),
                "d": str(follow.get("description") or ""),
                "tg": tag_rows(_follow_tags(follow)),
                "ad": _int(follow.get("createtime")),
                "s": state,
            }
            if _channel(state):
                fields["ch"] = _channel(state)
            follows[userid] = fields
        patch = json.dumps({"c": customer, "f": follows}, ensure_ascii=False)
        await self._contact(keys=[self._keys.profile(external_userid)], args=[patch])

    async def added(self, external_userid: str, userid: str, at: int, state: str) -> None:
        """A staff member added the customer (again: earlier deletion flags are cleared)."""
        await self._added(
            keys=[self._keys.profile(external_userid)], args=[userid, at, state, _channel(state)]
        )

    async def follow_deleted(self, external_userid: str, userid: str, by: str, at: int) -> None:
        """The relation ended: `by` is customer, staff or transfer."""
        await self._deleted(keys=[self._keys.profile(external_userid)], args=[userid, by, at])

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
            args=[
                userid,
                json.dumps(tag_rows(add), ensure_ascii=False),
                json.dumps(list(remove_ids)),
            ],
        )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
