"""The console's system page: the settings as they stand (which secrets are set, never their
values), `doctor`'s checks run on request, and the dead letters with replay.

Replaying puts failed events back on the stream (the dead-letter stream's own functions,
`bot.pipeline.deadletter`); it is audited, and can't be taken back: the events run again.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS, SETTINGS
from bot.clock import corp_clock
from bot.config import Settings
from bot.doctor import live_checks
from bot.events import XmlRejected, parse_xml
from bot.pipeline.deadletter import DeadLetter, list_dead_letters, replay_dead_letters
from console_web.pages import page
from console_web.session_keys import BODY_OF, SESSION_OF, ConsoleError, ok, said
from console_web.views import base_context

SHOWN_DEAD = 100
MAX_REPLAY_IDS = 100
ERROR_CHARS = 200


def version() -> str:
    try:
        return importlib.metadata.version("scrm-bot")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout without install
        return "未安装"


def _secrets(settings: Settings) -> list[tuple[str, str]]:
    """Which secrets are set, in words; never their values."""
    contact = (
        "已配置"
        if settings.contact_secret and settings.contact_secret != settings.agent_secret
        else "未单独配置（使用应用 Secret）"
    )
    return [
        ("回调 Token 与 EncodingAESKey", "已配置"),
        ("应用 Secret（SCRM_AGENT_SECRET）", "已配置"),
        ("客户联系 Secret（SCRM_CONTACT_SECRET）", contact),
        (
            "数据接入密钥（SCRM_INGEST_SECRET）",
            "已配置" if settings.ingest_secret else "未配置（接口关闭）",
        ),
        (
            "指标令牌（SCRM_METRICS_TOKEN）",
            "已配置" if settings.metrics_token else "未配置（任何人可读）",
        ),
    ]


def _kind(letter: DeadLetter) -> str:
    if letter.chat:
        return "聊天消息"
    try:
        fields = parse_xml(letter.xml)
    except XmlRejected:
        return "无法解析"
    parts = [fields.get(name) for name in ("MsgType", "Event", "ChangeType")]
    return " / ".join(part for part in parts if isinstance(part, str) and part) or "未知"


async def system_page(request: web.Request) -> web.Response:
    config = request.config_dict
    settings = config[SETTINGS]
    names = config[HANDLER_CONTEXT].services.names
    admins = [await names.staff_for_admins(userid) for userid in sorted(settings.admins)]
    viewers = [await names.staff_for_admins(userid) for userid in sorted(settings.console_viewers)]
    letters = await list_dead_letters(config[REDIS], config[KEYS], SHOWN_DEAD)
    dead = [
        (letter, corp_clock(letter.failed_ms / 1000), _kind(letter), letter.error[:ERROR_CHARS])
        for letter in letters
    ]
    return page(
        "system.html",
        **base_context(request, "system"),
        version=version(),
        settings=settings,
        secrets=_secrets(settings),
        admins=admins,
        viewers=viewers,
        dead=dead,
    )


async def doctor(request: web.Request) -> web.Response:
    config = request.config_dict
    checks = await live_checks(config[REDIS], config[SETTINGS])
    return ok({"checks": [check.as_dict() for check in checks]})


async def replay(request: web.Request) -> web.Response:
    """`{"ids": [...]}` or `{"all": true}`: back on the stream, audited."""
    data: dict[str, Any] = request[BODY_OF]
    ids = data.get("ids")
    if data.get("all") is True:
        chosen: list[str] | None = None
    elif (
        isinstance(ids, list)
        and 0 < len(ids) <= MAX_REPLAY_IDS
        and all(isinstance(i, str) and i.replace("-", "").isdigit() and len(i) < 42 for i in ids)
    ):
        chosen = ids
    else:
        raise ConsoleError(400, "请选择要重新处理的失败事件")
    config = request.config_dict
    new_ids = await replay_dead_letters(config[REDIS], config[KEYS], chosen)
    if new_ids:
        await config[HANDLER_CONTEXT].services.audit.record(
            request[SESSION_OF].userid,
            "console",
            "deadletter.replay",
            ",".join(chosen or [])[:200] or "all",
            f"重新处理失败事件 {len(new_ids)} 条",
        )
    reply = (
        f"已重新处理 {len(new_ids)} 条失败事件" if new_ids else "没有找到这些失败事件（可能已处理）"
    )
    return said(reply, refused=not new_ids)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/system", system_page)
    app.router.add_post("/api/doctor", doctor)
    app.router.add_post("/api/deadletters/replay", replay)
