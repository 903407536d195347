"""Time from a customer-add callback reaching the bot to WeCom receiving send_welcome_msg.

    python benchmarks/welcome_latency.py [--rate 200] [--seconds 60]

The WeCom sandbox runs in this process and sends `add_external_contact` callbacks on a fixed
schedule (`--rate` per second, open loop); the bot runs as `scrm-bot serve` (callbacks and
pipeline in one process) against a redis-server of its own with AOF fsynced on every write. For
each customer the latency is the sandbox's receipt of `send_welcome_msg` minus the moment the
callback was sent, so it covers the callback, the stream, the pipeline, template choice and
rendering, and the API call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bot_process import AES_KEY, TOKEN, sandbox_env, start_bot  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from tests.helpers import RedisServerProcess, free_port  # noqa: E402

WINDOW = 20.0


async def run(rate: float, seconds: float, wecom_limit: bool) -> dict[str, float]:
    sandbox = Sandbox()
    if not wecom_limit:  # measure the bot alone, past WeCom's 10,000 calls/min per API
        sandbox.rate_limiter.per_minute = sandbox.rate_limiter.per_hour = 10**9
    sandbox.add_staff("zhangsan", "张三")
    api_base = await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServerProcess(Path(tmp) / "redis")
        redis.start()
        port = free_port()
        env = sandbox_env(sandbox, api_base, redis.url, SCRM_DATA_DIR=str(Path(tmp) / "data"))
        bot = await start_bot(port, env)
        try:
            sandbox.connect_bot(f"http://127.0.0.1:{port}/wecom/callback", TOKEN, AES_KEY)
            return await _drive(sandbox, rate, seconds)
        finally:
            bot.terminate()
            await bot.wait()
            redis.kill()
            await sandbox.stop()


async def _drive(sandbox: Sandbox, rate: float, seconds: float) -> dict[str, float]:
    sent: dict[str, float] = {}
    refused = 0

    async def add(n: int) -> None:
        nonlocal refused
        customer = f"wmBench{n:06d}"
        sent[customer] = time.time()
        result = await sandbox.customer_adds_staff("zhangsan", customer, name=f"客户{n}")
        refused += not result.delivered

    total = int(rate * seconds)
    start = time.perf_counter()
    tasks = []
    for n in range(total):
        await asyncio.sleep(max(start + n / rate - time.perf_counter(), 0))
        tasks.append(asyncio.create_task(add(n)))
    await asyncio.gather(*tasks)
    deadline = time.monotonic() + WINDOW + 10
    # the sandbox records welcomes in a list; polling it is the simplest way to wait
    while len(sandbox.welcomes()) < total and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    latencies = sorted(w.time - sent[w.external_userid] for w in sandbox.welcomes())
    inside = sum(1 for latency in latencies if latency <= WINDOW)
    return {
        "events": total,
        "welcomed": len(latencies),
        "inside_window": inside / total,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
        if latencies
        else float("nan"),
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "not_delivered": refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--no-wecom-limit",
        action="store_true",
        help="lift the sandbox's documented 10,000 calls/min per API (200/s exceeds it)",
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.rate, args.seconds, not args.no_wecom_limit))
    print(
        f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, date {time.strftime('%Y-%m-%d')}"
    )
    limit = "lifted" if args.no_wecom_limit else "10,000/min enforced"
    print(
        "| add events | rate | WeCom API limit | welcomed | inside 20 s "
        "| p50 (ms) | p99 (ms) | max (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {result['events']:.0f} | {args.rate:.0f}/s for {args.seconds:.0f} s | {limit} "
        f"| {result['welcomed']:.0f} | {result['inside_window']:.2%} "
        f"| {result['p50_ms']:.1f} | {result['p99_ms']:.1f} | {result['max_ms']:.1f} |"
    )


if __name__ == "__main__":
    main()
