"""A Lua step shared by the stores that keep JSON records with a `status` in one hash (mass-send
tasks, moments tasks): replace a record only if it still has the status the caller read, so two
processes moving the same record (scheduled → creating …) can't both win."""

from __future__ import annotations

# KEYS[1] the hash; ARGV[1] the record's field, ARGV[2] the status expected, ARGV[3] the new JSON.
# Returns 1 when replaced, 0 when the record is gone or another status is there.
SWAP_STATUS = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or cjson.decode(raw).status ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""
