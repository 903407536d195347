"""One deployment serving several corps: each corp's whole app under `/corp/<slug>/`.

Each corp keeps everything of its own: settings and secrets, callback path and crypto, key
prefix (its keys carry its corp id as hash tag), Redis connection pool, WeCom client and
rate pacing, event pipeline with its own concurrency, periodic jobs, sidebar and sessions.
So a flood or a fault in one corp (a burst of callbacks, a slow or failing WeCom) fills only
that corp's queue and pool; the others' pipelines read their own streams meanwhile. What they
share is the process, the embedded Redis server (started once) and one metrics registry whose
every metric is labelled `corp`. `/healthz`, `/readyz` and `/metrics` at the top answer for
all corps; under `/corp/<slug>/` for that corp alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web

from bot.app import create_app
from bot.appkeys import SETTINGS
from bot.config_file import CorpConfig
from bot.metrics import MetricFamilies, Metrics
from bot.storage.shared import SharedRedis
from bot.web import health
from bot.wecom import ClientSettings

CORP_APPS: web.AppKey[dict[str, web.Application]] = web.AppKey("corp_apps")  # slug -> app


def create_corps_app(
    corps: Sequence[CorpConfig],
    *,
    role: str = "all",
    client_settings: ClientSettings | None = None,
) -> web.Application:
    """The deployment's app: every corp mounted at its path, health and metrics at the top."""
    if not corps or any(not corp.slug for corp in corps):
        raise ValueError("every corp of a deployment needs a slug")
    port = corps[0].settings.metrics_port
    root = web.Application(middlewares=[health.metrics_port_only(port)] if port else [])
    shared = SharedRedis()
    families = MetricFamilies(per_corp=True)
    apps: dict[str, web.Application] = {}
    for corp in corps:
        app = create_app(
            corp.settings,
            role=role,
            client_settings=client_settings,
            metrics=Metrics(families, corp.slug),
            redis_opener=shared.open,
        )
        root.add_subapp(corp.path, app)
        apps[corp.slug] = app
    root[CORP_APPS] = apps
    root.router.add_get("/healthz", health.healthz)
    root.router.add_get("/readyz", readyz)
    root.router.add_get("/metrics", metrics)
    return root


async def readyz(request: web.Request) -> web.Response:
    """Ready when every corp's Redis answers; the body says which doesn't."""
    apps = request.app[CORP_APPS]
    # at once: each corp's check may take the whole probe timeout when its Redis hangs
    found = await asyncio.gather(*(health.redis_problem(app) for app in apps.values()))
    failing = {slug: problem for slug, problem in zip(apps, found, strict=True) if problem}
    corps = {slug: failing.get(slug, "ok") for slug in apps}
    status = "unavailable" if failing else "ok"
    return web.json_response({"status": status, "corps": corps}, status=503 if failing else 200)


async def metrics(request: web.Request) -> web.Response:
    apps = list(request.app[CORP_APPS].values())
    # the deployment's listener and token follow the first corp's settings, as serve does
    refused = health.metrics_refusal(request, apps[0][SETTINGS])
    return refused or await health.render_metrics(apps)
