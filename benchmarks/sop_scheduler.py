"""SOP reminders at scale: scheduling 1,000,000, their Redis memory, and the dispatch lag when
10,000 fall due at the same moment.

    python benchmarks/sop_scheduler.py [--reminders 1000000] [--due 10000] [--runners 1,2]

Everything runs on this machine: a redis-server of the benchmark's own (AOF, `appendfsync
always`, as the embedded Redis runs), the WeCom sandbox on loopback in this process, and the bot
as `scrm-bot serve --role worker` processes.

1. Scheduling: `--reminders` step jobs (`--staff` members × their customers × 5 "added" rules,
   each relation waiting for one step of each rule, due over the next 30 days) go in through
   `Scheduler.add` in batches of `--batch`; ids are built before each batch is timed. A sample of
   relations also goes through `SopTriggers.fire`, the path a customer add takes.
2. Memory: `used_memory` before and after the reminders, per reminder, against the raw bytes of
   the ids and scores, and against a hash-per-job design measured on a sample.
3. Claims: 500 due jobs claimed out of the full set, against the same out of a set holding only
   the due jobs.
4. Dispatch: `--due` reminders (`--staff` members × `--due / --staff` customers, so the
   per-member limit of 30 a minute never applies) fall due at one instant while the full set is
   in Redis; the workers poll as deployed (every second, on the wall clock). Lag = the sandbox's
   receipt of the textcard − the due time. Baseline: the same number of bare `message/send`
   calls from a separate process at the same concurrency, fired at the due time, which is what
   the sandbox itself can take.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bot_process import AES_KEY, TOKEN, sandbox_env  # noqa: E402
from benchmarks.callback_ingest import wait_for_port  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.directory import StaffDirectory  # noqa: E402
from bot.keys import RedisKeys  # noqa: E402
from bot.profiles.store import ProfileStore  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from bot.scheduler import Scheduler  # noqa: E402
from bot.sop.deliver import REMINDERS_PER_SECOND  # noqa: E402
from bot.sop.jobs import step_id  # noqa: E402
from bot.sop.rules import SopRule, SopStep  # noqa: E402
from bot.sop.store import SopStore  # noqa: E402
from bot.sop.triggers import SopTriggers  # noqa: E402
from bot.storage.client import connect  # noqa: E402
from bot.wecom import WeComClient  # noqa: E402
from tests.helpers import RedisServerProcess, free_port  # noqa: E402

DAY = 86400
CONCURRENCY = 64  # JobRunner's default, per process
CLAIM_BATCH = 500  # JobRunner's default
SURNAMES = ("zhang", "wang", "li", "zhao", "liu", "chen", "yang", "huang", "zhou", "wu")
GIVEN = ("wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yan", "jie")

RULES = [
    SopRule(
        "",
        "新客关怀",
        [
            SopStep(text="{{ customer_name }}，您好！产品用得还顺手吗？有问题随时找我。", days=1),
            SopStep(text="{{ customer_name }}，本周会员日全场 9 折，需要帮您留货吗？", days=3),
            SopStep(text="回访一下{{ customer_name }}的使用感受，记得邀请评价。", days=7),
        ],
    ),
    SopRule(
        "",
        "首单跟进",
        [
            SopStep(text="提醒{{ customer_name }}：首单满 199 减 30 的券三天后到期。", days=2),
            SopStep(text="{{ customer_name }}还没下单，可以推荐一下爆款。", days=5),
        ],
    ),
    SopRule(
        "",
        "沉睡唤醒",
        [
            SopStep(text="好久没联系{{ customer_name }}了，发一张新品图吧。", days=30),
            SopStep(text="{{ customer_name }}：老客回归礼包已到账。", days=45),
        ],
    ),
    SopRule("", "生日祝福", [SopStep(text="祝{{ customer_name }}生日快乐！", days=90, at="10:00")]),
    SopRule(
        "",
        "季度回访",
        [
            SopStep(text="季度回访：问问{{ customer_name }}最近的需求。", days=60),
            SopStep(text="半年回访：{{ customer_name }}的会员等级快到期了。", days=150),
        ],
    ),
]


# -- ids --------------------------------------------------------------------------------------
def staff_ids(count: int) -> list[str]:
    """WeCom userids as corps set them: pinyin names, numbered when they repeat."""
    return [
        f"{SURNAMES[n % len(SURNAMES)]}{GIVEN[n // len(SURNAMES) % len(GIVEN)]}{n:04d}"
        for n in range(count)
    ]


def external_userid(n: int, salt: str = "") -> str:
    """32 characters like WeCom's `wm…` ids, stable for a given n."""
    digest = hashlib.sha256(f"{salt}{n}".encode()).digest()
    return "wm" + base64.urlsafe_b64encode(digest).decode()[:30]


