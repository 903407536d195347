"""`SCRM_REDIS_URL`: one Redis server, a master watched by Redis Sentinel, or a Redis Cluster.

- `redis://[[user]:password@]host[:port][/db]`, `rediss://…`, `unix:///path/redis.sock[?db=N]`:
  one server, handed to redis-py as it is.
- `redis+sentinel://[[user]:password@]host1[:26379][,host2[:26379]…]/<service_name>[/db]`
  `[?sentinel_password=…&sentinel_username=…]`: the master Sentinel knows as `service_name`;
  the user and password are the data nodes' (the query's, if given, the sentinels' own).
- `redis+cluster://[[user]:password@]host1[:6379][,host2[:6379]…][/0]`: a Redis Cluster, found
  from any of the listed nodes (a cluster has only database 0).

Checked once in `bot.config` (a malformed value stops start-up with one Chinese line) and read
again by `bot.storage.client.connect`. Messages never repeat a password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, unquote

from bot.errors import UserError

SENTINEL_SCHEME = "redis+sentinel"
CLUSTER_SCHEME = "redis+cluster"
SINGLE_SCHEMES = ("redis", "rediss", "unix")
_DEFAULT_PORTS = {SENTINEL_SCHEME: 26379, CLUSTER_SCHEME: 6379}
_SENTINEL_QUERY = ("sentinel_password", "sentinel_username")
_SERVICE_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_HOST_RE = re.compile(r"[A-Za-z0-9._-]{1,253}")
_PLAIN_USER_RE = re.compile(r"[A-Za-z0-9._~%-]*")
# `password=` and `sentinel_password=` (redis-py takes a `?password=` on any one-server URL)
_PASSWORD_PARAM_RE = re.compile(r"((?:^|&)[^=&]*password=)[^&]*", re.IGNORECASE)

Kind = Literal["single", "sentinel", "cluster"]


class RedisUrlError(UserError, ValueError):
    """`SCRM_REDIS_URL` is malformed; the message (Chinese) says how."""


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """What a `SCRM_REDIS_URL` points at. For `single`, `url` is all redis-py needs."""

    kind: Kind
    url: str = field(repr=False)  # may hold the password
    nodes: tuple[tuple[str, int], ...] = ()
    service_name: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_username: str | None = None
    sentinel_password: str | None = field(default=None, repr=False)


def redacted(url: str) -> str:
    """`url` with the password and every `…password=` query value replaced by `***`.

    Everything up to the last `@` counts as credentials; when a `/`, `?` or `#` comes before
    it (a password must percent-encode those; `parse_redis_url` refuses one that did not),
    where the password ends can't be told, so nothing after the scheme is shown.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:  # no scheme: all of it may be credentials and address
        scheme, rest = "", url
    userinfo, at, rest = rest.rpartition("@")
    if any(ch in userinfo for ch in "/?#"):  # where a password ends can't be told: show none
        return f"{scheme}{sep}***"
    head = ""
    if at:
        user, colon, _ = userinfo.partition(":")
        shown_user = user if _PLAIN_USER_RE.fullmatch(user) else "***"
        head = f"{shown_user}{':***' if colon else ''}@"
    location, question, query = rest.partition("?")
    query = _PASSWORD_PARAM_RE.sub(r"\1***", query)
    return f"{scheme}{sep}{head}{location}{question}{query}"


def parse_redis_url(url: str) -> RedisTarget:
    """Parse and check `url`; `RedisUrlError` says what is wrong."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    shown = redacted(url)[:80]
    if not sep or scheme not in (*SINGLE_SCHEMES, SENTINEL_SCHEME, CLUSTER_SCHEME):
        raise RedisUrlError(
            "应以 redis://、rediss://、unix://、redis+sentinel:// 或 redis+cluster:// 开头"
            f"（当前为 {shown!r}）"
        )
    userinfo = rest.rpartition("@")[0]
    if "#" in rest or "?" in userinfo or (scheme in SINGLE_SCHEMES and "/" in userinfo):
        # part of such a password would be read as the query (or, by redis-py, as the path)
        raise RedisUrlError(
            "用户名、密码或路径中的 @ / ? # 须按网址规则编码"
            f"（@ 写作 %40，/ 写作 %2F，? 写作 %3F，# 写作 %23；当前为 {shown!r}）"
        )
    if scheme in SINGLE_SCHEMES:
        return RedisTarget("single", url)
    rest, _, query = rest.partition("?")
    userinfo, at, location = rest.rpartition("@")
    if not at:
        userinfo, location = "", rest
    hosts, _, path = location.partition("/")
    username, password = _credentials(userinfo)
    nodes = tuple(_address(item, scheme) for item in hosts.split(",") if item.strip())
    if not nodes:
        example = "h1:26379,h2:26379/mymaster" if scheme == SENTINEL_SCHEME else "h1:7000,h2:7001"
        raise RedisUrlError(f"{scheme}:// 至少需要一个 host:port 地址，如 {scheme}://{example}")
    params = dict(parse_qsl(query, keep_blank_values=True))
    allowed = _SENTINEL_QUERY if scheme == SENTINEL_SCHEME else ()
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        hint = f"；可用的参数：{', '.join(allowed)}" if allowed else "；此形式不接受参数"
        raise RedisUrlError(f"不认识的参数 {', '.join(unknown)}{hint}（当前为 {shown!r}）")
    if scheme == CLUSTER_SCHEME:
        if path.strip("/") not in ("", "0"):
            raise RedisUrlError(f"Redis Cluster 只有 0 号数据库，地址后不能写 /{path}")
        return RedisTarget("cluster", url, nodes, username=username, password=password)
    service, _, db = path.partition("/")
    if not _SERVICE_RE.fullmatch(service):
        raise RedisUrlError(
            "redis+sentinel:// 的地址后应写 Sentinel 中的主节点名（字母、数字、. _ -），"
            f"如 redis+sentinel://h1:26379,h2:26379/mymaster（当前为 {shown!r}）"
        )
    return RedisTarget(
        "sentinel",
        url,
        nodes,
        service_name=service,
        db=_db(db.strip("/")),
        username=username,
        password=password,
        sentinel_username=params.get("sentinel_username") or None,
        sentinel_password=params.get("sentinel_password") or None,
    )


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    """(username, password) as redis-py reads them: `user:password`, `:password` or `user`."""
    user, _, password = userinfo.partition(":")
    return unquote(user) or None, unquote(password) or None


def _address(item: str, scheme: str) -> tuple[str, int]:
    text = item.strip()
    bracketed = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(.*))?", text)
    if bracketed:  # [::1]:26379
        host, port = bracketed.group(1), bracketed.group(2)
    else:
        host, colon, port_text = text.rpartition(":")
        host, port = (host, port_text) if colon else (text, None)
        if not _HOST_RE.fullmatch(host):
            raise RedisUrlError(f"{text!r} 不是 host:port 形式的地址（多个地址用英文逗号分隔）")
    if port is None or port == "":
        return host, _DEFAULT_PORTS[scheme]
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise RedisUrlError(f"{text!r} 的端口应为 1 到 65535 之间的整数")
    return host, int(port)


def _db(text: str) -> int:
    if text == "":
        return 0
    if not text.isdigit() or int(text) > 1_000_000:
        raise RedisUrlError(f"数据库编号应为非负整数（当前为 {text[:20]!r}）")
    return int(text)
