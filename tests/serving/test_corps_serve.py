"""`scrm-bot serve --config corps.toml --workers 2`: every corp of the file, in every worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.cli import main
from tests.conftest import VECTOR_AES_KEY, VECTOR_TOKEN
from tests.helpers import free_port
from tests.serving.support import ServeProcess, clean_environ


def corps_file(path: Path, redis_url: str, key_prefix: str) -> Path:
    path.write_text(
        f'SCRM_REDIS_URL = "{redis_url}"\n'
        f'SCRM_KEY_PREFIX = "{key_prefix}"\n'
        f'SCRM_TOKEN = "{VECTOR_TOKEN}"\n'
        f'SCRM_AES_KEY = "{VECTOR_AES_KEY}"\n'
        'SCRM_WECOM_API_BASE = "http://127.0.0.1:9"\n'
        "SCRM_AGENT_ID = 1000002\n"
        'SCRM_AGENT_SECRET = "shared-secret"\n'
        '[corps.brand-a]\nSCRM_CORP_ID = "wwservea"\n'
        '[corps.brand-b]\nSCRM_CORP_ID = "wwserveb"\n',
        encoding="utf-8",
    )
    return path


async def test_every_corp_is_served_by_every_worker(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    config = corps_file(tmp_path / "corps.toml", redis_url, key_prefix)
    bot = ServeProcess(
        free_port(), clean_environ(), tmp_path / "serve.log", extra=("--config", str(config))
    )
    bot.start()
    try:
        await bot.wait_ready()
        fresh = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=fresh) as http:
            for _ in range(6):  # new connections: the kernel spreads them over both workers
                async with http.get(f"{bot.base_url}/readyz") as response:
                    assert response.status == 200, bot.log_tail()
                    body = await response.json()
                assert body["corps"] == {"brand-a": "ok", "brand-b": "ok"}
            for slug in ("brand-a", "brand-b"):
                # URL verification without a signature: the corp's endpoint answers, refusing
                async with http.get(f"{bot.base_url}/corp/{slug}/wecom/callback") as response:
                    assert response.status == 400
            async with http.get(f"{bot.base_url}/wecom/callback") as response:
                assert response.status == 404  # no corp at the top
        log = bot.log_path.read_text()
        assert "/corp/brand-a/wecom/callback" in log and "/corp/brand-b/wecom/callback" in log
    finally:
        bot.stop()
    assert bot.process is not None and bot.process.returncode == 0, bot.log_tail()


async def test_other_commands_take_the_corp_from_corp(
    redis_url: str, key_prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(corps_file(tmp_path / "corps.toml", redis_url, key_prefix))
    export = ["export", "-", "--only", "tag_rules", "--config", config]
    assert await asyncio.to_thread(main, ["--corp", "brand-b", *export]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == {"version": 1, "tag_rules": []}
    assert await asyncio.to_thread(main, export) == 2
    assert "请用 --corp 指定：brand-a、brand-b" in capsys.readouterr().err
    serve = ["--corp", "brand-a", "serve", "--config", config, "--port", "0"]
    assert await asyncio.to_thread(main, serve) == 2
    assert "serve 服务配置文件中的所有企业" in capsys.readouterr().err