@dataclass(frozen=True)
class Population:
    """The relations the scheduled reminders are about."""

    rules: list[SopRule]
    staff: list[str]
    customers_per_staff: int

    def relations(self) -> Iterator[tuple[str, str]]:
        for s, staff in enumerate(self.staff):
            for c in range(self.customers_per_staff):
                yield staff, external_userid(s * self.customers_per_staff + c)


def scheduled_jobs(
    population: Population, now: float, seed: int = 7
) -> Iterator[tuple[str, float]]:
    """One pending step of every rule for every relation, due somewhere in the next 30 days
    (none during the benchmark), with the trigger time its step's offset implies."""
    rng = random.Random(seed)
    for staff, customer in population.relations():
        for rule in population.rules:
            index = rng.randrange(len(rule.steps))
            due = now + rng.uniform(3600, 30 * DAY)
            trigger_at = int(due) - rule.steps[index].days * DAY - rng.randrange(DAY)
            yield step_id(rule.id, index, staff, customer, trigger_at), due


def batches(jobs: Iterator[tuple[str, float]], size: int) -> Iterator[dict[str, float]]:
    batch: dict[str, float] = {}
    for job_id, due in jobs:
        batch[job_id] = due
        if len(batch) == size:
            yield batch
            batch = {}
    if batch:
        yield batch


# -- redis ------------------------------------------------------------------------------------
async def info_int(redis: Redis, section: str, field: str) -> int:
    return int((await redis.info(section))[field])


async def rewritten_aof_size(redis: Redis) -> int:
    """The AOF's size once rewritten: what the data costs on disk in the steady state (the
    growing AOF is rewritten by Redis itself at some point, which would blur a before/after)."""
    await redis.bgrewriteaof()
    await asyncio.sleep(0.2)
    while True:
        persistence = await redis.info("persistence")
        if not persistence["aof_rewrite_in_progress"] and not persistence["aof_rewrite_scheduled"]:
            return int(persistence["aof_current_size"])
        await asyncio.sleep(0.1)


