"""RFM's own work at scale: reading every order and scoring every customer, time and memory.

    python benchmarks/rfm_orders.py [--customers 100000] [--orders 1000000]

A private `redis-server` (nothing on disk) holds N orders of M customers, written through
`OrderStore.apply` (so the customer index is kept as in production). Then, in one run:
- before: every order loaded at once (the previous `OrderStore.all()`: HSCAN into a dict by
  order id, since HSCAN may repeat a field), then scored;
- now: `OrderStore.by_customer()` streamed into a `Tally`, as `RfmRunner` does.
Peak Python memory is `tracemalloc`'s peak during each (what the process adds for the work).
Target (issue 19): ≤ 60 s for 100k customers / 1M orders, memory flat in the number of orders.
Syncing segments to WeCom tags is left out: it is paced by WeCom's budget, not by this work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.profile_memory import private_redis  # noqa: E402
from bot.keys import RedisKeys  # noqa: E402
from bot.rfm.model import Order, Segmentation, Tally, segment  # noqa: E402
from bot.rfm.orders import OrderRow, OrderStore  # noqa: E402

NOW = 1_800_000_000
WINDOW_DAYS = 365


async def fill(store: OrderStore, customers: int, orders: int) -> None:
    rng = random.Random(3)
    for start in range(0, orders, 5000):
        rows = [
            OrderRow(
                f"T{n:09d}",
                Order(
                    f"T{n:09d}",
                    f"wm{rng.randrange(customers):030d}",
                    rng.randint(100, 100_000),
                    NOW - rng.randint(0, 2 * 365 * 86400),
                ),
            )
            for n in range(start, min(start + 5000, orders))
        ]
        await store.apply(rows)


async def before(redis: Redis, keys: RedisKeys) -> Segmentation:
    loaded: dict[str, Order] = {}
    async for order_id, raw in redis.hscan_iter(keys.orders, count=1000):
        data = json.loads(raw)
        loaded[order_id] = Order(
            order_id, data["customer"], int(data["amount_cents"]), int(data["paid_at"])
        )
    return segment(list(loaded.values()), NOW, WINDOW_DAYS)


async def now(store: OrderStore) -> Segmentation:
    tally = Tally(NOW, WINDOW_DAYS)
    async for orders in store.by_customer():
        for order in orders:
            tally.add(order)
    return tally.segmentation()


async def measured(work: Callable[[], Awaitable[Segmentation]]) -> tuple[float, float, int]:
    """(seconds, peak MiB, customers scored)."""
    tracemalloc.start()
    started = time.perf_counter()
    result = await work()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, len(result.scores)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    async with private_redis() as redis:
        keys = RedisKeys("ww3f9c2a81d4e7b605", "scrm")
        store = OrderStore(redis, keys)
        started = time.perf_counter()
        await fill(store, args.customers, args.orders)
        filled = time.perf_counter() - started
        await store.by_customer().__anext__()  # the index is built: not part of a run
        old = await measured(lambda: before(redis, keys))
        new = await measured(lambda: now(store))
        assert old[2] == new[2], "both ways must score the same customers"
        machine = f"{platform.machine()}, Python {platform.python_version()}"
        print(f"# {time.strftime('%Y-%m-%d')}, {machine}")
        print(
            f"# {args.orders:,} orders of {args.customers:,} customers, written in {filled:.0f} s"
        )
        print("| way | seconds | peak MiB | customers scored |")
        print("|---|---|---|---|")
        print(f"| before: all orders loaded | {old[0]:.1f} | {old[1]:.0f} | {old[2]:,} |")
        print(f"| now: streamed by customer | {new[0]:.1f} | {new[1]:.0f} | {new[2]:,} |")
        print(f"| now ÷ before | {new[0] / old[0]:.2f} | {new[1] / old[1]:.2f} | |")


if __name__ == "__main__":
    asyncio.run(main())
