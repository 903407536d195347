"""What the admin CLI commands share: JSON on stdout, one Chinese line on stderr for errors, and
the services a command that talks to WeCom opens (Redis, an HTTP session, the client, a guard)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import aiohttp
from redis.asyncio import Redis

from bot.config import Settings
from bot.errors import UserError
from bot.keys import RedisKeys
from bot.services import Services
from bot.storage.client import open_redis
from bot.text.guard import TextGuard
from bot.text.library import WordLibrary
from bot.text.starter import seed_starter_words
from bot.wecom import WeComClient, WeComError

if TYPE_CHECKING:
    from bot.context import HandlerContext


def csv_list(value: str) -> list[str]:
    """A comma-separated command-line value as a list, blanks dropped."""
    return [item.strip() for item in value.split(",") if item.strip()]


def print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


async def reporting(work: Awaitable[int]) -> int:
    """Run a command; refused input (any `UserError`) exits 2, a WeCom error 1, each with one
    readable line."""
    try:
        return await work
    except UserError as exc:  # refused input: said as it is, in one line
        print(f"错误：{exc}", file=sys.stderr)
        return exc.exit_code
    except WeComError as exc:
        print(f"企业微信接口错误 {exc.errcode}（{exc.path}）：{exc.explanation}", file=sys.stderr)
        return 1


@dataclass(frozen=True)
class AdminServices:
    """Redis, the corp's keys and a WeCom client, open for the length of one command, and
    the stores over them (`stores`, each built once, as `ctx.services` in the app)."""

    redis: Redis
    keys: RedisKeys
    wecom: WeComClient

    @cached_property
    def stores(self) -> Services:
        return Services(self.redis, self.keys, self.wecom)

    async def handler_context(self, settings: Settings) -> HandlerContext:
        """What the app's periodic work gets, for a command that runs the same code (making
        a mass-send task now): these services, and the outgoing word check."""
        from bot.context import HandlerContext
        from bot.metrics import Metrics

        return HandlerContext(
            settings=settings,
            redis=self.redis,
            keys=self.keys,
            wecom=self.wecom,
            metrics=Metrics(),
            text=await self.outgoing_guard(),
            log=logging.getLogger("scrm-bot"),
            shared=self.stores,
        )

    async def outgoing_guard(self) -> TextGuard:
        """The sensitive-word check for text an admin saves, the starter words included."""
        await seed_starter_words(self.redis, self.keys)
        snapshot = await WordLibrary(self.redis, self.keys).snapshot()
        return snapshot.guard(self.redis, self.keys)


@asynccontextmanager
async def admin_services(settings: Settings) -> AsyncIterator[AdminServices]:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    async with (
        open_redis(settings.redis_url, settings.data_dir) as (redis, _url),
        aiohttp.ClientSession() as session,
    ):
        yield AdminServices(redis, keys, WeComClient.from_settings(settings, session, redis))


async def in_context(settings: Settings, work: Callable[[HandlerContext], Awaitable[int]]) -> int:
    """Run a command that calls the same code as the app's periodic work (a mass-send task, a
    hand-over, a statistics pull) with a handler context over the admin services; refusals
    reported as `reporting` does."""
    async with admin_services(settings) as services:

        async def body() -> int:
            return await work(await services.handler_context(settings))

        return await reporting(body())