async def used_memory(redis: Redis) -> int:
    await asyncio.sleep(0.3)  # let the AOF buffer and the client buffers drain
    return await info_int(redis, "memory", "used_memory")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank: the value below which `q` of the samples lie."""
    if not ordered:
        return float("nan")
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


# -- 1. scheduling ------------------------------------------------------------------------------
async def schedule_all(
    redis: Redis, keys: RedisKeys, population: Population, size: int
) -> dict[str, float]:
    scheduler = Scheduler(redis, keys)
    spent = built = 0.0
    added = total = id_bytes = 0
    started = time.perf_counter()
    jobs = scheduled_jobs(population, time.time())
    while True:
        mark = time.perf_counter()
        batch = next(batches(jobs, size), None)
        built += time.perf_counter() - mark
        if batch is None:
            break
        total += len(batch)
        id_bytes += sum(len(job_id) for job_id in batch)
        mark = time.perf_counter()
        added += await scheduler.add(batch)
        spent += time.perf_counter() - mark
    return {
        "reminders": total,
        "added": added,
        "add_seconds": spent,
        "build_seconds": built,
        "wall_seconds": time.perf_counter() - started,
        "id_bytes": id_bytes,
    }


async def batch_sweep(
    scratch: Redis, keys: RedisKeys, population: Population, count: int
) -> list[tuple[str, int, float]]:
    """Reminders/s by batch size, each into an empty set (db 1) of `count` reminders, and a
    bare ZADD of the same batches as the baseline (no in-flight check, no script)."""
    rows = []
    for how, size in (("add", 100), ("add", 1000), ("add", 10_000), ("zadd", 1000)):
        await scratch.flushdb()
        scheduler = Scheduler(scratch, keys)
        jobs = scheduled_jobs(population, time.time(), seed=size)
        prepared = []
        for batch in batches(jobs, size):
            prepared.append(batch)
            if len(prepared) * size >= count:
                break
        start = time.perf_counter()
        for batch in prepared:
            if how == "add":
                await scheduler.add(batch)
            else:
                await scratch.zadd(keys.jobs_due, batch)
        rows.append((how, size, sum(map(len, prepared)) / (time.perf_counter() - start)))
    await scratch.flushdb()
    return rows


async def fire_rate(
    scratch: Redis, keys: RedisKeys, wecom: WeComClient, relations: int, concurrency: int
) -> dict[str, float]:
    """`SopTriggers.fire("added", …)` per relation into db 1, where the 5 rules are saved."""
    await scratch.flushdb()
    store = SopStore(scratch, keys)
    for rule in RULES:
        await store.save(replace(rule, steps=list(rule.steps)), "bench", None)
    triggers = SopTriggers(scratch, keys, StaffDirectory(scratch, keys, wecom.user))
    staff = staff_ids(100)
    at = time.time()
    queue = iter(range(relations))
    started = 0

    async def worker() -> None:
        nonlocal started
        for n in queue:
            count = await triggers.fire("added", staff[n % 100], external_userid(n, "fire"), at)
            started += count  # not `started += await …`: that would lose concurrent updates

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await scratch.flushdb()
    return {
        "relations": relations,
        "concurrency": concurrency,
        "relations_per_s": relations / elapsed,
        "reminders_per_s": started / elapsed,
    }


# -- 2. memory ----------------------------------------------------------------------------------
async def hash_per_job(scratch: Redis, population: Population, sample: int) -> float:
    """Bytes per job of the design the scheduler avoids: a hash per job holding its fields and
    a short id in the due set."""
    await scratch.flushdb()
    before = await used_memory(scratch)
    rng = random.Random(11)
    jobs = scheduled_jobs(population, time.time())
    for start in range(0, sample, 1000):
        async with scratch.pipeline(transaction=False) as pipe:
            for _ in range(min(1000, sample - start)):
                job_id, due = next(jobs)
                _, rule, step, staff, target, trigger_at = job_id.split("|")
                short = f"{rng.getrandbits(64):016x}"
                pipe.hset(
                    f"job:{short}",
                    mapping={
                        "kind": "sop",
                        "rule": rule,
                        "step": step,
                        "staff": staff,
                        "target": target,
                        "trigger_at": trigger_at,
                        "attempts": 0,
                    },
                )
                pipe.zadd("jobs:due", {short: due})
            await pipe.execute()
    per_job = (await used_memory(scratch) - before) / sample
    await scratch.flushdb()
    return per_job


# -- 3. claims ----------------------------------------------------------------------------------
async def claim_cost(redis: Redis, keys: RedisKeys, count: int) -> dict[str, float]:
    """Median time of one `claim(now, 500)` with `count` jobs due in the set as it is."""
    scheduler = Scheduler(redis, keys)
    ids = [f"bench|claim|{n}" for n in range(count)]
    for start in range(0, count, 1000):
        await scheduler.add(
            {ids[n]: 1.0 + n * 1e-6 for n in range(start, min(start + 1000, count))}
        )
    size = await redis.zcard(keys.jobs_due)
    await redis.config_resetstat()
    times = []
    while True:
        mark = time.perf_counter()
        claimed = await scheduler.claim(2.0, CLAIM_BATCH)
        times.append(time.perf_counter() - mark)
        if len(claimed) < CLAIM_BATCH:
            break
    stats = (await redis.info("commandstats")).get("cmdstat_evalsha", {})
    for start in range(0, count, 1000):
        # all were claimed: out of the in-flight set, and out of the due set to be sure
        await scheduler.cancel(ids[start : start + 1000])
        await redis.zrem(keys.jobs_inflight, *ids[start : start + 1000])
    full = times[:-1] or times  # the last claim found fewer than 500
    full.sort()
    return {
        "claims": len(full),
        "median_ms": full[len(full) // 2] * 1000,
        "server_us": float(stats.get("usec_per_call", float("nan"))),
        "set_size": float(size),
    }


# -- 4. dispatch --------------------------------------------------------------------------------
async def seed_profiles(redis: Redis, keys: RedisKeys, staff: list[str], per_staff: int) -> None:
    """The due reminders' customers, each followed by their staff member, as WeCom's
    `externalcontact/get` left them (the step reads the relation from the profile)."""
    profiles = ProfileStore(redis, keys)
    at = int(time.time()) - 30 * DAY
    for s, userid in enumerate(staff):
        for c in range(per_staff):
            n = s * per_staff + c
            await profiles.record_contact(
                {
                    "external_contact": {"external_userid": due_customer(n), "name": f"客户{n}"},
                    "follow_user": [
                        {
                            "userid": userid,
                            "remark": f"王女士{n}",
                            "createtime": at,
                            "tags": [
                                {"group_name": "客户等级", "tag_name": "VIP", "tag_id": "et1"}
                            ],
                        }
                    ],
                },
                at,
            )


def due_customer(n: int) -> str:
    return external_userid(n, "due")


@dataclass
class Workers:
    """`scrm-bot serve --role worker` processes: each polls the due jobs every second."""

    env: dict[str, str]
    processes: list[asyncio.subprocess.Process]

    async def start_one(self) -> int:
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "--log-level", "WARNING", "serve"),
            *("--host", "127.0.0.1", "--port", str(port), "--role", "worker"),
            cwd=ROOT,
            env=self.env,
        )
        self.processes.append(process)
        await asyncio.to_thread(wait_for_port, port)
        return process.pid

    async def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            await process.wait()


def clear_sandbox(sandbox: Sandbox) -> None:
    """A fresh minute for WeCom's limits, keeping tokens (the bot's cached one stays valid)."""
    sandbox.state.app_messages.clear()
    sandbox.recorder.clear()
    sandbox.rate_limiter.clear()


async def clear_quota(redis: Redis, keys: RedisKeys, staff: list[str]) -> None:
    """Forget the members' sends of the previous run: each run is a fresh minute for them."""
    for start in range(0, len(staff), 500):
        await redis.delete(*(keys.member_sends(s) for s in staff[start : start + 500]))


