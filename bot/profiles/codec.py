"""How a profile is kept in Redis: one compact document per customer.

A profile used to be a hash of flat fields ("name", "<userid>|tags", …). Avatar URLs and tag
lists are longer than Redis's 64-byte listpack limit, so every profile hash was a full
hashtable: ~1.3–2 KB per customer, up to 2 GB per million. As one MessagePack string with
short keys, empty fields left out and the avatar's well-known URL prefix coded, the same
information takes about a quarter of that (benchmarks/profile_memory.py).

Every change is a Lua script that unpacks the document, changes what it knows and packs it
back in one step (`PRELUDE` holds the shared part; Redis's Lua has `cmsgpack` built in), so
updates stay atomic and need no read first. Reading goes through a script too, which hands the
document over as JSON: the clients decode replies as text, and MessagePack is binary. A
profile still stored as a hash by an earlier version is converted by the first update that
touches it, and read as it is until then.

The document: customer fields `n` name, `c` corp_name, `a` avatar, `t` type, `g` gender,
`r` read_at, `m` messages, `mc` messages_from_customer, `lm` last_message_at, `lc`
last_customer_message_at; `f` maps each follower's userid to `rm` remark, `d` description,
`tg` tags ([id, group, name] each), `s` state, `ch` channel (only when the state, "ch:<id>",
doesn't already say it), `ad` added_at, `db` deleted_by,
`dt` deleted_at, `m` messages, `lm` last_message_at.
"""

from __future__ import annotations

import json
from typing import Any

from bot.profiles.model import CustomerProfile, FollowProfile, ProfileTag
from bot.welcome.channels import STATE_PREFIX

CUSTOMER = {
    "name": "n",
    "corp_name": "c",
    "avatar": "a",
    "type": "t",
    "gender": "g",
    "read_at": "r",
    "messages": "m",
    "messages_from_customer": "mc",
    "last_message_at": "lm",
    "last_customer_message_at": "lc",
}
FOLLOW = {
    "remark": "rm",
    "description": "d",
    "tags": "tg",
    "state": "s",
    "channel": "ch",
    "added_at": "ad",
    "deleted_by": "db",
    "deleted_at": "dt",
    "messages": "m",
    "last_message_at": "lm",
}
INTS = frozenset({"t", "g", "r", "m", "mc", "lm", "lc", "ad", "dt"})
# WeChat and WeCom avatars share a few long prefixes: kept as "~<n>" + the rest
AVATAR_PREFIXES = (
    "http://wx.qlogo.cn/mmhead/",
    "https://wx.qlogo.cn/mmhead/",
    "http://thirdwx.qlogo.cn/mmopen/",
    "https://thirdwx.qlogo.cn/mmopen/",
    "http://wework.qpic.cn/wwhead/",
    "https://wework.qpic.cn/wwhead/",
    "http://wework.qpic.cn/wwpic/",
    "https://wework.qpic.cn/wwpic/",
)


def code_avatar(url: str) -> str:
    for n, prefix in enumerate(AVATAR_PREFIXES):
        if url.startswith(prefix):
            return f"~{n}{url.removeprefix(prefix)}"
    return url


def avatar_url(coded: str) -> str:
    if coded.startswith("~") and len(coded) > 1 and coded[1].isdigit():
        index = int(coded[1])
        if index < len(AVATAR_PREFIXES):
            return AVATAR_PREFIXES[index] + coded[2:]
    return coded


def tag_rows(tags: list[ProfileTag]) -> list[list[str]]:
    return [[t.id, t.group, t.name] for t in tags]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _tags(value: Any) -> list[ProfileTag]:
    if not isinstance(value, list):  # Lua's cjson writes an empty list as {}
        return []
    return [
        ProfileTag(*(str(part) for part in row[:3]))
        for row in value
        if isinstance(row, list) and len(row) >= 3
    ]


def decode(external_userid: str, raw: str) -> CustomerProfile:
    """The profile a stored document holds (an unreadable one reads as unknown)."""
    profile = CustomerProfile(external_userid)
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError:
        return profile
    if not isinstance(doc, dict):
        return profile
    for name, short in CUSTOMER.items():
        if short in doc:
            value = doc[short]
            setattr(profile, name, _int(value) if short in INTS else str(value))
    profile.avatar = avatar_url(profile.avatar)
    follows = doc.get("f")
    for userid, data in follows.items() if isinstance(follows, dict) else ():
        if isinstance(data, dict):
            profile.follows[userid] = _follow(userid, data)
    return profile


