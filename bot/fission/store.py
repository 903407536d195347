"""Fission activities, participants, invitees, progress and rewards in Redis (the `fission*`
keys: written here only). Each step an event or a retry can repeat is one script, so it counts
once: an invitee is recorded once, counted or undone once, and a reward is issued once."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis

from bot.fission.model import Activity, FissionError, validate
from bot.keys import RedisKeys
from bot.storage.ids import free_id
from bot.text.guard import BlockedText, TextGuard

PENDING, COUNTED, UNDONE, NOT_NEW = "pending", "counted", "undone", "not_new"

# Every script keeps KEYS[3] (waiting: inviter -> invitees inside their window) in step with
# the invitees' statuses.
# KEYS[1] invitees, KEYS[2] due, KEYS[3] waiting; ARGV: invitee, value, due member, due at,
# status, inviter. 1 when recorded, 0 when the invitee was already someone's.
_INVITED = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if ARGV[5] == 'pending' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
  redis.call('HINCRBY', KEYS[3], ARGV[6], 1)
end
return 1
"""
# KEYS[1] invitees, KEYS[2] due, KEYS[3] waiting; ARGV: invitee, due member, the member they
# deleted. 1 when a pending invitee of that member was undone.
_LEFT = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return 0 end
local status, inviter, added, staff = string.match(value, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
if status ~= 'pending' or staff ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'undone|' .. inviter .. '|' .. added .. '|' .. staff)
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[3], inviter, -1)
return 1
"""
# KEYS[1] invitees, KEYS[2] due, KEYS[3] waiting, KEYS[4] progress; ARGV: invitee, due
# member. The inviter's new count when this pending invitee was counted, else -1.
_CONFIRM = """
redis.call('ZREM', KEYS[2], ARGV[2])
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return {-1, ''} end
local status, inviter, added, staff = string.match(value, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
if status ~= 'pending' then return {-1, ''} end
redis.call('HSET', KEYS[1], ARGV[1], 'counted|' .. inviter .. '|' .. added .. '|' .. staff)
redis.call('HINCRBY', KEYS[3], inviter, -1)
return {redis.call('HINCRBY', KEYS[4], inviter, 1), inviter}
"""
# KEYS[1] rewards, KEYS[2] coupons; ARGV: participant, reward JSON without a coupon, whether a
# coupon is needed. {1, json} when issued now, {0, json} when issued before, {-1, ''} when the
# coupon pool is empty (the reward waits: nothing recorded).
_REWARD = """
local issued = redis.call('HGET', KEYS[1], ARGV[1])
if issued then return {0, issued} end
local reward = cjson.decode(ARGV[2])
if ARGV[3] == '1' then
  local coupon = redis.call('SPOP', KEYS[2])
  if not coupon then return {-1, ''} end
  reward['coupon'] = coupon
end
local encoded = cjson.encode(reward)
redis.call('HSET', KEYS[1], ARGV[1], encoded)
return {1, encoded}
"""

# KEYS[1] rewards; ARGV: participant, now, lease seconds. 1 when this caller may hand the
# reward over now (none has, and no one is doing it), else 0.
_CLAIM = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local reward = cjson.decode(raw)
if reward['msgid'] then return 0 end
local now = tonumber(ARGV[2])
if reward['handing'] and now - tonumber(reward['handing']) < tonumber(ARGV[3]) then return 0 end
reward['handing'] = now
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(reward))
return 1
"""
HAND_OVER_LEASE = 600  # seconds one worker has to hand a reward over before another may


@dataclass(frozen=True, slots=True)
class Invitee:
    """An invitee as recorded: who invited them, when they added, which member, and status."""

    external_userid: str
    status: str
    inviter: str
    added_at: int
    staff: str


def _invitee(external_userid: str, value: str) -> Invitee:
    status, inviter, added, staff = value.split("|", 3)
    return Invitee(external_userid, status, inviter, int(added or 0), staff)


class FissionStore:
    """The corp's fission activities and everything counted for them."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._invited = redis.register_script(_INVITED)
        self._left = redis.register_script(_LEFT)
        self._confirm = redis.register_script(_CONFIRM)
        self._reward = redis.register_script(_REWARD)
        self._claim = redis.register_script(_CLAIM)

    # -- activities ---------------------------------------------------------------------
    async def get(self, activity_id: str) -> Activity | None:
        raw = await self._redis.hget(self._keys.fission_activities, activity_id)
        return Activity.from_json(raw) if raw else None

    async def activities(self) -> list[Activity]:
        rows = await self._redis.hgetall(self._keys.fission_activities)
        return sorted((Activity.from_json(v) for v in rows.values()), key=lambda a: a.start)

    async def save(self, activity: Activity, guard: TextGuard | None) -> Activity:
        """Create (no id) or change an activity, after its checks (its texts against the word
        library with `guard`) and its poster's presence."""
        validate(activity)
        if guard is not None:
            for text in (activity.reward_text, activity.poster_text, activity.name):
                try:
                    guard.check_outgoing(text)
                except BlockedText as exc:
                    raise FissionError(str(exc)) from None
        if not await self._redis.exists(self._keys.media_blob(activity.poster_ref)):
            raise FissionError(f"海报图片 {activity.poster_ref[:40]} 不在库中，请先上传")
        if not activity.id:
            activity_id = await free_id(self._redis, self._keys.fission_activities)
            activity = replace(activity, id=activity_id)
        elif await self.get(activity.id) is None:
            raise FissionError(f"没有裂变活动 {activity.id}")
        await self._redis.hset(self._keys.fission_activities, activity.id, activity.to_json())
        return activity

    @staticmethod
    def queue_import(tx: Any, keys: RedisKeys, saved: list[Activity], removed: list[str]) -> None:
        """Queue a configuration import's writes of activities."""
        if saved:
            tx.hset(keys.fission_activities, mapping={a.id: a.to_json() for a in saved})
        if removed:
            tx.hdel(keys.fission_activities, *removed)

    async def delete(self, activity_id: str) -> None:
        """Remove an activity no one has joined (its coupon pool goes with it)."""
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hdel(self._keys.fission_activities, activity_id)
            tx.delete(self._keys.fission_coupons(activity_id))
            await tx.execute()

    async def add_coupons(self, activity_id: str, coupons: list[str]) -> int:
        """Add coupon codes to the pool; returns how many codes the pool holds."""
        key = self._keys.fission_coupons(activity_id)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.sadd(key, *coupons)
            tx.scard(key)
            _, size = await tx.execute()
        return int(size)

    async def remove_coupons(self, activity_id: str, coupons: list[str]) -> int:
        """Take codes out of the pool (those issued already are not in it); how many were."""
        if not coupons:
            return 0
        return int(await self._redis.srem(self._keys.fission_coupons(activity_id), *coupons))

    async def coupons_left(self, activity_id: str) -> int:
        return int(await self._redis.scard(self._keys.fission_coupons(activity_id)))

    # -- participants -------------------------------------------------------------------
    async def participant(self, activity_id: str, external_userid: str) -> dict[str, Any] | None:
        raw = await self._redis.hget(self._keys.fission_participants(activity_id), external_userid)
        return dict(json.loads(raw)) if raw else None

    async def participants(self, activity_id: str) -> dict[str, dict[str, Any]]:
        rows = await self._redis.hgetall(self._keys.fission_participants(activity_id))
        return {who: json.loads(raw) for who, raw in rows.items()}

    async def add_participant(
        self, activity_id: str, external_userid: str, state: str, code: dict[str, Any]
    ) -> None:
        """Record a participant's personal code (made in WeCom first) and its State."""
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(
                self._keys.fission_participants(activity_id),
                external_userid,
                json.dumps(code, ensure_ascii=False),
            )
            tx.hset(self._keys.fission_codes, state, f"{activity_id}|{external_userid}")
            await tx.execute()

    async def inviter_of(self, state: str) -> tuple[str, str] | None:
        """(activity id, inviter) of a personal code's State."""
        found = await self._redis.hget(self._keys.fission_codes, state)
        if not found:
            return None
        activity_id, _, inviter = str(found).partition("|")
        return activity_id, inviter

    # -- invitees -----------------------------------------------------------------------
    async def invited(
        self, activity: Activity, invitee: str, inviter: str, staff: str, at: int, new: bool
    ) -> bool:
        """Record an invitee (pending until their stay window ends, or `not_new`); False
        when they were recorded before (for anyone)."""
        status = PENDING if new else NOT_NEW
        due_at = at + activity.hold_hours * 3600
        keys = list(self._counted_keys(activity.id))
        value = f"{status}|{inviter}|{at}|{staff}"
        args = [invitee, value, f"{activity.id}|{invitee}", due_at, status, inviter]
        return bool(await self._invited(keys=keys, args=args))

    async def left(self, activity_id: str, invitee: str, staff: str) -> bool:
        """The invitee deleted (or was deleted by) the member they added: a pending count is
        undone. True when one was."""
        keys = list(self._counted_keys(activity_id))
        args = [invitee, f"{activity_id}|{invitee}", staff]
        return bool(await self._left(keys=keys, args=args))

    async def due(self, now: float, limit: int = 500) -> list[tuple[str, str]]:
        """(activity id, invitee) whose stay window has ended, oldest first."""
        found = await self._redis.zrangebyscore(self._keys.fission_due, 0, now, start=0, num=limit)
        pairs = [str(member).partition("|") for member in found]
        return [(activity, invitee) for activity, _, invitee in pairs]

    async def confirm(self, activity_id: str, invitee: str) -> tuple[int, str]:
        """Count a pending invitee whose window ended: (the inviter's new count, inviter),
        or (-1, "") when there was nothing to count (undone, counted already)."""
        keys = [*self._counted_keys(activity_id), self._keys.fission_progress(activity_id)]
        count, inviter = await self._confirm(keys=keys, args=[invitee, f"{activity_id}|{invitee}"])
        return int(count), str(inviter)

    def _counted_keys(self, activity_id: str) -> tuple[str, str, str]:
        """The invitees, the due set and the waiting counts, which change together."""
        keys = self._keys
        return (
            keys.fission_invitees(activity_id),
            keys.fission_due,
            keys.fission_waiting(activity_id),
        )

    async def standing(
        self, activity_id: str, participant: str
    ) -> tuple[int, int, dict[str, Any] | None]:
        """(invitees counted, invitees still inside their window, the reward if issued) of
        one participant, in one round trip whatever the activity's size."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(self._keys.fission_progress(activity_id), participant)
            pipe.hget(self._keys.fission_waiting(activity_id), participant)
            pipe.hget(self._keys.fission_rewards(activity_id), participant)
            counted, waiting, reward = await pipe.execute()
        return int(counted or 0), int(waiting or 0), json.loads(reward) if reward else None

    async def invitee(self, activity_id: str, external_userid: str) -> Invitee | None:
        value = await self._redis.hget(self._keys.fission_invitees(activity_id), external_userid)
        return _invitee(external_userid, value) if value else None

    async def invitees(self, activity_id: str) -> list[Invitee]:
        rows = await self._redis.hgetall(self._keys.fission_invitees(activity_id))
        return [_invitee(who, value) for who, value in sorted(rows.items())]

    async def progress(self, activity_id: str) -> dict[str, int]:
        rows = await self._redis.hgetall(self._keys.fission_progress(activity_id))
        return {who: int(count) for who, count in rows.items()}

    # -- rewards ------------------------------------------------------------------------
    async def issue(
        self, activity: Activity, participant: str, reward: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """(1, reward) when issued now, (0, reward) when issued before, (-1, {}) when the
        coupon pool is empty (nothing is recorded: it is issued when coupons come)."""
        keys = [self._keys.fission_rewards(activity.id), self._keys.fission_coupons(activity.id)]
        coupon = "1" if activity.reward == "coupon" else "0"
        args = [participant, json.dumps(reward, ensure_ascii=False), coupon]
        created, raw = await self._reward(keys=keys, args=args)
        return int(created), (json.loads(raw) if raw else {})

    async def claim(self, activity_id: str, participant: str, now: float) -> bool:
        """Whether this caller hands the issued reward over now: no one has, and no one else
        is (for `HAND_OVER_LEASE` seconds)."""
        keys = [self._keys.fission_rewards(activity_id)]
        args = [participant, int(now), HAND_OVER_LEASE]
        return bool(await self._claim(keys=keys, args=args))

    async def noted(self, activity_id: str, participant: str, reward: dict[str, Any]) -> None:
        """Record how the issued reward was delivered (its mass-message id, the member)."""
        await self._redis.hset(
            self._keys.fission_rewards(activity_id),
            participant,
            json.dumps(reward, ensure_ascii=False),
        )

    async def rewards(self, activity_id: str) -> dict[str, dict[str, Any]]:
        rows = await self._redis.hgetall(self._keys.fission_rewards(activity_id))
        return {who: json.loads(raw) for who, raw in rows.items()}