async def wait_for_messages(sandbox: Sandbox, expected: int, within: float) -> None:
    deadline = time.monotonic() + within
    # the sandbox records messages in a list; polling it is the simplest way to wait
    while len(sandbox.state.app_messages) < expected and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


@dataclass
class Run:
    label: str
    concurrency: int
    expected: int
    lags: list[float]
    dropped: int
    cpu: dict[str, float]
    left: dict[str, int]
    pace: float = 0.0  # sends a second the bot allows itself; 0: unpaced

    def row(self) -> dict[str, Any]:
        lags = sorted(self.lags)
        # the i-th card can't go out before i / pace: what counts is the lag beyond that
        beyond = sorted(lag - i / self.pace for i, lag in enumerate(lags)) if self.pace else lags
        return {
            "label": self.label,
            "concurrency": self.concurrency,
            "received": len(lags),
            "expected": self.expected,
            "dropped": self.dropped,
            "first": lags[0] if lags else float("nan"),
            "p50": percentile(lags, 0.50),
            "p95": percentile(lags, 0.95),
            "p99": percentile(lags, 0.99),
            "max": lags[-1] if lags else float("nan"),
            "beyond_p50": percentile(beyond, 0.50),
            "beyond_p99": percentile(beyond, 0.99),
            "beyond_max": beyond[-1] if beyond else float("nan"),
            "pace": self.pace,
            "rate": len(lags) / (lags[-1] - lags[0]) if len(lags) > 1 else float("nan"),
            "cpu": self.cpu,
            "left": self.left,
            "lags": lags,  # for --json: the shape of the tail
        }


