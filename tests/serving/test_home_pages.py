"""The root URLs answer useful pages, not 404; WeCom's domain verification file is served at the
root when configured (that name only), and a bad setting is refused at start in Chinese."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import create_app
from bot.config import ConfigError, Settings
from bot.config_file import load_settings
from bot.sandbox import Sandbox
from tests.helpers import cli_env


async def test_the_bot_root_says_what_it_is(settings: Settings, aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_app(settings))
    response = await client.get("/")
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert "scrm-bot 正在运行" in page and "/wecom/callback" in page and "/sidebar/" in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert (await client.get("/WW_verify_abc.txt")).status == 404  # nothing configured


async def test_the_sandbox_root_says_what_it_is(live_sandbox: Sandbox) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{live_sandbox.base_url}/") as response,
    ):
        page = await response.text()
    assert response.status == 200 and "企业微信沙箱" in page and "/sandbox/calls" in page


async def test_the_domain_verification_file_is_served_at_the_root(
    settings: Settings, tmp_path: Path, aiohttp_client: Any
) -> None:
    verify = tmp_path / "WW_verify_Ab12Cd34Ef56Gh78.txt"
    verify.write_text("Ab12Cd34Ef56Gh78")
    client = await aiohttp_client(create_app(replace(settings, domain_verify_file=verify)))
    response = await client.get("/WW_verify_Ab12Cd34Ef56Gh78.txt")
    assert response.status == 200 and await response.text() == "Ab12Cd34Ef56Gh78"
    assert response.content_type == "text/plain"
    assert (await client.get("/WW_verify_other.txt")).status == 404
    assert (await client.get("/pyproject.toml")).status == 404


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("verify.txt", "x", "文件名应是企业微信给的"),
        ("WW_verify_missing.txt", None, "找不到文件"),
        ("WW_verify_big.txt", "x" * 5000, "不超过 1 KiB"),
    ],
)
def test_a_bad_verification_file_is_refused_at_start(
    settings: Settings, tmp_path: Path, name: str, content: str | None, problem: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    environ = cli_env(settings) | {"SCRM_DOMAIN_VERIFY_FILE": str(path)}
    with pytest.raises(ConfigError, match=problem) as caught:
        load_settings(environ=environ)
    assert caught.value.key == "SCRM_DOMAIN_VERIFY_FILE"
