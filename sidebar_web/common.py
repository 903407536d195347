"""What every sidebar handler shares: the session, errors as Chinese JSON, and the services
read from the bot's app (request bodies: `sidebar_web.bodies`)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.admin.admins import AdminCheck
from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS, SETTINGS
from bot.errors import UserError
from bot.wecom import WeComError
from bot.wecom.errors import ErrCode
from sidebar_web.session import Session, SessionStore

SESSION = web.RequestKey("sidebar_session", Session)

NOT_YOUR_CUSTOMER = (
    "这位客户不在您的客户列表里（您没有添加过 TA，或 TA 已删除您），侧边栏只显示您自己的客户。"
    "如需跟进，请让负责 TA 的同事或管理员把客户转交给您。"
)
NOT_IN_GROUP = "您不在这个客户群里，侧边栏只显示您所在的客户群。如需跟进，请让群主把您拉进群。"
ADMINS_NAMED = 3  # admins named on a member's empty library, by display name


class SidebarError(UserError):
    """A request that can't be met: the HTTP status and a message for staff, in Chinese."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def response(self) -> web.Response:
        return error_response(self.status, self.message, **self.extra)


def error_response(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response(
        {"error": message, **extra},
        status=status,
        dumps=lambda data: json.dumps(data, ensure_ascii=False),
    )


def ok(data: dict[str, Any]) -> web.Response:
    return web.json_response(data, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def session_of(request: web.Request) -> Session:
    return request[SESSION]


def sessions(request: web.Request) -> SessionStore:
    """The session store over the bot's Redis (opened after the sub-app was built)."""
    return SessionStore(request.config_dict[REDIS], request.config_dict[KEYS])


async def departments(request: web.Request) -> list[int]:
    """The signed-in member's departments, for script visibility (cached for a day)."""
    config = request.config_dict
    directory = config[HANDLER_CONTEXT].services.directory
    return await directory.departments(session_of(request).userid)


def text_field(data: dict[str, Any], name: str, label: str, max_chars: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SidebarError(400, f"请填写{label}")
    if len(value) > max_chars:
        raise SidebarError(400, f"{label}最多 {max_chars} 个字")
    return value


def wecom_failure(exc: WeComError) -> SidebarError:
    """A WeCom error as the staff member should read it."""
    if exc.errcode == ErrCode.NOT_A_CONTACT:
        return SidebarError(403, NOT_YOUR_CUSTOMER)
    if exc.errcode in (ErrCode.INVALID_EXTERNAL_USERID, ErrCode.INVALID_EXTERNAL_ID):
        return SidebarError(404, "找不到该客户或客户群，可能已被删除")
    if exc.retryable:
        return SidebarError(503, "企业微信暂时无法访问，请稍后重试")
    return SidebarError(502, f"企业微信返回错误 {exc.errcode}：{exc.explanation}")


async def is_admin(request: web.Request, userid: str) -> bool:
    """The one admin policy (ids, departments, contact tags), as admin chat applies it."""
    return await AdminCheck(request.config_dict[HANDLER_CONTEXT]).is_admin(userid)


async def admin_names(request: web.Request) -> list[str]:
    """Display names of a few admins by id, for "ask 张三 or 李四"; [] when none are named."""
    config = request.config_dict
    directory = config[HANDLER_CONTEXT].services.directory
    ids = sorted(config[SETTINGS].admins)[:ADMINS_NAMED]
    return [await directory.name(userid, budget=1.0) for userid in ids]
