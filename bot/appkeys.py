"""Every shared service of the aiohttp app, under one typed `web.AppKey` each."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.admin.handoff import ReplyHandoff
from bot.callback.crypto import CallbackCrypto
from bot.callback.ingest import EventIngest
from bot.config import Settings
from bot.context import HandlerContext
from bot.keys import RedisKeys
from bot.metrics import Metrics
from bot.pipeline.consumer import EventPipeline
from bot.pipeline.priority import CallbackPressure
from bot.routing import Dispatcher
from bot.storage.client import RedisOpener
from bot.storage.topology import RedisClient
from bot.text.reloader import FilterReloader
from bot.web.gate import BodyGate
from bot.wecom import ClientSettings, WeComClient
from scripts_library.search import ScriptIndex

SETTINGS = web.AppKey("settings", Settings)
CLIENT_SETTINGS = web.AppKey("client_settings", ClientSettings)
METRICS = web.AppKey("metrics", Metrics)
KEYS = web.AppKey("keys", RedisKeys)
CRYPTO = web.AppKey("crypto", CallbackCrypto)
CALLBACK_PRESSURE = web.AppKey("callback_pressure", CallbackPressure)  # callbacks go first
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
REDIS: web.AppKey[RedisClient] = web.AppKey("redis")  # one server, a Sentinel master, a cluster
REDIS_URL = web.AppKey("redis_url", str)
# how the app opens Redis: `open_redis`, or a deployment's that shares the embedded server
REDIS_OPENER: web.AppKey[RedisOpener] = web.AppKey("redis_opener")
FILTER = web.AppKey("filter", FilterReloader)
HTTP = web.AppKey("http", aiohttp.ClientSession)
WECOM = web.AppKey("wecom", WeComClient)
INGEST = web.AppKey("ingest", EventIngest)
HANDLER_CONTEXT = web.AppKey("handler_context", HandlerContext)
PIPELINE = web.AppKey("pipeline", EventPipeline)
SCRIPT_INDEX = web.AppKey("script_index", ScriptIndex)
HANDOFF = web.AppKey("handoff", ReplyHandoff)
BODY_GATE = web.AppKey("body_gate", BodyGate)  # unauthenticated /ingest bodies being read
# extra (url, label) links on the root page: the demo adds its chat window and sandbox
HOME_LINKS: web.AppKey[list[tuple[str, str]]] = web.AppKey("home_links")
