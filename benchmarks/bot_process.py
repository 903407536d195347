"""A `scrm-bot serve` process wired to an in-process sandbox, shared by the benchmarks."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import IO

from benchmarks.callback_ingest import wait_for_port
from bot.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "BenchToken2026"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"


def sandbox_env(sandbox: Sandbox, api_base: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a bot serving the sandbox's corp; `extra` adds SCRM_* keys. Nothing
    of this process's own SCRM_* or Prometheus settings is inherited."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SCRM_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    return inherited | {
        "SCRM_CORP_ID": sandbox.corp_id,
        "SCRM_TOKEN": TOKEN,
        "SCRM_AES_KEY": AES_KEY,
        "SCRM_AGENT_ID": str(sandbox.agent_id),
        "SCRM_AGENT_SECRET": sandbox.app_secret,
        "SCRM_CONTACT_SECRET": sandbox.contact_secret,
        "SCRM_REDIS_URL": redis_url,
        "SCRM_WECOM_API_BASE": api_base,
        **extra,
    }


async def start_bot(
    port: int, env: dict[str, str], stderr: IO[bytes] | None = None, extra: tuple[str, ...] = ()
) -> asyncio.subprocess.Process:
    """`scrm-bot serve` on 127.0.0.1:`port`, returned once it accepts connections; its log
    lines (WARNING and up) go to `stderr` when given."""
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--log-level",
        "WARNING",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *extra,
        cwd=ROOT,
        env=env,
        stderr=stderr,
    )
    await asyncio.to_thread(wait_for_port, port)
    return bot
