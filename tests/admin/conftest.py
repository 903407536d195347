"""Fixtures and helpers of the admin command tests: a handler context over the sandbox where
admin1 and admin2 are admins by user id, the command layer over it (a test module may define
its own `ctx` instead), and helpers to send a command and read the reply."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from bot.admin.audit import AuditEntry, AuditLog
from bot.admin.commands import AdminCommands
from bot.config import Settings
from bot.context import HandlerContext
from bot.wecom import WeComClient
from tests.helpers import handler_context

NOTHING_TO_UNDO = "没有可以撤销的改动。"


@pytest.fixture
def ctx(sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient) -> HandlerContext:
    settings = replace(sandbox_settings, admins=frozenset({"admin1", "admin2"}))
    return handler_context(settings, redis, sandbox_wecom)


@pytest.fixture
def commands(ctx: HandlerContext) -> AdminCommands:
    return AdminCommands(ctx)


async def say(commands: AdminCommands, text: str, userid: str = "admin1") -> str:
    """The reply to `text` from `userid`; the text must be answered."""
    reply = await commands.answer(userid, text)
    assert reply is not None, text
    return reply


def code_in(reply: str) -> str:
    """The confirmation code a reply asks for."""
    match = re.search(r"回复「确认 (\d{4})」", reply)
    assert match is not None, reply
    return match.group(1)


def other_code(code: str) -> str:
    """A code that is surely not `code`."""
    return f"{(int(code) + 1) % 10_000:04d}"


async def audit_entries(ctx: HandlerContext, count: int = 100) -> list[AuditEntry]:
    """The latest audit entries, newest first."""
    return await AuditLog(ctx.redis, ctx.keys).latest(count)
