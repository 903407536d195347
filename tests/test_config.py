"""Configuration from the environment or a TOML file; every bad value names its key."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bot.config import DEFAULT_API_BASE, DEFAULT_OAUTH_AUTHORIZE_URL, ConfigError
from bot.config_file import load_settings
from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN

GOOD = {
    "SCRM_CORP_ID": VECTOR_CORP_ID,
    "SCRM_TOKEN": VECTOR_TOKEN,
    "SCRM_AES_KEY": VECTOR_AES_KEY,
    "SCRM_AGENT_ID": "1000002",
    "SCRM_AGENT_SECRET": "agent-secret",
}


def test_minimal_environment() -> None:
    settings = load_settings(environ=GOOD)
    assert settings.corp_id == VECTOR_CORP_ID
    assert settings.agent_id == 1000002
    assert settings.contact_secret == "agent-secret"  # falls back to the app secret
    assert settings.redis_url is None  # embedded Redis
    assert settings.wecom_api_base == DEFAULT_API_BASE
    assert settings.oauth_authorize_url == DEFAULT_OAUTH_AUTHORIZE_URL
    assert settings.admins == frozenset()


def test_all_keys_from_environment() -> None:
    env = GOOD | {
        "SCRM_CONTACT_SECRET": "contact",
        "SCRM_REDIS_URL": "redis://127.0.0.1:6379/3",
        "SCRM_WECOM_API_BASE": "http://127.0.0.1:8081/",
        "SCRM_PUBLIC_URL": "https://scrm.example.com",
        "SCRM_OAUTH_AUTHORIZE_URL": "http://127.0.0.1:9001/connect/oauth2/authorize",
        "SCRM_ADMINS": "zhangsan, lisi ,",
    }
    settings = load_settings(environ=env)
    assert settings.contact_secret == "contact"
    assert settings.redis_url == "redis://127.0.0.1:6379/3"
    assert settings.wecom_api_base == "http://127.0.0.1:8081"
    assert settings.public_url == "https://scrm.example.com"
    assert settings.oauth_authorize_url == "http://127.0.0.1:9001/connect/oauth2/authorize"
    assert settings.admins == frozenset({"zhangsan", "lisi"})


def test_toml_file_with_environment_override(tmp_path: Path) -> None:
    config = tmp_path / "scrm.toml"
    config.write_text(
        "\n".join(f'{key} = "{value}"' for key, value in GOOD.items() if key != "SCRM_AGENT_ID")
        + '\nSCRM_ADMINS = ["a", "b"]\nSCRM_AGENT_ID = 7\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={"SCRM_AGENT_SECRET": "from-env"})
    assert settings.agent_id == 7
    assert settings.admins == frozenset({"a", "b"})
    assert settings.agent_secret == "from-env"


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("SCRM_CORP_ID", "", "必须设置"),
        ("SCRM_TOKEN", "has space", "1-32 位字母或数字"),
        ("SCRM_TOKEN", "x" * 33, "1-32 位字母或数字"),
        ("SCRM_AES_KEY", "short", "应为 43 个字符（当前 5 个）"),
        ("SCRM_AES_KEY", "!" * 43, "base64"),
        ("SCRM_AGENT_ID", "abc", "整数"),
        ("SCRM_AGENT_ID", "0", "应在 1 到"),
        ("SCRM_AGENT_SECRET", "a b", "不能含空格"),
        ("SCRM_REDIS_URL", "localhost:6379", "redis://"),
        ("SCRM_WECOM_API_BASE", "ftp://x", "http:// 或 https://"),
        ("SCRM_PUBLIC_URL", "example.com", "http:// 或 https://"),
        ("SCRM_OAUTH_AUTHORIZE_URL", "open.weixin.qq.com", "http:// 或 https://"),
        ("SCRM_ADMINS", "ok,not valid!", "不是有效的企业微信成员账号"),
        ("SCRM_CORP_ID", "ww{bad}", "字母、数字"),
        ("SCRM_ADMIN_DEPARTMENTS", "3,0", "不是部门 ID"),
        ("SCRM_ADMIN_DEPARTMENTS", "²", "不是部门 ID"),  # a digit to isdigit(), not to int()
        ("SCRM_ADMIN_TAGS", "7,x", "不是标签 ID"),
        ("SCRM_LOG_FORMAT", "xml", "应为 text 或 json"),
    ],
)
def test_bad_values_name_the_key(key: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=GOOD | {key: value})
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ")
    assert fragment in str(caught.value)


def test_missing_required_key() -> None:
    env = {k: v for k, v in GOOD.items() if k != "SCRM_AES_KEY"}
    with pytest.raises(ConfigError, match="SCRM_AES_KEY: 必须设置"):
        load_settings(environ=env)


def test_toml_unknown_key_and_syntax(tmp_path: Path) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text('SCRM_CORPID = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(typo, environ={})
    assert caught.value.key == "SCRM_CORPID"
    broken = tmp_path / "broken.toml"
    broken.write_text("SCRM_CORP_ID = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 TOML"):
        load_settings(broken, environ={})
    with pytest.raises(ConfigError, match="找不到文件"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_pipeline_timeouts_must_not_overlap() -> None:
    from bot.config import PipelineSettings

    with pytest.raises(ValueError, match="reclaim_idle_seconds"):
        PipelineSettings(reclaim_idle_seconds=10, handler_timeout_seconds=30)


def _corps_file(tmp_path: Path, body: str) -> Path:
    shared = {k: v for k, v in GOOD.items() if k not in ("SCRM_CORP_ID", "SCRM_AGENT_ID")}
    path = tmp_path / "corps.toml"
    path.write_text(
        "\n".join(f'{key} = "{value}"' for key, value in shared.items())
        + '\nSCRM_PUBLIC_URL = "https://scrm.example.com"\n'
        + body,
        encoding="utf-8",
    )
    return path


TWO_CORPS = """
[corps.brand-a]
SCRM_CORP_ID = "wwaaaa"
SCRM_AGENT_ID = 1001

