"""The fault schedule of a soak run, and the windows in which each fault was in force.

A plan is a list of `FaultSpec` placed at fractions of a cycle; runs longer than `CYCLE`
repeat the cycle. Kinds:
- `errcode`, `status`, `timeout`: the sandbox answers an errcode, an HTTP status, or stalls
  (longer than the bot's 10 s client timeout, then answers) on some APIs for `seconds`;
- `token_revoke`: every access token is invalidated early (the next call answers 40014);
- `redis_shutdown` / `redis_kill`: Redis stops (SHUTDOWN NOSAVE, or SIGKILL) and is started
  again `seconds` later on the same port with the same AOF folder;
- `worker_kill`: one worker gets SIGKILL; the window lasts until the supervisor replaced it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from benchmarks.soak.processes import BotServer, RedisServer
from bot.sandbox import Fault, Sandbox

CYCLE = 300.0  # seconds; a 10-minute run goes through the plan twice
WELCOME, SEND, TAG, KF, GET = (
    "externalcontact/send_welcome_msg",
    "message/send",
    "externalcontact/mark_tag",
    "kf/sync_msg",
    "externalcontact/get",
)


@dataclass(frozen=True)
class FaultSpec:
    """A fault to inject at `at` (a fraction of the cycle) for `seconds`."""

    at: float
    kind: str
    seconds: float = 0.0
    paths: tuple[str, ...] = ()
    code: int = 0  # the errcode, the HTTP status, or the stall in seconds for `timeout`


@dataclass
class FaultWindow:
    """When a fault was in force (wall clock), and what it was."""

    kind: str
    detail: str
    start: float
    end: float
    paths: tuple[str, ...] = ()
    code: int = 0

    @property
    def signature(self) -> str:
        """What the bot's error says when one of this window's API faults failed a call."""
        return {"errcode": f"errcode {self.code}:", "status": f"HTTP {self.code}"}.get(
            self.kind, "Timeout"
        )

    def overlaps(self, start: float, end: float) -> bool:
        return self.start <= end and start <= self.end


DEFAULT_PLAN = (
    FaultSpec(0.06, "errcode", 6, (WELCOME,), -1),
    FaultSpec(0.14, "token_revoke"),
    FaultSpec(0.22, "redis_shutdown", 3),
    FaultSpec(0.34, "errcode", 10, (SEND, TAG), 45009),
    FaultSpec(0.46, "worker_kill"),
    FaultSpec(0.56, "status", 8, (TAG, KF), 502),
    FaultSpec(0.66, "timeout", 3, (WELCOME, GET, KF), 12),
    FaultSpec(0.78, "redis_kill", 3),
    FaultSpec(0.88, "token_revoke"),
    FaultSpec(0.92, "worker_kill"),
)
SMOKE_PLAN = (
    FaultSpec(0.15, "errcode", 4, (WELCOME,), -1),
    FaultSpec(0.35, "worker_kill"),
    FaultSpec(0.55, "redis_shutdown", 2),
    FaultSpec(0.75, "token_revoke"),
)


def describe(spec: FaultSpec) -> str:
    paths = ", ".join(p.rsplit("/", 1)[-1] for p in spec.paths)
    return {
        "errcode": f"errcode {spec.code} on {paths} for {spec.seconds:g} s",
        "status": f"HTTP {spec.code} on {paths} for {spec.seconds:g} s",
        "timeout": f"{spec.code:g} s stall (bot times out at 10 s) on {paths} "
        f"for {spec.seconds:g} s",
        "token_revoke": "every access token revoked (40014)",
        "redis_shutdown": f"Redis SHUTDOWN NOSAVE, restarted after {spec.seconds:g} s",
        "redis_kill": f"Redis SIGKILL, restarted after {spec.seconds:g} s",
        "worker_kill": "a worker SIGKILLed, replaced by the supervisor",
    }[spec.kind]


class FaultRunner:
    """Injects the plan's faults into one run and records their windows."""

    def __init__(self, sandbox: Sandbox, redis: RedisServer, bot: BotServer) -> None:
        self.sandbox = sandbox
        self.redis = redis
        self.bot = bot
        self.windows: list[FaultWindow] = []
        self.killed: list[int] = []  # the worker pids SIGKILLed on purpose

    async def run(self, plan: tuple[FaultSpec, ...], seconds: float, started: float) -> None:
        """Every fault of `plan` at its time within a run of `seconds` from `started`."""
        cycle = min(CYCLE, seconds)
        timed = [
            (started + offset + spec.at * cycle, spec)
            for offset in range(0, max(int(seconds // cycle), 1) * int(cycle), int(cycle))
            for spec in plan
        ]
        await asyncio.gather(*(self._one(at, spec) for at, spec in sorted(timed)))

    async def _one(self, at: float, spec: FaultSpec) -> None:
        await asyncio.sleep(max(at - time.time(), 0))
        start = time.time()
        detail = describe(spec)
        if spec.kind in ("errcode", "status", "timeout"):
            ids = [self._arm(path, spec).id for path in spec.paths]
            await asyncio.sleep(spec.seconds)
            for fault_id in ids:
                self.sandbox.faults.remove(fault_id)
        elif spec.kind == "token_revoke":
            detail += f": {self.sandbox.tokens.revoke()} token(s)"
        elif spec.kind.startswith("redis_"):
            stop = self.redis.kill if spec.kind == "redis_kill" else self.redis.shutdown_nosave
            await asyncio.to_thread(stop)
            await asyncio.sleep(spec.seconds)
            await asyncio.to_thread(self.redis.start)
        elif spec.kind == "worker_kill":
            detail += f" (pid {await self._kill_worker()})"
        window = FaultWindow(spec.kind, detail, start, time.time(), spec.paths, spec.code)
        self.windows.append(window)

    def _arm(self, path: str, spec: FaultSpec) -> Fault:
        many = 10**9  # until removed at the end of the window
        if spec.kind == "errcode":
            return self.sandbox.faults.add(path, errcode=spec.code, times=many)
        if spec.kind == "status":
            return self.sandbox.faults.add(path, status=spec.code, times=many)
        return self.sandbox.faults.add(path, delay=float(spec.code), times=many)

    async def _kill_worker(self) -> int:
        before = set(self.bot.worker_pids())
        killed = self.bot.kill_worker()
        self.killed.append(killed)
        deadline = time.time() + 60
        while time.time() < deadline:  # until the supervisor started its replacement
            now = set(self.bot.worker_pids())
            if len(now) == len(before) and killed not in now:
                break
            await asyncio.sleep(0.1)
        return killed