async def dispatch(
    sandbox: Sandbox,
    redis: Redis,
    keys: RedisKeys,
    rule: SopRule,
    staff: list[str],
    per_staff: int,
    run: int,
    cpu_of: dict[str, int],
) -> tuple[list[float], int, dict[str, float], dict[str, int]]:
    """Schedule staff × per_staff step jobs due 2 s from now; wait for their textcards."""
    await clear_quota(redis, keys, staff)
    clear_sandbox(sandbox)
    scheduler = Scheduler(redis, keys)
    due = time.time() + 2.0
    trigger_at = int(due) - DAY - run  # a distinct job id (and task) per run
    jobs = {
        step_id(rule.id, 0, userid, due_customer(s * per_staff + c), trigger_at): due
        for s, userid in enumerate(staff)
        for c in range(per_staff)
    }
    items = list(jobs.items())
    for start in range(0, len(items), 1000):
        await scheduler.add(dict(items[start : start + 1000]))
    if time.time() >= due:
        raise RuntimeError("scheduling the due jobs took longer than the 2 s margin")
    cpu_before = {name: proc_cpu(pid) for name, pid in cpu_of.items()}
    await wait_for_messages(sandbox, len(jobs), within=60 + len(jobs) / 50)
    cpu = {name: proc_cpu(pid) - cpu_before[name] for name, pid in cpu_of.items()}
    messages = list(sandbox.state.app_messages)
    await asyncio.sleep(0.5)  # outcomes settle after the send
    counts = await scheduler.counts()
    left = {
        "running": counts["running"],
        "failed": counts["failed"],
        "due_left": int(await redis.zcount(keys.jobs_due, "-inf", time.time())),
    }
    return [m.time - due for m in messages], sum(not m.delivered for m in messages), cpu, left


async def bare_sends(
    sandbox: Sandbox, staff: list[str], per_staff: int, concurrency: int, cpu_of: dict[str, int]
) -> Run:
    """The sandbox's own capacity: the same textcards as bare calls from another process."""
    clear_sandbox(sandbox)
    at = time.time() + 2.0
    config = {
        "base": sandbox.base_url,
        "corp_id": sandbox.corp_id,
        "secret": sandbox.app_secret,
        "agent_id": sandbox.agent_id,
        "at": at,
        "concurrency": concurrency,
        "staff": len(staff),  # the child rebuilds the same ids: argv can't hold 10,000
        "per_staff": per_staff,
    }
    sender = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--sender", json.dumps(config), stdout=asyncio.subprocess.PIPE
    )
    cpu_before = {name: proc_cpu(pid) for name, pid in cpu_of.items()}
    expected = len(staff) * per_staff
    await wait_for_messages(sandbox, expected, within=60 + expected / 50)
    cpu = {name: proc_cpu(pid) - cpu_before[name] for name, pid in cpu_of.items()}
    output, _ = await sender.communicate()  # the child reports its CPU: it may be reaped by now
    cpu["sender"] = float(json.loads(output)["cpu"])
    messages = list(sandbox.state.app_messages)
    return Run(
        f"bare message/send, concurrency {concurrency}",
        concurrency,
        expected,
        [m.time - at for m in messages],
        sum(not m.delivered for m in messages),
        cpu,
        {},
    )


