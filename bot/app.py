"""The app factory: routes, the ordered routers, and every resource in `cleanup_ctx`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import jieba
from aiohttp import web
from aiohttp.typedefs import Middleware
from redis.exceptions import RedisError

from bot.admin.handoff import ReplyHandoff
from bot.appkeys import (
    BODY_GATE,
    CALLBACK_PRESSURE,
    CLIENT_SETTINGS,
    CRYPTO,
    DISPATCHER,
    FILTER,
    HANDLER_CONTEXT,
    HANDOFF,
    HTTP,
    INGEST,
    KEYS,
    METRICS,
    PIPELINE,
    REDIS,
    REDIS_OPENER,
    REDIS_URL,
    SCRIPT_INDEX,
    SETTINGS,
    WECOM,
)
from bot.background import stop_tasks
from bot.callback import endpoint
from bot.callback.crypto import CallbackCrypto
from bot.callback.ingest import EventIngest
from bot.config import Settings
from bot.context import HandlerContext
from bot.errors import StartError
from bot.features import periodic_work, routers, web_setups
from bot.keys import RedisKeys
from bot.logs import request_id_middleware
from bot.metrics import Metrics
from bot.periodic import running
from bot.pipeline.consumer import EventPipeline
from bot.pipeline.middlewares import MIDDLEWARES
from bot.pipeline.priority import CallbackPressure
from bot.routing import Dispatcher, Router
from bot.storage.client import RedisOpener, open_redis
from bot.storage.url import redacted
from bot.text.guard import TextGuard
from bot.text.reloader import FilterReloader
from bot.watchdog import LoopWatchdog
from bot.web import health, home, ingest_messages, ingest_orders
from bot.web.gate import BodyGate
from bot.wecom import ClientSettings, WeComClient, WeComError
from console_web.app import create_console_app
from sidebar_web.app import create_sidebar_app

# Order is priority: every handler matching an event runs in this order.
ROUTERS: list[Router] = routers()  # every feature's, in dispatch order (bot/features.py)


class StartupError(StartError, RuntimeError):
    """A resource needed at start-up is unavailable; the message says which and why."""


ROLES = ("all", "callback", "worker")


def create_app(
    settings: Settings,
    *,
    client_settings: ClientSettings | None = None,
    role: str = "all",
    sidebar_ww_stub: str = "",
    metrics: Metrics | None = None,
    redis_opener: RedisOpener = open_redis,
) -> web.Application:
    """Build the bot's web application; resources open on startup and close on cleanup.

    `role` splits the work for larger deployments: `callback` only receives and enqueues,
    `worker` only runs the pipeline, `all` (the default) does both. Every role serves
    /healthz, /readyz and /metrics. The web-facing roles (`all`, `callback`) also serve the
    chat-toolbar sidebar at /sidebar/ and the signed /ingest/ endpoints; `sidebar_ww_stub` is
    for the demo's chat window only. A deployment serving several corps (`bot.corps_app`)
    hands each corp's app its `metrics` (bound to the corp) and a `redis_opener` that starts
    the embedded Redis once for all of them.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    middlewares: list[Middleware] = [request_id_middleware]  # X-Request-Id, logged per line
    if settings.metrics_port:
        middlewares.append(health.metrics_port_only(settings.metrics_port))
    app = web.Application(middlewares=middlewares)
    app[SETTINGS] = settings
    app[CLIENT_SETTINGS] = client_settings or ClientSettings()
    app[METRICS] = metrics or Metrics()
    app[REDIS_OPENER] = redis_opener
    app[KEYS] = RedisKeys(settings.corp_id, settings.key_prefix)
    app[CRYPTO] = CallbackCrypto(settings.token, settings.aes_key, settings.corp_id)
    app[CALLBACK_PRESSURE] = CallbackPressure()
    app[DISPATCHER] = Dispatcher(ROUTERS, MIDDLEWARES)
    app[BODY_GATE] = BodyGate()

    app.cleanup_ctx.append(_watchdog_ctx)
    app.cleanup_ctx.append(_redis_ctx)
    app.cleanup_ctx.append(_filter_ctx)
    app.cleanup_ctx.append(_warm_ctx)
    app.cleanup_ctx.append(_wecom_ctx)
    if role != "callback":
        app.cleanup_ctx.append(_pipeline_ctx)
        app.cleanup_ctx.append(_periodic_ctx)
    if role != "worker":
        # only the sidebar searches scripts: a worker needn't segment the whole library
        app.cleanup_ctx.append(_script_index_ctx)
        endpoint.setup_routes(app)
        ingest_messages.setup_routes(app)  # chat-archive batches, signed (off without a secret)
        ingest_orders.setup_routes(app)  # orders for RFM, signed the same way
        app.add_subapp("/sidebar/", create_sidebar_app(ww_stub_url=sidebar_ww_stub))
        app.add_subapp("/console/", create_console_app())  # the operators' console
        for setup in web_setups():  # features' public pages (the store-code landing page)
            setup(app)
    health.setup_routes(app)
    home.setup_routes(app, public=role != "worker")  # "/" and the domain verification file
    return app