[corps.brand-b]
SCRM_CORP_ID = "wwbbbb"
SCRM_AGENT_ID = 1002
SCRM_AGENT_SECRET = "b-secret"
SCRM_PUBLIC_URL = "https://b.example.com/scrm"
"""


def test_several_corps_share_the_top_keys_and_override_them(tmp_path: Path) -> None:
    from bot.config_file import load_corps

    config = _corps_file(tmp_path, TWO_CORPS)
    corps = load_corps(config, environ={"SCRM_ADMINS": "boss"})
    assert [(c.slug, c.path) for c in corps] == [
        ("brand-a", "/corp/brand-a/"),
        ("brand-b", "/corp/brand-b/"),
    ]
    a, b = (c.settings for c in corps)
    assert (a.corp_id, a.agent_id, a.agent_secret) == ("wwaaaa", 1001, "agent-secret")
    assert (b.corp_id, b.agent_id, b.agent_secret) == ("wwbbbb", 1002, "b-secret")
    assert a.admins == b.admins == frozenset({"boss"})  # the environment fills shared keys
    # each corp's pages live under its own path, unless its table says where
    assert a.public_url == "https://scrm.example.com/corp/brand-a"
    assert b.public_url == "https://b.example.com/scrm"
    # one corp, for the other commands: --corp picks it
    assert load_settings(config, environ={}, corp="brand-b").corp_id == "wwbbbb"


def test_a_single_corp_file_is_one_corp_without_a_slug(tmp_path: Path) -> None:
    from bot.config_file import load_corps

    [only] = load_corps(environ=GOOD)
    assert (only.slug, only.settings.corp_id) == ("", VECTOR_CORP_ID)
    with pytest.raises(ConfigError, match="无需 --corp"):
        load_settings(environ=GOOD, corp="brand-a")


@pytest.mark.parametrize(
    ("body", "corp", "key", "problem"),
    [
        (TWO_CORPS, None, "--corp", "请用 --corp 指定：brand-a、brand-b"),
        (TWO_CORPS, "brand-c", "--corp", "没有企业 'brand-c'"),
        ("[corps.brand-a]\nSCRM_AGENT_ID = 1\n", "brand-a", "corps.brand-a.SCRM_CORP_ID", "必须"),
        ("[corps.Brand]\nSCRM_CORP_ID = 'x'\n", "Brand", "corps.Brand", "小写字母"),
        ("[corps.a]\nSCRM_CORPID = 'x'\n", "a", "corps.a.SCRM_CORPID", "未知的键"),
        ("corps = 3\n", "a", "corps", "应为表"),
    ],
)
def test_bad_corp_tables_name_the_key(
    tmp_path: Path, body: str, corp: str | None, key: str, problem: str
) -> None:
    config = _corps_file(tmp_path, body)
    with pytest.raises(ConfigError, match=problem) as caught:
        load_settings(config, environ={}, corp=corp)
    assert caught.value.key == key


def test_the_same_corp_twice_is_refused(tmp_path: Path) -> None:
    from bot.config_file import load_corps

    twice = TWO_CORPS.replace('"wwbbbb"', '"wwaaaa"')
    with pytest.raises(ConfigError, match="与 brand-a 的 SCRM_CORP_ID") as caught:
        load_corps(_corps_file(tmp_path, twice), environ={})
    assert caught.value.key == "corps.brand-b"
    # a different key prefix keeps them apart (a test corp beside the real one)
    apart = twice + 'SCRM_KEY_PREFIX = "staging"\n'
    assert len(load_corps(_corps_file(tmp_path, apart), environ={})) == 2


def test_no_secret_in_how_settings_show() -> None:
    """A Settings (or a corp's config) in a log line, an error or a test report."""
    from bot.config_file import load_corps

    password = f"PW{uuid.uuid4().hex}"
    secrets = {
        "SCRM_AGENT_SECRET": f"AGENT{uuid.uuid4().hex}",
        "SCRM_CONTACT_SECRET": f"CONTACT{uuid.uuid4().hex}",
        "SCRM_INGEST_SECRET": f"INGEST{uuid.uuid4().hex}",
        "SCRM_REDIS_URL": f"redis://:{password}@127.0.0.1:6379/0",
    }
    [corp] = load_corps(environ=GOOD | secrets)
    shown = f"{corp!r} {corp.settings} {corp.settings!r}"
    assert VECTOR_CORP_ID in shown and "1000002" in shown
    for value in (VECTOR_TOKEN, VECTOR_AES_KEY, password, *secrets.values()):
        assert value not in shown


def test_a_malformed_callback_token_is_not_repeated() -> None:
    almost = VECTOR_TOKEN[:30] + "-!"  # a mistyped token is nearly the real one
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=GOOD | {"SCRM_TOKEN": almost})
    assert caught.value.key == "SCRM_TOKEN" and "32 个字符" in str(caught.value)
    assert VECTOR_TOKEN[:30] not in str(caught.value)


def test_a_newcomer_hears_of_every_missing_key_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRM_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        cwd=tmp_path,  # no scrm.toml here either
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()  # one line, no traceback
    for key in ("SCRM_CORP_ID", "SCRM_TOKEN", "SCRM_AES_KEY", "SCRM_AGENT_ID", "SCRM_AGENT_SECRET"):
        assert key in line
