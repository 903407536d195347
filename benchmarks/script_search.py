"""Script search latency: 10,000 scripts, 1,000 realistic queries, in-process and over HTTP.

    python benchmarks/script_search.py [--scripts 10000] [--queries 1000] [--no-http]

The library is generated from a fixed seed: category paths, titles and texts built from the
vocabulary a cosmetics/retail brand's 话术库 uses (products, after-sales, payment, delivery,
membership), 10 % of scripts visible only to some departments. Queries mix single words,
two-word queries, product names, pinyin initials and phrases cut from script texts.

In-process: `ScriptIndex.search` as the sidebar calls it (a staff member's visibility applied,
20 results). Over HTTP: the sidebar's search API through a signed-in session, one request at a
time, against the bot started by `create_app` on a loopback port with the WeCom sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import platform
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bot_process import sandbox_env, start_bot  # noqa: E402
from bot.keys import RedisKeys  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from bot.storage.client import connect  # noqa: E402
from scripts_library.scripts import Script, ScriptStore, Visibility  # noqa: E402
from scripts_library.search import ScriptIndex, tokens  # noqa: E402
from tests.helpers import free_port  # noqa: E402

PRODUCTS = [
    "保湿霜",
    "精华液",
    "洁面乳",
    "防晒霜",
    "面膜",
    "眼霜",
    "爽肤水",
    "卸妆油",
    "口红",
    "粉底液",
]
TOPICS = {
    "售前/产品咨询": ["成分", "适合肤质", "使用方法", "保质期", "正品保证", "规格"],
    "售前/活动": ["满减", "优惠券", "双十一", "新人礼", "限时折扣", "赠品"],
    "售中/支付": ["分期付款", "支付失败", "发票", "改地址", "合并付款"],
    "售中/发货": ["发货时间", "快递公司", "预售发货", "催发货"],
    "售后/退货": ["七天无理由退货", "退货运费", "退货流程", "退货地址"],
    "售后/换货": ["换货流程", "尺码更换", "质量问题换货"],
    "售后/退款": ["退款时效", "退款到账", "部分退款"],
    "常见问题/物流": ["物流查询", "快递丢件", "偏远地区"],
    "常见问题/会员": ["会员积分", "会员等级", "生日礼", "积分兑换"],
}
OPENERS = ["亲，", "您好，", "{{ customer_name }}您好，", "感谢您的咨询，", "好的亲，"]
BODIES = [
    "{product}的{topic}是这样的：下单后我们会在48小时内为您处理，",
    "关于{topic}，{product}支持七天无理由退换，运费由我们承担，",
    "{product}目前参加{topic}活动，会员再享9折，",
    "如果遇到{topic}的问题，请在订单页面点击申请，客服会第一时间跟进，",
    "{topic}需要您提供订单号和照片，我们收到后三个工作日内给您答复，",
]
CLOSERS = ["有任何问题随时找我哦～", "祝您生活愉快！", "请放心购买。", "感谢您的支持！"]


def library(count: int, rng: random.Random) -> list[Script]:
    scripts = []
    categories = list(TOPICS)
    for n in range(count):
        category = rng.choice(categories)
        topic, product = rng.choice(TOPICS[category]), rng.choice(PRODUCTS)
        text = rng.choice(OPENERS) + rng.choice(BODIES).format(product=product, topic=topic)
        text += rng.choice(CLOSERS)
        restricted = rng.random() < 0.1
        scripts.append(
            Script(
                id=f"s{n:05d}",
                category=category,
                title=f"{product}{topic}" if rng.random() < 0.7 else topic,
                text=text,
                keywords=rng.sample([topic, product, category.split("/")[1]], 2),
                visibility=Visibility(not restricted, [rng.randint(2, 9)] if restricted else []),
            )
        )
    return scripts


def queries(count: int, scripts: list[Script], rng: random.Random) -> list[str]:
    topics = [t for group in TOPICS.values() for t in group]
    makers = [
        lambda: rng.choice(topics),
        lambda: rng.choice(PRODUCTS),
        lambda: f"{rng.choice(PRODUCTS)} {rng.choice(topics)}",
        lambda: rng.choice(["th", "sh", "tk", "hy", "fh", "yhq", "thlc", "bsh"]),
        lambda: rng.choice(["退", "货", "运费", "积分", "发票", "快递"]),
        lambda: (lambda t: t[rng.randrange(max(1, len(t) - 6)) :][:6])(rng.choice(scripts).text),
    ]
    return [rng.choice(makers)() for _ in range(count)]


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100)
    return {"p50": cut[49] * 1000, "p95": cut[94] * 1000, "max": ordered[-1] * 1000}


async def fill(redis: Redis, keys: RedisKeys, scripts: list[Script]) -> None:
    store = ScriptStore(redis, keys)
    for start in range(0, len(scripts), 1000):
        await store.save_many(scripts[start : start + 1000], "bench", None)


async def in_process(
    redis_url: str, count: int, query_count: int, trace: bool = False
) -> dict[str, float]:
    rng = random.Random(20261123)
    keys = RedisKeys("wwbench", f"bench-{uuid.uuid4().hex[:8]}")
    redis = connect(redis_url)
    try:
        scripts = library(count, rng)
        await fill(redis, keys, scripts)
        index = ScriptIndex(redis, keys)
        tokens("预热")  # load jieba's dictionary outside the timing
        gc.collect()
        rss_before = rss_mib()
        began = time.perf_counter()
        await index.refresh()
        build = time.perf_counter() - began
        memory = rss_mib() - rss_before
        held = 0.0
        if trace:  # what the index itself holds: build a second one under tracemalloc
            tracemalloc.start()
            second = ScriptIndex(redis, keys)
            await second.refresh()
            held = tracemalloc.get_traced_memory()[0] / 2**20
            tracemalloc.stop()
            del second
        times, hits = [], 0
        for query in queries(query_count, scripts, rng):
            began = time.perf_counter()
            await index.refresh()
            found = index.search(query, userid="zhangsan", departments=[1, 3])
            times.append(time.perf_counter() - began)
            hits += bool(found)
        return percentiles(times) | {
            "build_s": build,
            "index_mib": memory,
            "held_mib": held,
            "rss_mib": rss_mib(),
            "answered": hits / query_count * 100,
        }
    finally:
        async for key in redis.scan_iter(match=keys.pattern()):
            await redis.delete(key)
        await redis.aclose()


async def over_http(redis_url: str, count: int, query_count: int) -> dict[str, float]:
    """The sidebar's search API of a `scrm-bot serve` process, signed in through OAuth2."""
    rng = random.Random(20261123)
    sandbox = Sandbox()
    sandbox.add_staff("zhangsan", "张三", [1, 3])
    api_base = await sandbox.start()
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    keys = RedisKeys(sandbox.corp_id, prefix)
    redis = connect(redis_url)
    scripts = library(count, rng)
    await fill(redis, keys, scripts)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = sandbox_env(
        sandbox,
        api_base,
        redis_url,
        SCRM_KEY_PREFIX=prefix,
        SCRM_PUBLIC_URL=base,
        SCRM_OAUTH_AUTHORIZE_URL=f"{api_base}/connect/oauth2/authorize",
    )
    bot = await start_bot(port, env)
    jar = aiohttp.CookieJar(unsafe=True)
    try:
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            sandbox.sign_in("zhangsan")
            async with http.get(f"{base}/sidebar/") as page:  # OAuth2 through the sandbox
                assert page.status == 200, await page.text()
            url = f"{base}/sidebar/api/scripts"
            async with http.get(url, params={"q": "退货"}) as warm:  # the index is built
                assert warm.status == 200, await warm.text()
            times = []
            for query in queries(query_count, scripts, rng):
                began = time.perf_counter()
                async with http.get(url, params={"q": query}) as response:
                    await response.read()
                    assert response.status == 200
                times.append(time.perf_counter() - began)
        return percentiles(times)
    finally:
        bot.terminate()
        await bot.wait()
        await sandbox.stop()
        async for key in redis.scan_iter(match=keys.pattern()):
            await redis.delete(key)
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--no-http", action="store_true", help="in-process only")
    parser.add_argument(
        "--memory", action="store_true", help="also trace what a second index allocates"
    )
    args = parser.parse_args()
    result = asyncio.run(in_process(args.redis, args.scripts, args.queries, args.memory))
    print(f"machine: {platform.machine()} {platform.python_version()}")
    print(
        f"in-process: p50 {result['p50']:.2f} ms, p95 {result['p95']:.2f} ms, "
        f"max {result['max']:.2f} ms; index build {result['build_s']:.1f} s, "
        f"RSS +{result['index_mib']:.0f} MiB (process {result['rss_mib']:.0f} MiB); "
        f"queries with results {result['answered']:.0f} %"
    )
    if args.memory:
        print(f"allocated by one index (tracemalloc): {result['held_mib']:.1f} MiB")
    if not args.no_http:
        http = asyncio.run(over_http(args.redis, args.scripts, args.queries))
        print(
            f"over HTTP: p50 {http['p50']:.2f} ms, p95 {http['p95']:.2f} ms, "
            f"max {http['max']:.2f} ms"
        )


if __name__ == "__main__":
    main()
