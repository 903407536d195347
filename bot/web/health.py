"""`/healthz` (the process answers), `/readyz` (Redis answers) and `/metrics` (Prometheus).

A deployment serving several corps answers these at the top for all of them (see
`bot.corps_app`) and under each corp's path for that corp alone.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from bot.appkeys import KEYS, METRICS, REDIS
from bot.pipeline.consumer import GROUP

# A probe must get its answer even when Redis hangs or the pool is exhausted (or a cluster
# client retries): past this the answer is 503.
READY_TIMEOUT_SECONDS = 2.0


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
    return await render_metrics([_owner(request)])


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