def _follow(userid: str, data: dict[str, Any]) -> FollowProfile:
    follow = FollowProfile(userid)
    state = str(data.get("s", ""))
    follow.channel = state.removeprefix(STATE_PREFIX) if state.startswith(STATE_PREFIX) else ""
    for name, short in FOLLOW.items():
        if short not in data:
            continue
        value = data[short]
        if short == "tg":
            follow.tags = _tags(value)
        else:
            setattr(follow, name, _int(value) if short in INTS else str(value))
    return follow


# Shared by every profile script: `read` returns the document (and the key's type), also from
# a hash written by an earlier version; `load` is `read` converting such a hash, once; `put`
# sets a field or drops it when empty, `save` writes it back.
PRELUDE = """
local INTS = {t=1, g=1, r=1, m=1, mc=1, lm=1, lc=1, ad=1, dt=1}
local CUSTOMER = {name='n', corp_name='c', avatar='a', type='t', gender='g', read_at='r',
  messages='m', messages_from_customer='mc', last_message_at='lm',
  last_customer_message_at='lc'}
local FOLLOW = {remark='rm', description='d', tags='tg', state='s', channel='ch',
  added_at='ad', deleted_by='db', deleted_at='dt', messages='m', last_message_at='lm'}
local function put(t, k, v)
  if v == '' or v == 0 or (type(v) == 'table' and next(v) == nil) then t[k] = nil
  else t[k] = v end
end
local function legacy_tags(raw)
  local ok, rows = pcall(cjson.decode, raw)
  local out = {}
  if ok and type(rows) == 'table' then
    for _, r in ipairs(rows) do
      if type(r) == 'table' then out[#out + 1] = {r.id or '', r.group or '', r.name or ''} end
    end
  end
  return out
end
local function legacy_value(short, raw)
  if short == 'tg' then return legacy_tags(raw) end
  if INTS[short] then return tonumber(raw) or 0 end
  return raw
end
local function unpack_doc(raw)
  local ok, doc = pcall(cmsgpack.unpack, raw)
  if ok and type(doc) == 'table' then return doc end
  return {}
end
local function read(key)
  local kind = redis.call('TYPE', key).ok
  if kind == 'string' then return unpack_doc(redis.call('GET', key)), kind end
  local doc = {}
  if kind ~= 'hash' then return doc, kind end
  local flat = redis.call('HGETALL', key)
  for i = 1, #flat, 2 do
    local user, field = string.match(flat[i], '^(.-)|(.+)$')
    if user then
      local short = FOLLOW[field]
      if short then
        doc.f = doc.f or {}
        doc.f[user] = doc.f[user] or {}
        put(doc.f[user], short, legacy_value(short, flat[i + 1]))
      end
    elseif CUSTOMER[flat[i]] then
      local short = CUSTOMER[flat[i]]
      put(doc, short, legacy_value(short, flat[i + 1]))
    end
  end
  for _, f in pairs(doc.f or {}) do
    if f.ch and f.s == 'ch:' .. f.ch then f.ch = nil end
  end
  return doc, kind
end
local function load(key)
  local doc, kind = read(key)
  if kind == 'hash' then redis.call('DEL', key) end
  return doc
end
-- the channel is kept only where the state doesn't already say it ("ch:<id>")
local function set_state(f, state, channel)
  if not f.ch and type(f.s) == 'string' and string.sub(f.s, 1, 3) == 'ch:' then
    f.ch = string.sub(f.s, 4)
  end
  put(f, 's', state)
  if channel ~= '' then f.ch = channel end
  if f.ch and f.s == 'ch:' .. f.ch then f.ch = nil end
end
local function follower(doc, user)
  if type(doc.f) ~= 'table' or next(doc.f) == nil then doc.f = {} end
  doc.f[user] = doc.f[user] or {}
  return doc.f[user]
end
local function save(key, doc)
  if type(doc.f) == 'table' and next(doc.f) == nil then doc.f = nil end
  redis.call('SET', key, cmsgpack.pack(doc))
end
"""