async def _watchdog_ctx(app: web.Application) -> AsyncIterator[None]:
    """Log and count every stretch the event loop is blocked (see `bot.watchdog`)."""
    stalls = app[METRICS].loop_stalls
    with LoopWatchdog.watching(lambda seconds, _running: stalls.observe(seconds)):
        yield


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with app[REDIS_OPENER](settings.redis_url, settings.data_dir) as (redis, url):
        try:
            await redis.ping()
        except (RedisError, OSError) as exc:
            where = redacted(settings.redis_url or "") or f"内置 Redis（{settings.data_dir}）"
            raise StartupError(f"SCRM_REDIS_URL: 无法连接 {where}：{exc}") from exc
        app[REDIS] = redis
        app[REDIS_URL] = url
        app[INGEST] = EventIngest(redis, app[KEYS], settings.dedup_window_seconds)
        app[HANDOFF] = ReplyHandoff(redis, app[KEYS])
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


async def _warm_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load jieba's dictionary before the app listens: its first use on the loop (a script
    search, a tag rule's word boundaries) would hold it ~1.5 s. A thread alone doesn't help
    once the dictionary is cached: `marshal.load` holds the GIL 0.2 s (1.5 s on a busy
    machine), which stalled the first callback. So start-up waits for it; the pipeline no
    longer needs Redis at start (it creates its group when Redis answers)."""
    await asyncio.to_thread(jieba.initialize)
    yield


async def _script_index_ctx(app: web.Application) -> AsyncIterator[None]:
    """The script search index of this process (the one admin chat searches too), built in
    the background at start-up."""
    index = app[HANDLER_CONTEXT].services.script_index
    app[SCRIPT_INDEX] = index
    # a large library takes seconds to segment; health checks answer meanwhile, searches wait
    task = asyncio.create_task(index.refresh(), name="script-index")
    yield
    await stop_tasks([task])


async def _pipeline_ctx(app: web.Application) -> AsyncIterator[None]:
    pipeline = EventPipeline(
        app[REDIS],
        app[KEYS],
        app[DISPATCHER],
        app[HANDLER_CONTEXT],
        app[SETTINGS].pipeline,
        pressure=app[CALLBACK_PRESSURE],  # the callbacks this process serves go first
    )
    await pipeline.start()
    app[PIPELINE] = pipeline
    yield
    await pipeline.stop()


async def _periodic_ctx(app: web.Application) -> AsyncIterator[None]:
    """Every feature's periodic work (bot/features.py): most by one process a round under a
    lock, due jobs (SOP steps, alerts) polled in every process."""
    async with running(periodic_work(app[HANDLER_CONTEXT]), app[REDIS]):
        yield


def text_guard(reloader: FilterReloader, wecom: WeComClient, settings: Settings) -> TextGuard:
    """The enforcement points, alerting the configured admins by app message."""

    async def notify_admins(text: str) -> None:
        if not settings.admins:
            return
        try:
            await wecom.message.send_text(sorted(settings.admins), text)
        except WeComError as exc:  # an alert is best effort: the message itself is kept
            logging.getLogger(__name__).warning("admin alert not sent: %s", exc)

    return TextGuard(
        lambda: reloader.current,
        reloader.redis,
        reloader.keys,
        notify_admins,
        version=lambda: reloader.version,
    )
