"""`scrm-bot rfm import | run | show` against Redis and the WeCom sandbox."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sop.jobs import parse_step
from bot.sop.store import SopStore


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_rfm_commands(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await live_sandbox.customer_adds_staff("zhangsan", "wmTea")
    await live_sandbox.customer_adds_staff("lisi", "wmCup")
    day = 86_400
    now = int(time.time())
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "order_id,external_userid,amount,paid_at\nT1,wmTea,12.5,2025-11-01\nT2,wmCup,一百,2025-11-02\n",
        encoding="utf-8",
    )
    assert await cli("rfm", "import", str(bad)) == 2
    err = capsys.readouterr().err
    assert "未导入任何订单" in err and "第 3 行：amount 应为金额" in err

    good = tmp_path / "orders.csv"
    good.write_text(
        "\ufefforder_id,external_userid,amount,paid_at\n"
        f"T1,wmTea,300,{now - day}\n"
        f"T2,wmTea,300,{now - 2 * day}\n"
        f"T3,wmCup,9.9,{(now - 200 * day) * 1000}\n",
        encoding="utf-8",
    )
    assert await cli("rfm", "import", str(good), "--dry-run") == 0
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert await cli("rfm", "show") == 0
    assert json.loads(capsys.readouterr().out) == {"orders": 0, "latest_run": None}
    assert await cli("rfm", "import", str(good)) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 3

    assert await cli("rfm", "show", "wmTea") == 2
    assert "还没有 RFM 分层" in capsys.readouterr().err
    assert await cli("rfm", "run") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["customers"], report["changed"], report["marked"]) == (2, 2, 2)
    assert await cli("rfm", "show", "wmTea") == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["external_userid"], shown["segment"], shown["f"], shown["m_cents"]) == (
        "wmTea",
        "头部活跃",
        2,
        60_000,
    )
    assert await cli("rfm", "show") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["orders"] == 3
    assert summary["latest_run"]["segments"]["尾部流失"] == 1  # wmCup: one small order long ago
    # --all syncs everyone again, but nobody needs a new tag
    assert await cli("rfm", "run", "--all") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["changed"], report["marked"]) == (0, 0)
    assert len(live_sandbox.calls_to("externalcontact/get")) == 4


async def test_rfm_import_takes_only_plain_decimal_amounts(
    sandbox_cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loose = ["1_000", "１２３", "1e9", "nan", "Infinity", "+5", '"1,000"', "٣", "12.5e1"]
    now = int(time.time()) - 60
    lines = [f"L{i},wmTea,{amount},{now}" for i, amount in enumerate(loose)]
    path = tmp_path / "orders.csv"
    path.write_text("order_id,external_userid,amount,paid_at\n" + "\n".join(lines) + "\n")
    assert await cli("rfm", "import", str(path)) == 2
    err = capsys.readouterr().err
    assert "未导入任何订单" in err
    for line in range(2, 2 + len(loose)):
        assert f"第 {line} 行：amount 应为金额（单位元），如 12.50，只用半角数字" in err
    assert "（收到 '１２３'）" in err
    assert await cli("rfm", "show") == 0
    assert json.loads(capsys.readouterr().out)["orders"] == 0


async def test_a_segment_entered_by_a_cli_run_starts_its_sop_once(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`rfm run` is the daily run: a customer entering a segment starts the SOPs waiting for
    it (the next run sees no change, so a run without the hook would lose the start)."""
    await live_sandbox.customer_adds_staff("zhangsan", "wmTea")
    await live_sandbox.customer_adds_staff("lisi", "wmTea")
    await live_sandbox.customer_adds_staff("lisi", "wmCup")
    rule = tmp_path / "vip.json"
    steps = [{"text": "{{ customer_name }}，感谢支持！", "days": 1, "at": "10:10"}]
    rule.write_text(
        json.dumps(
            {"name": "头部关怀", "trigger": "segment", "segment": "头部活跃", "steps": steps}
        ),
        encoding="utf-8",
    )
    assert await cli("sop", "set", str(rule)) == 0
    rule_id = json.loads(capsys.readouterr().out)["id"]
    now, day = int(time.time()), 86_400
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,external_userid,amount,paid_at\n"
        f"T1,wmTea,300,{now - day}\nT2,wmTea,300,{now - 2 * day}\n"
        f"T3,wmCup,9.9,{now - 200 * day}\n",
        encoding="utf-8",
    )
    assert await cli("rfm", "import", str(orders)) == 0
    capsys.readouterr()
    keys = RedisKeys(sandbox_cli_env.corp_id, sandbox_cli_env.key_prefix)
    store = SopStore(redis, keys)

    async def started() -> list[tuple[str, str]]:
        found = [parse_step(job_id) for job_id in await store.jobs_of(rule_id)]
        return sorted((job.staff, job.target) for job in found if job is not None)

    assert await cli("rfm", "run") == 0
    assert json.loads(capsys.readouterr().out)["changed"] == 2
    assert await started() == [("lisi", "wmTea"), ("zhangsan", "wmTea")]  # wmCup: 尾部流失
    for again in (["rfm", "run"], ["rfm", "run", "--all"]):
        assert await cli(*again) == 0
        capsys.readouterr()
        assert await started() == [("lisi", "wmTea"), ("zhangsan", "wmTea")]  # not twice
    assert await cli("sop", "status") == 0
    assert json.loads(capsys.readouterr().out)["scheduled"] == 2