async def send_bare(config: dict[str, Any]) -> None:
    """In the sender process: a token, then every textcard at `concurrency` from `at` on."""
    base = config["base"]
    slots = asyncio.Semaphore(config["concurrency"])
    failed = 0
    connector = aiohttp.TCPConnector(limit=100)  # the bot's connector
    async with aiohttp.ClientSession(connector=connector) as session:
        params = {"corpid": config["corp_id"], "corpsecret": config["secret"]}
        async with session.get(f"{base}/cgi-bin/gettoken", params=params) as answer:
            token = (await answer.json())["access_token"]
        url = f"{base}/cgi-bin/message/send?access_token={token}"

        async def send(n: int, userid: str) -> None:
            nonlocal failed
            body = {
                "touser": userid,
                "msgtype": "textcard",
                "agentid": config["agent_id"],
                "textcard": {
                    "title": "SOP 提醒：新客关怀",
                    "description": f"客户：王女士{n}\n第 1 步 · 客户{n}，您好！产品用得还顺手吗？",
                    "url": f"http://127.0.0.1:8080/sidebar/sop/{n:020x}",
                    "btntxt": "去发送",
                },
            }
            async with slots, session.post(url, json=body) as answer:
                failed += (await answer.json()).get("errcode") != 0

        users = [u for u in staff_ids(config["staff"]) for _ in range(config["per_staff"])]
        await asyncio.sleep(max(config["at"] - time.time(), 0))
        cpu = time.process_time()  # from the first send on, like the other processes' figures
        await asyncio.gather(*(send(n, u) for n, u in enumerate(users)))
    if failed:
        print(f"sender: {failed} calls failed", file=sys.stderr)
    print(json.dumps({"cpu": time.process_time() - cpu}))


