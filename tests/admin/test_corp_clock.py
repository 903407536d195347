"""Times in admin chat replies are in the corp's clock, whatever the server's zone (a container
runs in UTC, eight hours off Beijing; here the server is put in Los Angeles to make it plain)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer

from bot.clock import CORP_TIME
from bot.sandbox import Sandbox
from tests.admin.test_admin_chat_e2e import ADD, admin_bot, admin_settings, say

__all__ = ["admin_bot", "admin_settings"]  # fixtures shared with the end-to-end admin tests


@pytest.fixture
def server_far_from_beijing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def corp_minutes(fmt: str, before: datetime, after: datetime) -> set[str]:
    """Every minute between two moments, as `fmt` writes them in the corp clock."""
    shown, moment = set(), before.replace(second=0, microsecond=0)
    while moment <= after:
        shown.add(moment.strftime(fmt))
        moment += timedelta(minutes=1)
    return shown


async def test_show_history_and_audit_use_the_corp_clock(
    server_far_from_beijing: None, admin_bot: TestServer, live_sandbox: Sandbox
) -> None:
    before = datetime.now(CORP_TIME)
    added = await say(live_sandbox, "admin1", ADD)
    script_id = re.search(r"编号 ([0-9a-f]{8})", added)
    assert script_id is not None, added
    await say(live_sandbox, "admin1", f"话术 修改 {script_id.group(1)} 内容 新的内容")
    shown = await say(live_sandbox, "admin1", f"话术 查看 {script_id.group(1)}")
    history = await say(live_sandbox, "admin1", f"话术 历史 {script_id.group(1)}")
    audit = await say(live_sandbox, "admin1", "审计")
    after = datetime.now(CORP_TIME)
    long_form = corp_minutes("%Y-%m-%d %H:%M", before, after)
    short_form = corp_minutes("%m-%d %H:%M", before, after)
    assert any(f"于 {when} 修改" in shown for when in long_form), shown
    assert any(f"· {when} " in history for when in short_form), history
    assert any(line[:11] in short_form for line in audit.splitlines()[1:]), audit
