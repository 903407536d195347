"""The one Lua script every statistics write goes through: seen mark, relation and counts as one
step, applied only if the relation still reads as it did when the change was planned."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from bot.keys import RedisKeys

DAY_SECONDS = 86_400
DAY_TTL = 400 * DAY_SECONDS  # a year of daily figures and a month to spare
SEEN_SECONDS = DAY_SECONDS  # longer than any retry or take-over of one event
NOTE_SECONDS = 7 * DAY_SECONDS  # as long as the pipeline remembers a half-handled event

# KEYS: seen mark, relations hash, ended note, then the counted hashes.
# ARGV: seen ttl ("0": no mark), day ttl, note ttl, relation field ("": none), relation as
#       read, note as read, relation op and value, note op and value ("set" / "del" / ""),
#       then per count: key index, field, amount.
# Returns 0 for an event counted before, -1 when the relation changed since it was read.
_APPLY = """
if ARGV[1] ~= '0' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[4] ~= '' then
  if (redis.call('HGET', KEYS[2], ARGV[4]) or '') ~= ARGV[5] then return -1 end
  if (redis.call('GET', KEYS[3]) or '') ~= ARGV[6] then return -1 end
  if ARGV[7] == 'set' then redis.call('HSET', KEYS[2], ARGV[4], ARGV[8])
  elseif ARGV[7] == 'del' then redis.call('HDEL', KEYS[2], ARGV[4]) end
  if ARGV[9] == 'set' then redis.call('SET', KEYS[3], ARGV[10], 'EX', ARGV[3])
  elseif ARGV[9] == 'del' then redis.call('DEL', KEYS[3]) end
end
if ARGV[1] ~= '0' then redis.call('SET', KEYS[1], '1', 'EX', ARGV[1]) end
for i = 11, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
end
for k = 4, #KEYS do redis.call('EXPIRE', KEYS[k], ARGV[2]) end
return 1
"""


@dataclass(frozen=True, slots=True)
class Count:
    """Add `amount` to `field` of the hash `key`."""

    key: str
    field: str
    amount: int = 1


@dataclass(frozen=True)
class Change:
    """What one event does: its counts, and to the relation and its ended note each either
    None (leave alone), "" (delete) or a new value."""

    counts: list[Count] = field(default_factory=list)
    relation: str | None = None
    note: str | None = None


def _op(value: str | None) -> list[str]:
    if value is None:
        return ["", ""]
    return ["set", value] if value else ["del", ""]


async def apply(
    redis: Redis,
    keys: RedisKeys,
    mark: str,
    change: Change,
    *,
    relation_field: str = "",
    read: tuple[str, str] = ("", ""),
    note_key: str = "",
) -> bool | None:
    """Apply `change` once per `mark` ("" counts every time). True: counted; False: `mark`
    was counted before; None: the relation or note no longer reads as `read` (plan again)."""
    hashes = list(dict.fromkeys(count.key for count in change.counts))
    args: list[str | int] = [
        SEEN_SECONDS if mark else 0,
        DAY_TTL,
        NOTE_SECONDS,
        relation_field,
        *read,
        *_op(change.relation),
        *_op(change.note),
    ]
    for count in change.counts:
        args += [hashes.index(count.key) + 4, count.field, count.amount]
    script = redis.register_script(_APPLY)
    declared = [
        keys.stats_seen(mark or "-"),
        keys.stats_relations,
        note_key or keys.stats_ended("-"),
        *hashes,
    ]
    result = int(await script(keys=declared, args=args))
    return None if result < 0 else bool(result)
