"""Short random ids for records kept in one Redis hash (channel codes, group live codes, store
campaigns, fission activities, acquisition links): 6 hex digits, as they go into WeCom States
of at most 30 characters, drawn again until the hash has no such field."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

ID_BYTES = 3


async def free_id(redis: Redis, hash_key: str, nbytes: int = ID_BYTES) -> str:
    """A random hex id that is not yet a field of `hash_key`."""
    while True:
        candidate = secrets.token_hex(nbytes)
        if not await redis.hexists(hash_key, candidate):
            return candidate


def glob_escape(text: str) -> str:
    """`text` as a literal in a SCAN / ZSCAN MATCH pattern."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)
