"""One soak run: start redis-server, the sandbox and `scrm-bot serve --workers N`, send the
callback mix while the fault schedule runs, drain, reconcile, and stop everything."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis

from benchmarks.bot_process import AES_KEY, TOKEN
from benchmarks.soak.drain import drain, read_facts
from benchmarks.soak.faults import DEFAULT_PLAN, FaultRunner, FaultSpec, FaultWindow
from benchmarks.soak.memory import ProcessMemory, RssSampler
from benchmarks.soak.processes import BotServer, RedisServer, free_port
from benchmarks.soak.reconcile import WINDOW_SECONDS, Reconciliation, reconcile
from benchmarks.soak.setup import (
    ADMIN,
    bot_env,
    held_tags,
    import_config,
    sandbox_corp,
    sop_rule,
    tag_ids,
)
from benchmarks.soak.traffic import Traffic
from bot.keys import RedisKeys

_EXITED = re.compile(r"worker \d+ \(pid (\d+)\) exited unexpectedly")


@dataclass
class SoakConfig:
    """How long, how fast, with which faults; `warmup` None: a fifth of the run, ≤ 60 s."""

    minutes: float = 10.0
    rate: float = 20.0
    workers: int = 2
    staff: int = 30
    plan: tuple[FaultSpec, ...] = DEFAULT_PLAN
    seed: int = 2026
    drain_seconds: float = 120.0
    sop_minutes: int = 1
    warmup: float | None = None
    sample_seconds: float = 5.0
    keep_dir: bool = False

    @property
    def seconds(self) -> float:
        return self.minutes * 60

    @property
    def warmup_seconds(self) -> float:
        return self.warmup if self.warmup is not None else min(60.0, self.seconds / 5)


@dataclass
class SoakResult:
    """A run's reconciliation, memory, faults and load; `ok` is the pass/fail verdict."""

    config: SoakConfig
    reconciliation: Reconciliation
    memory: list[ProcessMemory]
    flagged: list[ProcessMemory]
    windows: list[FaultWindow]
    unexpected_restarts: int  # workers that died without a fault killing them
    started: float
    load: list[float] = field(default_factory=list)  # 1-minute load average, sampled
    workdir: str = ""

    @property
    def ok(self) -> bool:
        r = self.reconciliation
        return (
            r.lost == 0
            and r.duplicates == 0
            and r.drained
            and not self.flagged
            and self.unexpected_restarts == 0
        )


async def run_soak(config: SoakConfig) -> SoakResult:
    """Run the soak described by `config`; everything it started is stopped on return."""
    workdir = Path(tempfile.mkdtemp(prefix="scrm-soak-"))
    keep = config.keep_dir
    redis = RedisServer(workdir / "redis")
    await asyncio.to_thread(redis.start)
    sandbox, staff = sandbox_corp(config.staff, config.seed)
    kf_account = sandbox.add_kf_account()
    bot: BotServer | None = None
    client = Redis.from_url(redis.url, decode_responses=True, socket_timeout=5)
    try:
        api_base = await sandbox.start()
        env = bot_env(sandbox, api_base, redis.url, workdir / "data")
        bot = BotServer(free_port(), env, workdir / "bot.log", config.workers)
        sop = sop_rule(config.sop_minutes)
        await asyncio.gather(bot.start(), import_config(env, workdir, sop))
        url = f"http://127.0.0.1:{bot.port}/wecom/callback"
        sandbox.connect_bot(url, TOKEN, AES_KEY, timeout=5.0, max_retries=3, retry_delay=1.0)
        groups = [
            (await sandbox.group_created(staff[n], name=f"浸泡群{n}")).chat_id for n in range(3)
        ]
        traffic = Traffic(
            sandbox,
            staff,
            ADMIN,
            groups,
            kf_account,
            rate=config.rate,
            seed=config.seed,
            tag=secrets.token_hex(2).upper(),
        )
        faults = FaultRunner(sandbox, redis, bot)
        sampler = RssSampler(bot.pid, bot.worker_pids, config.sample_seconds)
        load: list[float] = []
        sampling = asyncio.create_task(_sample(sampler, load))
        started = time.time()
        ended, _ = await asyncio.gather(
            traffic.run(config.seconds), faults.run(config.plan, config.seconds, started)
        )
        await traffic.settle()
        keys = RedisKeys(sandbox.corp_id, "soak")

        def settled() -> bool:  # every welcome sent, or its code expired
            sent = {w.welcome_code for w in sandbox.welcomes()}
            late = time.time() - WINDOW_SECONDS
            return all(
                r.welcome_code in sent or r.create_time < late
                for r in traffic.records
                if r.kind == "add" and r.acked and r.welcome_code
            )

        await drain(client, keys, settled, config.drain_seconds)
        sampling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampling
        admin_ids = [r.msg_id for r in traffic.records if r.kind.startswith("admin")]
        facts = await read_facts(client, keys, admin_ids)
        result = reconcile(
            traffic.records,
            traffic.deleted,
            sandbox.calls,
            sandbox.welcomes(),
            faults.windows,
            facts,
            seconds=ended - started,
            rate=config.rate,
            sop=(sop, ended),
            admin=ADMIN,
            tag_ids=tag_ids(sandbox),
            held=held_tags(sandbox),
        )
        if config.keep_dir:  # every recorded call, for a closer look
            with (workdir / "calls.jsonl").open("w", encoding="utf-8") as out:
                for call in sandbox.calls:
                    out.write(json.dumps(call.to_json(), ensure_ascii=False, default=str) + "\n")
        return SoakResult(
            config=config,
            reconciliation=result,
            memory=list(sampler.processes.values()),
            flagged=sampler.flagged(config.warmup_seconds),
            windows=sorted(faults.windows, key=lambda w: w.start),
            unexpected_restarts=len(unexpected_exits(bot.log_path, faults.killed)),
            started=started,
            load=load,
            workdir=str(workdir),
        )
    except BaseException:
        keep = True  # the logs say why
        print(f"soak failed; its files are kept in {workdir}", file=sys.stderr)
        raise
    finally:
        await client.aclose()
        if bot is not None:
            await bot.stop()
        await asyncio.to_thread(redis.kill)
        await sandbox.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def unexpected_exits(log: Path, killed: list[int]) -> list[str]:
    """The supervisor's "exited unexpectedly" lines for workers the faults did not kill."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    found = []
    for line in lines:
        match = _EXITED.search(line)
        if match and int(match.group(1)) not in killed:
            found.append(line.strip())
    return found


async def _sample(sampler: RssSampler, load: list[float]) -> None:
    while True:
        sampler.sample()
        load.append(os.getloadavg()[0])
        await asyncio.sleep(sampler.interval)
