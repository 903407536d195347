"""A live-stream burst of adds while the heaviest background work runs: does anything wait?

    python benchmarks/burst.py [--rate 300] [--seconds 20] [--words 50000] [--scripts 5000]

The WeCom sandbox runs in this process and sends `add_external_contact` callbacks on a fixed
schedule (open loop); the bot is `scrm-bot serve` (callbacks and pipeline in one process) with
a redis-server of its own. While the burst runs:
- `scrm-bot words import` adds `--words` words (every process rebuilds its filter);
- `scrm-bot scripts import` adds `--scripts` scripts, and an admin searches the library by chat
  every 2 s (the process's search index takes them in);
- /healthz is probed every 10 ms on its own connection.
Measured: the callback's round trip as WeCom sees it (send → 200), the welcome's latency
(callback sent → `send_welcome_msg` received), /healthz. Then the same burst, same rate, goes to
the bare aiohttp endpoint (benchmarks/bare_endpoint.py) as the baseline for the callback.
Targets (issue 19): callback p99 < 50 ms, welcome p99 < 1 s, every welcome inside 20 s,
/healthz p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bot_process import AES_KEY, TOKEN, sandbox_env, start_bot  # noqa: E402
from benchmarks.callback_ingest import start_bare, wait_for_port  # noqa: E402
from benchmarks.script_search import library  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from bot.storage.client import connect  # noqa: E402
from scripts_library.transfer import export_text  # noqa: E402
from tests.helpers import RedisServerProcess, free_port  # noqa: E402

WINDOW = 20.0
COMMON = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)] * 1000 if ordered else float("nan")


def words(count: int) -> dict[str, str]:
    rng, found = random.Random(5), {}
    while len(found) < count:
        found["".join(rng.choice(COMMON) for _ in range(rng.randint(2, 4)))] = "competitor"
    return found


async def burst(
    sandbox: Sandbox, rate: float, seconds: float, prefix: str
) -> tuple[list[float], dict[str, float], int]:
    """(callback round trips, send time per customer, callbacks not answered 200)."""
    trips: list[float] = []
    sent: dict[str, float] = {}
    failed = 0

    async def add(n: int) -> None:
        nonlocal failed
        customer = f"wm{prefix}{n:06d}"
        sent[customer] = time.time()
        started = time.perf_counter()
        result = await sandbox.customer_adds_staff("zhangsan", customer, name=f"客户{n}")
        trips.append(time.perf_counter() - started)
        failed += not result.delivered

    total, start, tasks = int(rate * seconds), time.perf_counter(), []
    for n in range(total):
        await asyncio.sleep(max(start + n / rate - time.perf_counter(), 0))
        tasks.append(asyncio.create_task(add(n)))
    await asyncio.gather(*tasks)
    return trips, sent, failed


async def probe(url: str, until: asyncio.Event, samples: list[float]) -> None:
    async with aiohttp.ClientSession() as http:
        while not until.is_set():
            started = time.perf_counter()
            async with http.get(url) as response:
                await response.read()
            samples.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)


def heavy_files(folder: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """The word list and the script file the background work imports (made before the run)."""
    word_file, script_file = folder / "words.txt", folder / "scripts.yaml"
    word_file.write_text("\n".join(words(args.words)), encoding="utf-8")
    scripts = library(args.scripts, random.Random(11))
    script_file.write_text(export_text(scripts, "yaml"), encoding="utf-8")
    return word_file, script_file


async def heavy(
    env: dict[str, str], files: tuple[Path, Path], sandbox: Sandbox, args: argparse.Namespace
) -> None:
    """The background work, each import by `scrm-bot` in its own process (as an operator
    would run it): a big word library, a big script library, admin searches by chat."""
    word_file, script_file = files
    imports = []
    await asyncio.sleep(1.0)
    if args.words:
        command = ["words", "import", str(word_file), "--category", "competitor"]
        imports.append(await cli(env, command))
    await asyncio.sleep(1.0)
    if args.scripts:
        imports.append(await cli(env, ["scripts", "import", str(script_file)]))
    for _ in range(int(args.seconds // 2)):
        await sandbox.staff_sends_text("admin1", "话术 搜索 退货")
        await asyncio.sleep(2.0)
    for process in imports:
        await process.wait()


async def cli(env: dict[str, str], command: list[str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *command,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def run_bot(args: argparse.Namespace) -> dict[str, float]:
    sandbox = Sandbox()
    sandbox.add_staff("zhangsan", "张三")
    sandbox.add_staff("admin1", "管理员")
    api_base = await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServerProcess(Path(tmp) / "redis")
        redis.start()
        port = free_port()
        env = sandbox_env(
            sandbox,
            api_base,
            redis.url,
            SCRM_DATA_DIR=str(Path(tmp) / "data"),
            SCRM_ADMINS="admin1",
        )
        bot = await start_bot(port, env, extra=tuple(args.serve))
        try:
            sandbox.connect_bot(f"http://127.0.0.1:{port}/wecom/callback", TOKEN, AES_KEY)
            done, health = asyncio.Event(), []
            prober = asyncio.create_task(probe(f"http://127.0.0.1:{port}/healthz", done, health))
            files = heavy_files(Path(tmp), args)
            work = asyncio.create_task(
                heavy(env, files, sandbox, args) if args.heavy else asyncio.sleep(0)
            )
            spy = await profiler(bot.pid, args)
            counts = await command_counts(redis.url)
            trips, sent, failed = await burst(sandbox, args.rate, args.seconds, "B")
            await wait_for_welcomes(sandbox, len(sent))
            await asyncio.sleep(2.0)  # the handlers after the welcome finish too
            print_commands(counts, await command_counts(redis.url), len(sent))
            done.set()
            await asyncio.gather(prober, work)
            if spy is not None:
                await spy.wait()
            latencies = [w.time - sent[w.external_userid] for w in sandbox.welcomes()]
            return {
                "events": len(sent),
                "failed": failed,
                "callback_p50": p(trips, 0.5),
                "callback_p99": p(trips, 0.99),
                "callback_max": p(trips, 1.0),
                "welcomed": len(latencies),
                "inside": sum(latency <= WINDOW for latency in latencies) / len(sent),
                "welcome_p50": p(latencies, 0.5),
                "welcome_p99": p(latencies, 0.99),
                "welcome_max": p(latencies, 1.0),
                "health_p99": p(health, 0.99),
                "health_max": p(health, 1.0),
            }
        finally:
            bot.terminate()
            await bot.wait()
            redis.kill()
            await sandbox.stop()


async def command_counts(redis_url: str) -> dict[str, int]:
    redis = connect(redis_url)
    try:
        stats = await redis.info("commandstats")
    finally:
        await redis.aclose()
    return {name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in stats.items()}


def print_commands(before: dict[str, int], after: dict[str, int], events: int) -> None:
    """Redis commands per add event during the burst (the background work included)."""
    per = {name: (after[name] - before.get(name, 0)) / events for name in after}
    shown = sorted(((n, c) for n, c in per.items() if c >= 0.05), key=lambda x: -x[1])
    total = sum(per.values())
    print(
        f"Redis commands per event: {total:.1f} ("
        + ", ".join(f"{n} {c:.2f}" for n, c in shown)
        + ")"
    )


async def profiler(pid: int, args: argparse.Namespace) -> asyncio.subprocess.Process | None:
    """py-spy recording the bot for the burst, when asked (`--profile FILE.svg`)."""
    if not args.profile:
        return None
    command = ["py-spy", "record", "-p", str(pid), "-d", str(int(args.seconds)), "-r", "200"]
    command += ["-f", "raw"] if args.profile.endswith(".txt") else []
    return await asyncio.create_subprocess_exec(*command, "-o", args.profile, "--nonblocking")


async def wait_for_welcomes(sandbox: Sandbox, total: int) -> None:
    deadline = time.monotonic() + WINDOW + 10
    # the sandbox records welcomes in a list; polling it is the simplest way to wait
    while len(sandbox.welcomes()) < total and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)


async def run_bare(args: argparse.Namespace) -> dict[str, float]:
    sandbox = Sandbox()
    sandbox.add_staff("zhangsan", "张三")
    await sandbox.start()
    port = free_port()
    bare = start_bare(port)
    try:
        await asyncio.to_thread(wait_for_port, port)
        sandbox.connect_bot(f"http://127.0.0.1:{port}/wecom/callback", TOKEN, AES_KEY)
        trips, sent, failed = await burst(sandbox, args.rate, args.seconds, "R")
        return {
            "events": len(sent),
            "failed": failed,
            "callback_p50": p(trips, 0.5),
            "callback_p99": p(trips, 0.99),
            "callback_max": p(trips, 1.0),
        }
    finally:
        bare.terminate()
        bare.wait()
        await sandbox.stop()


def report(args: argparse.Namespace, bot: dict[str, float], bare: dict[str, float]) -> None:
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}; {args.rate:.0f} adds/s for "
        f"{args.seconds:.0f} s, {args.words:,} words and {args.scripts:,} scripts meanwhile"
    )
    print("| measure | scrm-bot serve | bare endpoint | target |")
    print("|---|---|---|---|")
    print(
        f"| callbacks (not 200) | {bot['events']:.0f} ({bot['failed']:.0f}) | "
        f"{bare['events']:.0f} ({bare['failed']:.0f}) | |"
    )
    for name, label in (("p50", "p50"), ("p99", "p99"), ("max", "max")):
        target = "< 50 ms" if name == "p99" else ""
        print(
            f"| callback {label} (ms) | {bot['callback_' + name]:.1f} | "
            f"{bare['callback_' + name]:.1f} | {target} |"
        )
    print(
        f"| welcomes sent / inside 20 s | {bot['welcomed']:.0f} / {bot['inside']:.2%} | | 100 % |"
    )
    print(
        f"| welcome p50 / p99 / max (ms) | {bot['welcome_p50']:.0f} / {bot['welcome_p99']:.0f}"
        f" / {bot['welcome_max']:.0f} | | p99 < 1,000 |"
    )
    print(
        f"| /healthz p99 / max (ms) | {bot['health_p99']:.1f} / {bot['health_max']:.1f} | | "
        "p99 < 50 |"
    )


Runner = Callable[[argparse.Namespace], Awaitable[dict[str, float]]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--words", type=int, default=50_000)
    parser.add_argument("--scripts", type=int, default=5_000)
    parser.add_argument("--no-heavy", dest="heavy", action="store_false", help="the burst alone")
    parser.add_argument("--no-bare", dest="bare", action="store_false", help="skip the baseline")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the bot")
    parser.add_argument("--profile", default="", help="py-spy the bot into this .svg (.txt: raw)")
    parser.add_argument("--serve", action="append", default=[], help="a `scrm-bot serve` argument")
    args = parser.parse_args()
    bot = asyncio.run(run_bot(args))
    empty = dict.fromkeys(("events", "failed", "callback_p50", "callback_p99"), float("nan"))
    bare = asyncio.run(run_bare(args)) if args.bare else empty | {"callback_max": float("nan")}
    report(args, bot, bare)


if __name__ == "__main__":
    main()
