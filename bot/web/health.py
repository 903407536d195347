"""`/healthz` (the process answers), `/readyz` (Redis answers) and `/metrics` (Prometheus).

A deployment serving several corps answers these at the top for all of them (see
`bot.corps_app`) and under each corp's path for that corp alone.
"""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from bot.appkeys import KEYS, METRICS, REDIS, SETTINGS
from bot.config import Settings
from bot.pipeline.consumer import GROUP

# A probe must get its answer even when Redis hangs or the pool is exhausted (or a cluster
# client retries): past this the answer is 503.
READY_TIMEOUT_SECONDS = 2.0
PORT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


async def healthz(request: web.Request) -> web.Response:
    # the pid tells which worker answered when several share the port (serve --workers N)
    return web.json_response({"status": "ok", "pid": os.getpid()})


async def redis_problem(app: web.Application) -> str | None:
    """Why the app's Redis isn't usable right now, or None when it answers."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await app[REDIS].ping()
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_SECONDS:g} s"
    except (RedisError, OSError) as exc:
        return str(exc)[:200]
    return None


async def readyz(request: web.Request) -> web.Response:
    problem = await redis_problem(_owner(request))
    if problem is not None:
        return web.json_response({"status": "unavailable", "redis": problem}, status=503)
    return web.json_response({"status": "ok", "redis": "ok"})


async def refresh_gauges(app: web.Application) -> None:
    """Read the app's stream gauges from Redis: they are shared by every process, not
    counted by one. On a Redis error they keep their last values (/readyz reports Redis)."""
    registry, redis, keys = app[METRICS], app[REDIS], app[KEYS]
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.xlen(keys.events)
            pipe.xpending(keys.events, GROUP)
            pipe.xlen(keys.dead_letters)
            backlog, pending, dead = await pipe.execute(raise_on_error=False)
    except (RedisError, OSError):
        return
    if isinstance(backlog, int):
        registry.pipeline_backlog.set(backlog)
    if isinstance(pending, dict):
        registry.pipeline_pending.set(int(pending.get("pending", 0)))
    if isinstance(dead, int):
        registry.dead_letters.set(dead)


async def render_metrics(apps: Iterable[web.Application]) -> web.Response:
    """The exposition of the apps' (shared) metric families, gauges read first."""
    apps = list(apps)
    await asyncio.gather(*(refresh_gauges(app) for app in apps))
    body = apps[0][METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def metrics(request: web.Request) -> web.Response:
    owner = _owner(request)
    return metrics_refusal(request, owner[SETTINGS]) or await render_metrics([owner])


def metrics_refusal(request: web.Request, settings: Settings) -> web.Response | None:
    """Why this request may not read /metrics (as the answer), or None.

    With `SCRM_METRICS_PORT` set, /metrics answers only on that port (404 on the public one);
    with `SCRM_METRICS_TOKEN` set, only to `Authorization: Bearer <token>` (compared in
    constant time)."""
    if settings.metrics_port and local_port(request) != settings.metrics_port:
        return web.Response(status=404, text="404: Not Found")
    token = settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not (given.isascii() and hmac.compare_digest(given.encode(), token.encode())):
            return web.Response(
                status=401, text="401: Unauthorized", headers={"WWW-Authenticate": "Bearer"}
            )
    return None


def local_port(request: web.Request) -> int | None:
    """The port of ours the request came in on."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if isinstance(sockname, tuple) and len(sockname) >= 2 else None


def metrics_port_only(port: int) -> Middleware:
    """A middleware: on the metrics port (`SCRM_METRICS_PORT`), only the health and metrics
    routes answer, so that port exposes nothing else."""

    @web.middleware
    async def only_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
        if local_port(request) == port and request.path not in PORT_PATHS:
            return web.Response(status=404, text="404: Not Found")
        return await handler(request)

    return only_metrics


def _owner(request: web.Request) -> web.Application:
    """The app whose route answered: a corp's app when several are served."""
    for app in reversed(request.match_info.apps):
        if METRICS in app:
            return app
    return request.app


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
