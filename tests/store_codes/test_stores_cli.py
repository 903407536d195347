"""`scrm-bot stores`: campaigns made with codes that exist, store lists imported whole or not at
all (bad rows by line), and each store's numbers: shown, and what its code brought."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from tests.pipeline_support import wait_until
from tests.store_codes.conftest import VISITOR, Arranged


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_campaigns_imports_and_numbers(
    sandbox_bot: TestServer,
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    arranged: Arranged,
    redis: Redis,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await _cli("stores", "create", "--name", "秋季", "--backup", "channel:zzzzzz") == 2
    assert "备用活码 channel:zzzzzz 不存在" in capsys.readouterr().err
    backup = f"channel:{arranged.backup.id}"
    assert await _cli("--by", "lisi", "stores", "create", "--name", "秋季", "--backup", backup) == 0
    made = json.loads(capsys.readouterr().out)
    assert (made["radius_m"], made["coordinates"]) == (5000, "gcj02")

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,city,address,lat,lng,code\n"
        f"静安店,上海,南京西路,31.2,121.4,channel:{arranged.shanghai.id}\n"
        "徐汇店,上海,漕溪北路,31.2,121.4,channel:nosuch\n"
        "浦东店,上海,世纪大道,310,121.5,channel:abc\n",
        encoding="utf-8",
    )
    assert await _cli("stores", "import", made["id"], str(bad)) == 2
    err = capsys.readouterr().err
    assert "第 4 行：纬度 310.0 不在 -90 到 90 之间" in err and "未导入任何门店" in err
    header, _, missing, _ = bad.read_text(encoding="utf-8").splitlines(True)
    bad.write_text(header + missing, encoding="utf-8")  # only a store whose code is gone
    assert await _cli("stores", "import", made["id"], str(bad)) == 2
    assert "第 2 行：活码 channel:nosuch 不存在" in capsys.readouterr().err
    keys = RedisKeys(sandbox_cli_env.corp_id, sandbox_cli_env.key_prefix)
    assert await redis.hlen(keys.store_list(made["id"])) == 0  # nothing imported

    # the arranged campaign: a visitor is shown the Shanghai store, then adds through its code
    campaign = arranged.campaign.id
    async with ClientSession() as http:
        near = sandbox_bot.make_url(f"/s/{campaign}/near")
        async with http.get(str(near), params={"lat": str(VISITOR[0]), "lng": str(VISITOR[1])}):
            pass
    await live_sandbox.customer_adds_staff(
        "zhangsan", "wmStoreVisitor1", config_id=arranged.shanghai.config_id
    )

    async def added() -> bool:
        assert await _cli("stores", "show", campaign) == 0
        shown = json.loads(capsys.readouterr().out)
        rows = {row["name"]: row for row in shown["stores"]}
        return rows["静安店"]["adds"] == 1

    await wait_until(added)
    assert await _cli("stores", "show", campaign) == 0
    shown = json.loads(capsys.readouterr().out)
    rows = {row["name"]: row for row in shown["stores"]}
    assert (rows["静安店"]["shown"], rows["静安店"]["joins"]) == (1, None)
    assert rows["王府井店"]["adds"] is None and rows["王府井店"]["joins"] == 0
    assert rows["备用活码"]["code"] == f"channel:{arranged.backup.id}"

    assert await _cli("stores", "list") == 0
    listed = json.loads(capsys.readouterr().out)
    assert {c["id"]: c["page"] for c in listed}[campaign].endswith(f"/s/{campaign}")
    assert await _cli("stores", "delete", made["id"]) == 0
    capsys.readouterr()
    actions = [entry.action for entry in await AuditLog(redis, keys).latest(3)]
    assert actions == ["stores.delete", "stores.create"]
