"""How long `scrm-bot profiles sync` takes for N customer relations.

    python benchmarks/first_sync.py [--staff 20] [--customers 1000]

The WeCom sandbox (its per-API limits lifted) holds `--staff` members with `--customers`
customers each; `scrm-bot profiles sync` runs as its own process against a redis-server of its
own, as an operator would run it. Reports the time, pages and relations per second, and what
that means for 100,000 relations at the same pace.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bot_process import sandbox_env  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from bot.sandbox.state import ExternalContact, FollowUser  # noqa: E402
from tests.helpers import RedisServerProcess  # noqa: E402


def fill(sandbox: Sandbox, staff: int, customers: int) -> None:
    for s in range(staff):
        sandbox.add_staff(f"staff{s}", f"员工{s}")
        for c in range(customers):
            external_userid = f"wm{s:04d}{c:07d}"
            sandbox.state.contacts[external_userid] = ExternalContact(
                external_userid, f"客户{c}", avatar=f"http://wx.qlogo.cn/mmhead/{c:080d}/0"
            )
            sandbox.state.follows[(f"staff{s}", external_userid)] = FollowUser(
                f"staff{s}", external_userid, 1_700_000_000 + c, remark="老客户", state="ch:abc123"
            )


async def run(staff: int, customers: int) -> tuple[float, str]:
    sandbox = Sandbox()
    sandbox.rate_limiter.per_minute = sandbox.rate_limiter.per_hour = 10**9
    fill(sandbox, staff, customers)
    api_base = await sandbox.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            redis = RedisServerProcess(Path(tmp) / "redis")
            redis.start()
            try:
                env = sandbox_env(sandbox, api_base, redis.url, SCRM_DATA_DIR=str(Path(tmp)))
                started = time.perf_counter()
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "profiles",
                    "sync",
                    cwd=ROOT,
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                out, _ = await process.communicate()
                return time.perf_counter() - started, out.decode()
            finally:
                redis.kill()
    finally:
        await sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--customers", type=int, default=1000)
    args = parser.parse_args()
    seconds, report = asyncio.run(run(args.staff, args.customers))
    relations = args.staff * args.customers
    print(report.strip())
    print(
        f"# {time.strftime('%Y-%m-%d')}, {platform.machine()}, Python {platform.python_version()}"
    )
    print("| relations | seconds | relations/s | 100,000 relations at this pace |")
    print("|---|---|---|---|")
    print(
        f"| {relations:,} | {seconds:.1f} | {relations / seconds:,.0f} | "
        f"{100_000 / (relations / seconds) / 60:.1f} min |"
    )


if __name__ == "__main__":
    main()
