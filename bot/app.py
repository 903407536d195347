"""The app factory: routes, the ordered routers, and every resource in `cleanup_ctx`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import (
    CLIENT_SETTINGS,
    CRYPTO,
    DISPATCHER,
    FILTER,
    HANDLER_CONTEXT,
    HTTP,
    INGEST,
    KEYS,
    METRICS,
    PIPELINE,
    REDIS,
    REDIS_URL,
    SETTINGS,
    WECOM,
)
from bot.callback import endpoint
from bot.callback.crypto import CallbackCrypto
from bot.callback.ingest import EventIngest
from bot.config import Settings
from bot.context import HandlerContext
from bot.keys import RedisKeys
from bot.locks import LockTimeout, RedisLock
from bot.metrics import Metrics
from bot.pipeline.consumer import EventPipeline
from bot.pipeline.middlewares import MIDDLEWARES
from bot.redis_store import open_redis
from bot.routing import Dispatcher, Router
from bot.text.guard import TextGuard
from bot.text.reloader import FilterReloader
from bot.web import health
from bot.wecom import ClientSettings, WeComClient, WeComError
from bot.welcome.channels import ChannelStore
from bot.welcome.contact_ways import ChannelManager
from handlers import channels, kf, sensitive, unhandled, welcome

# Order is priority: every handler matching an event runs in this order.
ROUTERS: list[Router] = [
    welcome.router,  # first: the welcome code expires 20 s after the event
    channels.router,  # after the welcome: tags, daily limits and stats can wait
    kf.router,
    sensitive.router,
    unhandled.router,  # last: logs event types nothing else handles
]


class StartupError(RuntimeError):
    """A resource needed at start-up is unavailable; the message says which and why."""


ROLES = ("all", "callback", "worker")


def create_app(
    settings: Settings,
    *,
    client_settings: ClientSettings | None = None,
    role: str = "all",
) -> web.Application:
    """Build the bot's web application; resources open on startup and close on cleanup.

    `role` splits the work for larger deployments: `callback` only receives and enqueues,
    `worker` only runs the pipeline, `all` (the default) does both. Every role serves
    /healthz, /readyz and /metrics.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    app = web.Application()
    app[SETTINGS] = settings
    app[CLIENT_SETTINGS] = client_settings or ClientSettings()
    app[METRICS] = Metrics()
    app[KEYS] = RedisKeys(settings.corp_id, settings.key_prefix)
    app[CRYPTO] = CallbackCrypto(settings.token, settings.aes_key, settings.corp_id)
    app[DISPATCHER] = Dispatcher(ROUTERS, MIDDLEWARES)

    app.cleanup_ctx.append(_redis_ctx)
    app.cleanup_ctx.append(_filter_ctx)
    app.cleanup_ctx.append(_wecom_ctx)
    if role != "callback":
        app.cleanup_ctx.append(_pipeline_ctx)
        app.cleanup_ctx.append(_rotation_ctx)
    if role != "worker":
        endpoint.setup_routes(app)
    health.setup_routes(app)
    return app


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with open_redis(settings.redis_url, settings.data_dir) as (redis, url):
        try:
            await redis.ping()
        except (RedisError, OSError) as exc:
            where = settings.redis_url or f"内置 Redis（{settings.data_dir}）"
            raise StartupError(f"SCRM_REDIS_URL: 无法连接 {where}：{exc}") from exc
        app[REDIS] = redis
        app[REDIS_URL] = url
        app[INGEST] = EventIngest(redis, app[KEYS], settings.dedup_window_seconds)
        yield


async def _filter_ctx(app: web.Application) -> AsyncIterator[None]:
    reloader = FilterReloader(app[REDIS], app[KEYS], app[REDIS_URL])
    await reloader.start()
    app[FILTER] = reloader
    yield
    await reloader.stop()


async def _wecom_ctx(app: web.Application) -> AsyncIterator[None]:
    connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)
    async with aiohttp.ClientSession(connector=connector) as session:
        app[HTTP] = session
        app[WECOM] = WeComClient.from_settings(
            app[SETTINGS], session, app[REDIS], app[METRICS], app[CLIENT_SETTINGS]
        )
        app[HANDLER_CONTEXT] = HandlerContext(
            settings=app[SETTINGS],
            redis=app[REDIS],
            keys=app[KEYS],
            wecom=app[WECOM],
            metrics=app[METRICS],
            text=text_guard(app[FILTER], app[WECOM], app[SETTINGS]),
            log=logging.getLogger("scrm.handlers"),
        )
        yield


async def _pipeline_ctx(app: web.Application) -> AsyncIterator[None]:
    pipeline = EventPipeline(
        app[REDIS], app[KEYS], app[DISPATCHER], app[HANDLER_CONTEXT], app[SETTINGS].pipeline
    )
    await pipeline.start()
    app[PIPELINE] = pipeline
    yield
    await pipeline.stop()


CHANNEL_REFRESH_SECONDS = 60.0


async def _rotation_ctx(app: web.Application) -> AsyncIterator[None]:
    """Every minute one process moves each channel code to the staff it should serve now."""
    manager = ChannelManager(ChannelStore(app[REDIS], app[KEYS]), app[WECOM].external_contact)

    async def rotate() -> None:
        while True:
            await asyncio.sleep(CHANNEL_REFRESH_SECONDS)
            try:
                async with RedisLock(app[REDIS], app[KEYS].channels_lock, ttl=50, wait=0):
                    await manager.refresh_all()
            except LockTimeout:
                pass  # another process is on it this minute
            except (RedisError, OSError) as exc:
                logging.getLogger(__name__).warning("channel rotation skipped: %s", exc)

    task = asyncio.create_task(rotate(), name="channel-rotation")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def text_guard(reloader: FilterReloader, wecom: WeComClient, settings: Settings) -> TextGuard:
    """The enforcement points, alerting the configured admins by app message."""

    async def notify_admins(text: str) -> None:
        if not settings.admins:
            return
        try:
            await wecom.message.send_text(sorted(settings.admins), text)
        except WeComError as exc:  # an alert is best effort: the message itself is kept
            logging.getLogger(__name__).warning("admin alert not sent: %s", exc)

    return TextGuard(lambda: reloader.current, reloader.redis, reloader.keys, notify_admins)
