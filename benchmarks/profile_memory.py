"""Redis memory per customer profile: the old flat hash against the compact document.

    python benchmarks/profile_memory.py [--counts 100000,1000000]

A private `redis-server` (no persistence, nothing else in it) is started for the run, so
`used_memory` before and after writing N profiles is exactly what they cost. Profiles are
generated from a fixed seed with the shapes `externalcontact/get` answers have: a 32-character
external_userid, a Chinese name, a WeChat avatar URL (95 %), 1 follower (80 %), 2 (15 %) or
3 (5 %), each with a remark, a description (30 %), 0–4 tags with group and name, a channel
state; half the customers have chatted (message counters). The old form is written exactly as
the previous `ProfileStore.record_contact` and `message` wrote it (one hash, flat fields); the
new one through today's `ProfileStore`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.events import ChatText  # noqa: E402
from bot.keys import RedisKeys  # noqa: E402
from bot.profiles.store import ProfileStore  # noqa: E402

NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "小明丽华强芳军敏静磊洋勇艳杰娟涛超秀霞平刚桂英"
GROUPS = {"客户等级": ["VIP", "普通", "潜在"], "兴趣": ["护肤", "彩妆", "香水", "面膜"]}


def _rid(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def contact(rng: random.Random, i: int) -> dict[str, Any]:
    followers = rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
    follows = []
    for n in range(followers):
        tags = [
            {"group_name": g, "tag_name": rng.choice(GROUPS[g]), "tag_id": "et" + _rid(rng, 30)}
            for g in rng.sample(sorted(GROUPS), k=min(rng.randint(0, 4), 2))
        ]
        follows.append(
            {
                "userid": f"staff{rng.randint(1, 200)}_{n}",
                "remark": rng.choice(NAMES) + "先生",
                "description": "老客户，喜欢面霜和精华" if rng.random() < 0.3 else "",
                "createtime": 1_700_000_000 + i,
                "state": f"ch:{_rid(rng, 6)}",
                "tags": tags,
            }
        )
    avatar = f"http://wx.qlogo.cn/mmhead/{_rid(rng, 80)}/0" if rng.random() < 0.95 else ""
    return {
        "external_contact": {
            "external_userid": "wm" + _rid(rng, 30),
            "name": rng.choice(NAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "avatar": avatar,
            "type": 1,
            "gender": rng.randint(0, 2),
            "corp_name": "",
        },
        "follow_user": follows,
    }


def old_hash(data: dict[str, Any], read_at: int, chatted: bool) -> dict[str, str | int]:
    """The fields the previous ProfileStore wrote for one `externalcontact/get` answer."""
    c = data["external_contact"]
    fields: dict[str, str | int] = {"read_at": read_at}
    for name in ("name", "corp_name", "avatar", "type", "gender"):
        fields[name] = c[name]
    for f in data["follow_user"]:
        u = f["userid"]
        tags = [
            {"id": t["tag_id"], "group": t["group_name"], "name": t["tag_name"]} for t in f["tags"]
        ]
        fields |= {
            f"{u}|remark": f["remark"],
            f"{u}|description": f["description"],
            f"{u}|tags": json.dumps(tags, ensure_ascii=False),
            f"{u}|added_at": f["createtime"],
            f"{u}|state": f["state"],
            f"{u}|channel": f["state"][3:],
        }
        if chatted:
            fields |= {f"{u}|messages": 3, f"{u}|last_message_at": read_at + 60}
    if chatted:
        fields |= {
            "messages": 3,
            "messages_from_customer": 2,
            "last_message_at": read_at + 60,
            "last_customer_message_at": read_at + 30,
        }
    return fields


def chat(data: dict[str, Any], sender: str, at: int) -> ChatText:
    staff = data["follow_user"][0]["userid"]
    customer = data["external_contact"]["external_userid"]
    return ChatText(
        msgid=f"{customer}{at}{sender}",
        source="ingest",
        sender=sender,
        external_userid=customer,
        staff_userid=staff,
        text="你好",
        sent_at=at,
    )


async def _each(rows: list[Any], call: Callable[[Any], Awaitable[None]], width: int = 50) -> None:
    """`call` for every row, `width` at a time (the pool has a bounded number of connections)."""
    for start in range(0, len(rows), width):
        await asyncio.gather(*(call(row) for row in rows[start : start + width]))


async def write(redis: Redis, keys: RedisKeys, form: str, count: int) -> None:
    rng, store, batch = random.Random(7), ProfileStore(redis, keys), 2000
    for start in range(0, count, batch):
        rows = [contact(rng, i) for i in range(start, min(start + batch, count))]
        chatted = [i % 2 == 0 for i in range(len(rows))]
        if form == "old":
            async with redis.pipeline(transaction=False) as pipe:
                for data, talked in zip(rows, chatted, strict=True):
                    key = keys.profile(data["external_contact"]["external_userid"])
                    pipe.hset(key, mapping=old_hash(data, 1_700_000_000, talked))
                await pipe.execute()
            continue
        await _each(rows, lambda d: store.record_contact(d, 1_700_000_000))
        talks = [d for d, talked in zip(rows, chatted, strict=True) if talked]
        for sender, at in (
            ("customer", 1_700_000_030),
            ("staff", 1_700_000_060),
            ("customer", 1_700_000_010),
        ):
            await _each(talks, lambda d, s=sender, t=at: store.message(chat(d, s, t)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, folder: str) -> subprocess.Popen[bytes]:
    """A private redis-server keeping nothing on disk."""
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port)]
    command += ["--save", "", "--appendonly", "no", "--dir", folder]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


@asynccontextmanager
async def private_redis() -> AsyncIterator[Redis]:
    """A client of a fresh private redis-server (nothing else in it), gone afterwards."""
    port, folder = free_port(), tempfile.mkdtemp()
    server = start_server(port, folder)
    redis = Redis(port=port, decode_responses=True)
    try:
        for _ in range(100):
            try:
                await redis.ping()
                break
            except OSError:
                await asyncio.sleep(0.05)
        yield redis
    finally:
        await redis.aclose()
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


async def measure(form: str, count: int) -> tuple[float, float, str]:
    """(bytes per profile, seconds to write, encoding of one) on a fresh private server."""
    async with private_redis() as redis:
        keys = RedisKeys("ww3f9c2a81d4e7b605", "scrm")  # a real corp id's length
        before = int((await redis.info("memory"))["used_memory"])
        started = time.perf_counter()
        await write(redis, keys, form, count)
        seconds = time.perf_counter() - started
        after = int((await redis.info("memory"))["used_memory"])
        sample = await redis.randomkey()
        encoding = str(await redis.object("encoding", sample)) if sample else ""
        return (after - before) / count, seconds, encoding


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="100000,1000000")
    args = parser.parse_args()
    print(
        f"# {time.strftime('%Y-%m-%d')}, {platform.machine()}, Python {platform.python_version()}"
    )
    print("| profiles | old hash (B each) | document (B each) | document ÷ old | target ≤ 600 B |")
    print("|---|---|---|---|---|")
    for count in (int(n) for n in args.counts.split(",")):
        old, old_s, old_enc = await measure("old", count)
        new, new_s, new_enc = await measure("new", count)
        print(
            f"| {count:,} | {old:,.0f} ({old_enc}) | {new:,.0f} ({new_enc}) | "
            f"**{new / old:.2f}** | {'met' if new <= 600 else 'not met'} |"
        )
        print(f"<!-- written in {old_s:.1f} s (old, HSET) and {new_s:.1f} s (new, Lua) -->")


if __name__ == "__main__":
    asyncio.run(main())
