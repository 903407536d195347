"""Who a mass-send task reaches, read from the stored profiles a batch at a time.

Profiles are scanned (SCAN over their keys, `BATCH` at a time) and each batch is filtered in
Redis by one read-only script over the documents: tags (all of / any of; a tag matches by id,
name or "group/name", on any live relation), RFM segment, channel, added-within, and the
members allowed to send. The script answers only the matching customers with their live,
eligible followers, newest relation first, so memory holds one batch, never the audience.

Who sends: a customer goes through one member only — the one they added most recently and are
still connected with (the relation most likely to be read); ties go to the smallest userid, so
the choice is stable.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.mass.model import Audience
from bot.profiles.codec import PRELUDE
from bot.storage.ids import glob_escape
from bot.welcome.channels import STATE_PREFIX

BATCH = 500  # profiles a script reads: ~2 ms of Redis time, so others are not held up
DAY = 86400

# KEYS[1] the RFM segments hash, KEYS[2..] profile keys; ARGV[1] the criteria (JSON).
# Returns {index of the key, "uid uid …" eligible followers newest first, …}.
_PICK = (
    PRELUDE
    + """
local c = cjson.decode(ARGV[1])
local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
local staff, channels, segments = set(c.staff), set(c.channels), set(c.segments)
local any_staff, any_channel = next(staff) ~= nil, next(channels) ~= nil
local out = {}
for i = 2, #KEYS do
  local doc = read(KEYS[i])
  local tags, eligible = {}, {}
  for uid, f in pairs(type(doc.f) == 'table' and doc.f or {}) do
    if type(f) == 'table' and not f.db then
      for _, row in ipairs(type(f.tg) == 'table' and f.tg or {}) do
        tags[row[1] or ''] = true
        tags[row[3] or ''] = true
        tags[(row[2] or '') .. '/' .. (row[3] or '')] = true
      end
      local channel = f.ch or ''
      local state = f.s or ''
      if channel == '' and string.sub(state, 1, #c.prefix) == c.prefix then
        channel = string.sub(state, #c.prefix + 1)
      end
      if (not any_staff or staff[uid]) and (not any_channel or channels[channel])
          and (tonumber(f.ad) or 0) >= c.since then
        eligible[#eligible + 1] = {uid, tonumber(f.ad) or 0}
      end
    end
  end
  local ok = #eligible > 0
  for _, t in ipairs(c.all) do
    if not tags[t] then ok = false break end
  end
  if ok and #c.any > 0 then
    ok = false
    for _, t in ipairs(c.any) do
      if tags[t] then ok = true break end
    end
  end
  if ok and next(segments) ~= nil then
    local raw = redis.call('HGET', KEYS[1], string.sub(KEYS[i], c.cut))
    local seg = raw and cjson.decode(raw).segment or ''
    ok = segments[seg] == true
  end
  if ok then
    table.sort(eligible, function(a, b)
      if a[2] ~= b[2] then return a[2] > b[2] end
      return a[1] < b[1]
    end)
    local uids = {}
    for n, e in ipairs(eligible) do uids[n] = e[1] end
    out[#out + 1] = i - 1
    out[#out + 1] = table.concat(uids, ' ')
  end
end
return out
"""
)

Departments = Callable[[str], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class Pick:
    """One customer of the audience and the member who sends to them."""

    external_userid: str
    member: str


class AudienceReader:
    """Streams the customers of an audience with their sending member."""

    def __init__(self, redis: Redis, keys: RedisKeys, departments: Departments) -> None:
        self._redis = redis
        self._keys = keys
        self._departments = departments
        self._pick = redis.register_script(_PICK)
        self._prefix = keys.profile("")

    async def customers(
        self, audience: Audience, now: float | None = None
    ) -> AsyncIterator[list[Pick]]:
        """The audience a batch at a time (each customer once, with their sender)."""
        now = time.time() if now is None else now
        since = int(now - audience.added_within_days * DAY) if audience.added_within_days else 0
        criteria = {
            "all": list(audience.tags_all),
            "any": list(audience.tags_any),
            "segments": list(audience.segments),
            "channels": list(audience.channels),
            # with departments a member may qualify by either list: both checked here
            "staff": [] if audience.departments else list(audience.staff),
            "since": since,
            "prefix": STATE_PREFIX,
            "cut": len(self._prefix) + 1,
        }
        argument = json.dumps(criteria, ensure_ascii=False)
        allowed = _Allowed(set(audience.staff), set(audience.departments), self._departments)
        batch: list[str] = []
        match = glob_escape(self._prefix) + "*"
        async for key in self._redis.scan_iter(match=match, count=BATCH):
            batch.append(key)
            if len(batch) >= BATCH:
                yield await self._read(batch, argument, allowed)
                batch = []
        if batch:
            yield await self._read(batch, argument, allowed)

    async def _read(self, batch: list[str], argument: str, allowed: _Allowed) -> list[Pick]:
        reply = await self._pick(keys=[self._keys.rfm_segments, *batch], args=[argument])
        picks = []
        for n in range(0, len(reply), 2):
            customer = batch[int(reply[n]) - 1][len(self._prefix) :]
            for member in str(reply[n + 1]).split():
                if await allowed(member):
                    picks.append(Pick(customer, member))
                    break
        return picks


class _Allowed:
    """Whether a member may send: any member without departments (the script checked the
    member list), else listed themselves or in a listed department (cached per member)."""

    def __init__(self, staff: set[str], departments: set[int], lookup: Departments) -> None:
        self._staff = staff
        self._departments = departments
        self._lookup = lookup
        self._known: dict[str, bool] = {}

    async def __call__(self, member: str) -> bool:
        if not self._departments:
            return True
        if member not in self._known:
            inside = member in self._staff
            if not inside:
                inside = bool(self._departments & set(await self._lookup(member)))
            self._known[member] = inside
        return self._known[member]
