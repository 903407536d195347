"""SCRM_REDIS_URL's Sentinel and Cluster forms: what they mean, what a malformed one says (in
Chinese, naming the key, never repeating the password), and which client `connect` makes."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, settings_from_mapping
from bot.storage.client import MAX_CONNECTIONS, SOCKET_TIMEOUT_SECONDS, connect
from bot.storage.topology import ClusterClient, SentinelBlockingPool, SentinelMasterClient
from bot.storage.url import RedisTarget, parse_redis_url, redacted
from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN

REQUIRED = {
    "SCRM_CORP_ID": VECTOR_CORP_ID,
    "SCRM_TOKEN": VECTOR_TOKEN,
    "SCRM_AES_KEY": VECTOR_AES_KEY,
    "SCRM_AGENT_ID": "1000002",
    "SCRM_AGENT_SECRET": "agent-secret",
}


def test_sentinel_form() -> None:
    url = "redis+sentinel://:p%40ss@10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster/2"
    assert parse_redis_url(url + "?sentinel_password=s3") == RedisTarget(
        "sentinel",
        url + "?sentinel_password=s3",
        (("10.0.0.1", 26379), ("10.0.0.2", 26379), ("::1", 26380)),
        service_name="mymaster",
        db=2,
        password="p@ss",
        sentinel_password="s3",
    )


def test_cluster_form() -> None:
    target = parse_redis_url("redis+cluster://app:pw@node-a:7000,node-b:7001/0")
    assert target.kind == "cluster"
    assert target.nodes == (("node-a", 7000), ("node-b", 7001))
    assert (target.username, target.password) == ("app", "pw")
    assert parse_redis_url("redis+cluster://node-a").nodes == (("node-a", 6379),)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/3", "rediss://:x@cache:6380", "unix:///run/redis.sock"]
)
def test_one_server_urls_go_to_redis_py_as_they_are(url: str) -> None:
    assert parse_redis_url(url) == RedisTarget("single", url)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("localhost:6379", "redis+sentinel://"),
        ("redis+sentinel://", "至少需要一个 host:port"),
        ("redis+sentinel://h1:26379,h2:26379", "主节点名"),
        ("redis+sentinel://h1:26379/my master", "主节点名"),
        ("redis+sentinel://h1:26379/m/x", "数据库编号"),
        ("redis+sentinel://h1:99999/m", "1 到 65535"),
        ("redis+sentinel://h1:26379/m?password=x", "不认识的参数 password"),
        ("redis+cluster://h1:7000/1", "只有 0 号数据库"),
        ("redis+cluster://h1:7000,h2:x", "1 到 65535"),
        ("redis+cluster://h1 h2:7000", "host:port"),
        ("redis+cluster://h1:7000?sentinel_password=x", "此形式不接受参数"),
        ("redis://:p?w@h1:6379/0", "? 写作 %3F"),
        ("redis://:p/w@h1:6379/0", "/ 写作 %2F"),
    ],
)
def test_malformed_urls_name_the_key(url: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(REQUIRED | {"SCRM_REDIS_URL": url})
    assert caught.value.key == "SCRM_REDIS_URL"
    assert fragment in str(caught.value)


def test_messages_never_repeat_a_password() -> None:
    url = "redis+sentinel://app:hunter2@h1:26379/bad name?sentinel_password=hunter3"
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(REQUIRED | {"SCRM_REDIS_URL": url})
    assert "hunter" not in str(caught.value) and "app:***@h1" in str(caught.value)
    assert redacted("redis://:hunter2@h:1/0") == "redis://:***@h:1/0"


def test_settings_keep_the_url() -> None:
    url = "redis+cluster://127.0.0.1:7000,127.0.0.1:7001"
    assert settings_from_mapping(REQUIRED | {"SCRM_REDIS_URL": url}).redis_url == url


async def test_connect_makes_the_client_of_each_form() -> None:
    cluster = connect("redis+cluster://127.0.0.1:7000,127.0.0.1:7001")  # nothing connects yet
    assert isinstance(cluster, ClusterClient)
    await cluster.aclose()
    master = connect("redis+sentinel://:pw@127.0.0.1:26379/mymaster/1")
    assert isinstance(master, SentinelMasterClient)
    pool = master.connection_pool
    assert isinstance(pool, SentinelBlockingPool) and pool.service_name == "mymaster"
    assert pool.max_connections == MAX_CONNECTIONS and pool.timeout == SOCKET_TIMEOUT_SECONDS
    assert pool.connection_kwargs["db"] == 1 and pool.connection_kwargs["password"] == "pw"
    assert pool.connection_kwargs["socket_timeout"] == SOCKET_TIMEOUT_SECONDS
    await master.aclose()