# -- the run --------------------------------------------------------------------------------------
async def run(args: argparse.Namespace) -> dict[str, Any]:
    staff = staff_ids(args.staff)
    per_staff_due = max(args.due // args.staff, 1)
    customers = max(args.reminders // (args.staff * len(RULES)), 1)
    sandbox = Sandbox()
    if args.due > sandbox.rate_limiter.per_minute:
        # more than WeCom's 10,000 calls a minute per API: measure the bot, not that limit
        print(f"--due {args.due} exceeds WeCom's 10,000 message/send a minute: limit lifted")
        sandbox.rate_limiter.per_minute = sandbox.rate_limiter.per_hour = 10**9
    for userid in staff:
        sandbox.add_staff(userid, f"员工{userid[-4:]}")
    api_base = await sandbox.start()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServerProcess(Path(tmp) / "redis")
        server.start()
        assert server.process is not None
        redis = connect(server.url)
        scratch = connect(server.url.removesuffix("/0") + "/1")  # throwaway comparisons
        env = sandbox_env(sandbox, api_base, server.url, SCRM_DATA_DIR=str(Path(tmp) / "data"))
        workers = Workers(env, [])
        session = aiohttp.ClientSession()
        try:
            keys = RedisKeys(sandbox.corp_id)
            settings = Settings(
                sandbox.corp_id,
                TOKEN,
                AES_KEY,
                sandbox.agent_id,
                sandbox.app_secret,
                sandbox.contact_secret,
                server.url,
                api_base,
            )
            wecom = WeComClient.from_settings(settings, session, redis)
            store = SopStore(redis, keys)
            rules = [await store.save(replace(r), "bench", None) for r in RULES]
            population = Population(rules, staff, customers)
            await Scheduler(redis, keys).add({"bench|warm": 1.0})  # scripts loaded before
            await Scheduler(redis, keys).cancel(["bench|warm"])

            print(f"scheduling {args.staff * customers * len(RULES):,} reminders…", flush=True)
            memory_before = await used_memory(redis)
            aof_before = await rewritten_aof_size(redis)
            result["schedule"] = await schedule_all(redis, keys, population, args.batch)
            result["memory_after"] = await used_memory(redis)
            result["memory_before"] = memory_before
            result["aof_bytes"] = await rewritten_aof_size(redis) - aof_before
            result["key_bytes"] = int(await redis.memory_usage(keys.jobs_due, samples=0))
            print("batch sizes, hash-per-job sample, SopTriggers.fire…", flush=True)
            sample = min(args.reminders, 100_000)
            result["sweep"] = await batch_sweep(scratch, keys, population, sample)
            result["hash_per_job"] = await hash_per_job(scratch, population, sample)
            result["fire"] = [
                await fire_rate(scratch, keys, wecom, args.fire_relations, 1),
                await fire_rate(scratch, keys, wecom, args.fire_relations, CONCURRENCY),
            ]
            print("claims…", flush=True)
            result["claim_full"] = await claim_cost(redis, keys, max(args.due, CLAIM_BATCH * 2))
            result["claim_alone"] = await claim_cost(scratch, keys, max(args.due, CLAIM_BATCH * 2))
            await scratch.flushdb()

            await seed_profiles(redis, keys, staff, per_staff_due)
            cpu_of = {"sandbox": os.getpid(), "redis": server.process.pid}
            runs: list[Run] = []
            counts = sorted({int(n) for n in args.runners.split(",")})
            for processes in counts:
                print(f"bare sends at concurrency {processes * CONCURRENCY}…", flush=True)
                runs.append(
                    await bare_sends(sandbox, staff, per_staff_due, processes * CONCURRENCY, cpu_of)
                )
            for processes in counts:
                while len(workers.processes) < processes:
                    cpu_of[f"worker{len(workers.processes) + 1}"] = await workers.start_one()
                print(f"dispatch with {processes} worker process(es)…", flush=True)
                # warm up: connections, the token and the staff names cached in Redis
                await dispatch(sandbox, redis, keys, rules[0], staff, 1, 1000 + processes, cpu_of)
                lags, dropped, cpu, left = await dispatch(
                    sandbox, redis, keys, rules[0], staff, per_staff_due, processes, cpu_of
                )
                label = f"scrm-bot, {processes} worker process{'es' if processes > 1 else ''}"
                runs.append(
                    Run(
                        label,
                        processes * CONCURRENCY,
                        len(staff) * per_staff_due,
                        lags,
                        dropped,
                        cpu,
                        left,
                        REMINDERS_PER_SECOND,
                    )
                )
            result["runs"] = [r.row() for r in runs]
            result["set_size"] = int(await redis.zcard(keys.jobs_due))
        finally:
            await workers.stop()
            await session.close()
            await redis.aclose()
            await scratch.aclose()
            server.kill()
            await sandbox.stop()
    return result


def report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    print(
        f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {version.split()[2]}, "
        f"date {time.strftime('%Y-%m-%d')}"
    )
    s = result["schedule"]
    n = s["reminders"]
    print(
        f"\n{n:,} reminders ({args.staff} staff × {n // args.staff // len(RULES)} customers × "
        f"{len(RULES)} rules), ids {s['id_bytes'] / n:.1f} bytes on average"
    )
    sample = min(args.reminders, 100_000)
    bare = next(rate for how, _, rate in result["sweep"] if how == "zadd")
    print("\n| path | reminders | reminders/s | ratio to bare ZADD | note |\n|---|---|---|---|---|")
    print(
        f"| Scheduler.add, batches of {args.batch}, into the growing set | {n:,} "
        f"| {n / s['add_seconds']:,.0f} | {n / s['add_seconds'] / bare:.2f} "
        f"| {s['add_seconds']:.1f} s in add, {s['build_seconds']:.1f} s building ids |"
    )
    for how, size, rate in result["sweep"]:
        path = "Scheduler.add" if how == "add" else "bare ZADD (baseline)"
        print(
            f"| {path}, batches of {size}, into an empty set | {sample:,} | {rate:,.0f} "
            f"| {rate / bare:.2f} | |"
        )
    for fire in result["fire"]:
        rate = fire["reminders_per_s"]
        print(
            f"| SopTriggers.fire per relation, {fire['concurrency']} at a time | "
            f"{fire['relations'] * len(RULES):,} | {rate:,.0f} | {rate / bare:.2f} "
            f"| {fire['relations_per_s']:,.0f} relations/s |"
        )
    grown = result["memory_after"] - result["memory_before"]
    raw = (s["id_bytes"] + 8 * n) / n
    print("\n| measure | bytes per reminder | ratio to raw id + score |\n|---|---|---|")
    print(f"| raw id + 8-byte score (baseline) | {raw:.1f} | 1.00 |")
    print(f"| used_memory growth / reminders | {grown / n:.1f} | {grown / n / raw:.2f} |")
    print(
        f"| MEMORY USAGE of the due set / reminders | {result['key_bytes'] / n:.1f} "
        f"| {result['key_bytes'] / n / raw:.2f} |"
    )
    print(
        f"| hash per job + short id in a due set (sample) | {result['hash_per_job']:.1f} "
        f"| {result['hash_per_job'] / raw:.2f} |"
    )
    print(
        f"| AOF after a rewrite / reminders (disk) | {result['aof_bytes'] / n:.1f} "
        f"| {result['aof_bytes'] / n / raw:.2f} |"
    )
    full, alone = result["claim_full"], result["claim_alone"]
    print("\n| claim(now, 500) | set size | median (ms, client) | server µs per call |")
    print("|---|---|---|---|")
    print(
        f"| out of the full set | {full['set_size']:,.0f} | {full['median_ms']:.2f} "
        f"| {full['server_us']:.0f} |"
    )
    print(
        f"| out of a set of only the due jobs | {alone['set_size']:,.0f} "
        f"| {alone['median_ms']:.2f} "
        f"| {alone['server_us']:.0f} |"
    )
    print(
        "\n| dispatch | concurrency | received | dropped | first (s) | p50 (s) | p95 (s) "
        "| p99 (s) | max (s) | messages/s | paced at (/s) | beyond pacing p50 / p99 / max (s) "
        "| CPU s (sandbox / workers / redis) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in result["runs"]:
        cpu = row["cpu"]
        workers = sum(v for k, v in cpu.items() if k.startswith("worker") or k == "sender")
        print(
            f"| {row['label']} | {row['concurrency']} | {row['received']}/{row['expected']} "
            f"| {row['dropped']} | {row['first']:.2f} | {row['p50']:.2f} | {row['p95']:.2f} "
            f"| {row['p99']:.2f} | {row['max']:.2f} | {row['rate']:,.0f} "
            f"| {row['pace'] or '—'} | {row['beyond_p50']:.2f} / {row['beyond_p99']:.2f} / "
            f"{row['beyond_max']:.2f} "
            f"| {cpu['sandbox']:.1f} / {workers:.1f} / {cpu['redis']:.1f} |"
        )
    bare = {r["concurrency"]: r for r in result["runs"] if not r["left"]}
    for row in result["runs"]:
        if not row["left"]:
            continue
        print(f"{row['label']}: left after the run {row['left']}")
        baseline = bare.get(row["concurrency"])
        if baseline:  # how much of the bot's p99 the sandbox's own capacity accounts for
            print(
                f"  sandbox alone at the same concurrency: p99 {baseline['p99']:.2f} s = "
                f"{baseline['p99'] / row['p99']:.0%} of this p99; the bot adds "
                f"{row['p99'] - baseline['p99']:.2f} s"
            )
    print(f"\njobs in the due set at the end: {result['set_size']:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reminders", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000, help="ids per Scheduler.add")
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--due", type=int, default=10_000, help="reminders due at one instant")
    parser.add_argument("--fire-relations", type=int, default=5000)
    parser.add_argument("--runners", default="1,2", help="worker process counts to measure")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--sender", help=argparse.SUPPRESS)  # the bare-send child process
    args = parser.parse_args()
    if args.sender:
        asyncio.run(send_bare(json.loads(args.sender)))
        return
    result = asyncio.run(run(args))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    report(args, result)


if __name__ == "__main__":
    main()
