"""`/healthz` (the process answers), `/readyz` (Redis answers) and `/metrics` (Prometheus)."""

from __future__ import annotations

import asyncio
import os

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from bot.appkeys import KEYS, METRICS, REDIS
from bot.pipeline.consumer import GROUP


async def healthz(request: web.Request) -> web.Response:
    # the pid tells which worker answered when several share the port (serve --workers N)
    return web.json_response({"status": "ok", "pid": os.getpid()})


# A probe must get its answer even when Redis hangs or the pool is exhausted (or a cluster
# client retries): past this the answer is 503.
READY_TIMEOUT_SECONDS = 2.0


async def readyz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await request.config_dict[REDIS].ping()
    except TimeoutError:
        detail = f"no answer within {READY_TIMEOUT_SECONDS:g} s"
        return web.json_response({"status": "unavailable", "redis": detail}, status=503)
    except (RedisError, OSError) as exc:
        return web.json_response({"status": "unavailable", "redis": str(exc)[:200]}, status=503)
    return web.json_response({"status": "ok", "redis": "ok"})


async def metrics(request: web.Request) -> web.Response:
    registry = request.config_dict[METRICS]
    redis = request.config_dict[REDIS]
    keys = request.config_dict[KEYS]
    try:
        # read at scrape time: these are shared by every process, not counted by one
        async with redis.pipeline(transaction=False) as pipe:
            pipe.xlen(keys.events)
            pipe.xpending(keys.events, GROUP)
            pipe.xlen(keys.dead_letters)
            backlog, pending, dead = await pipe.execute(raise_on_error=False)
        if isinstance(backlog, int):
            registry.pipeline_backlog.set(backlog)
        if isinstance(pending, dict):
            registry.pipeline_pending.set(int(pending.get("pending", 0)))
        if isinstance(dead, int):
            registry.dead_letters.set(dead)
    except (RedisError, OSError):
        pass  # the gauges keep their last values; /readyz reports Redis itself
    body = registry.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
