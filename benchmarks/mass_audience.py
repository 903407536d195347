"""Resolving and splitting a mass-send audience: the streamed script against reading profiles.

    python benchmarks/mass_audience.py [--counts 100000,1000000] [--baseline 100000]

A private `redis-server` (no persistence) holds N customer profiles written through
`ProfileStore.record_contact` from `profile_memory.contact` (fixed seed: 1–3 followers among
200 members, 0–2 tags each from 客户等级/兴趣). There is no public corpus of WeCom customer
profiles, so these are generated; the shapes are `externalcontact/get`'s. The audience is
"兴趣/护肤 or 兴趣/面膜" (about 40 % of customers). Measured:
- ours: `AudienceReader.customers` (SCAN, one read-only script a batch of 500 filtering in
  Redis and choosing the sender) feeding `MassStore.stage` (parts of 10,000 per member, each
  customer once), i.e. everything before the first WeCom call;
- the baseline: the same answer the obvious way — SCAN, `ProfileStore.get` of each profile
  (pipelined 500 at a time), filter and choose the sender in Python, keep member → customers in
  memory and cut it into parts.
Peak memory is the Python heap's (tracemalloc) during the run: the streamed path holds a batch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.profile_memory import _each, contact, private_redis  # noqa: E402
from bot.keys import RedisKeys  # noqa: E402
from bot.mass.audience import AudienceReader, glob_escape  # noqa: E402
from bot.mass.model import MAX_CUSTOMERS, Audience  # noqa: E402
from bot.mass.store import MassStore  # noqa: E402
from bot.profiles.store import ProfileStore  # noqa: E402

WANTED = ("兴趣/护肤", "兴趣/面膜")


async def fill(redis: Redis, keys: RedisKeys, count: int) -> None:
    rng, store = random.Random(7), ProfileStore(redis, keys)
    for start in range(0, count, 5000):
        rows = [contact(rng, i) for i in range(start, min(start + 5000, count))]
        await _each(rows, lambda d: store.record_contact(d, 1_700_000_000), width=100)


async def departments(_userid: str) -> list[int]:
    return []


async def ours(redis: Redis, keys: RedisKeys) -> int:
    reader = AudienceReader(redis, keys, departments)
    store = MassStore(redis, keys)
    staged = 0
    async for picks in reader.customers(Audience(tags_any=WANTED)):
        pairs = [(p.external_userid, p.member) for p in picks]
        staged += await store.stage("bench", pairs, MAX_CUSTOMERS)
    return staged


async def baseline(redis: Redis, keys: RedisKeys) -> int:
    profiles = ProfileStore(redis, keys)
    prefix = keys.profile("")
    by_member: dict[str, list[str]] = defaultdict(list)
    batch: list[str] = []

    async def read(ids: list[str]) -> None:
        async with redis.pipeline(transaction=False) as pipe:
            for eid in ids:
                await profiles.queue_read(pipe, eid)
            replies = await pipe.execute()
        for eid, reply in zip(ids, replies, strict=True):
            profile = ProfileStore.parse_read(eid, reply)
            live = [f for f in profile.follows.values() if f.connected]
            tags = {f"{t.group}/{t.name}" for f in live for t in f.tags}
            if live and tags & set(WANTED):
                sender = min(live, key=lambda f: (-f.added_at, f.userid))
                by_member[sender.userid].append(eid)

    async for key in redis.scan_iter(match=glob_escape(prefix) + "*", count=500):
        batch.append(key[len(prefix) :])
        if len(batch) >= 500:
            await read(batch)
            batch = []
    await read(batch)
    parts = [
        c[i : i + MAX_CUSTOMERS]
        for c in by_member.values()
        for i in range(0, len(c), MAX_CUSTOMERS)
    ]
    return sum(len(p) for p in parts)


async def timed(
    work: Callable[[Redis, RedisKeys], Awaitable[int]], redis: Redis, keys: RedisKeys
) -> tuple[int, float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    found = await work(redis, keys)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return found, seconds, peak / 2**20


async def run(count: int, with_baseline: bool) -> list[str]:
    rows = []
    async with private_redis() as redis:
        keys = RedisKeys("ww3f9c2a81d4e7b605", "scrm")
        started = time.perf_counter()
        await fill(redis, keys, count)
        print(f"{count}: filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        found, seconds, peak = await timed(ours, redis, keys)
        base = None
        if with_baseline:
            base = await timed(baseline, redis, keys)
            assert base[0] == found, (base[0], found)
        ratio = f"{base[1] / seconds:.1f}× faster" if base else "—"
        base_cell = f"{base[1]:.1f} s, {base[2]:.0f} MiB" if base else "not run"
        rows.append(
            f"| {count:,} | {found:,} | {seconds:.1f} s | {peak:.1f} MiB | {base_cell} | {ratio} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="100000,1000000")
    parser.add_argument("--baseline", type=int, default=100_000, help="run it at counts ≤ this")
    args = parser.parse_args()
    rows = []
    for count in (int(c) for c in args.counts.split(",")):
        rows += asyncio.run(run(count, count <= args.baseline))
    print(
        f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, date {time.strftime('%Y-%m-%d')}"
    )
    head = "| profiles | in the audience | ours: resolve + split | ours: peak heap | baseline |"
    print(head + " ratio |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
