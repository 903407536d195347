"""The public landing page of a store-code campaign over HTTP: the nearest store within the
radius (the visitor's GPS position taken to map coordinates), else the backup; the stores by
city without a position; QR images; bad input refused; counters only for what exists."""

from __future__ import annotations

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.clock import corp_now
from bot.config import Settings
from bot.keys import RedisKeys
from bot.store_codes.store import StoreCodeStore
from tests.store_codes.conftest import BEIJING, VISITOR, Arranged


async def _keys(redis: Redis, keys: RedisKeys) -> list[str]:
    """The store codes' keys (the rest of the bot writes its own meanwhile)."""
    found = [k async for k in redis.scan_iter(match=keys.pattern(), count=1000)]
    return sorted(k for k in found if ":stores:" in k)


async def test_the_nearest_store_the_backup_and_the_list(
    sandbox_bot: TestServer, sandbox_settings: Settings, arranged: Arranged, redis: Redis
) -> None:
    base = str(sandbox_bot.make_url(f"/s/{arranged.campaign.id}"))
    async with ClientSession() as http:
        async with http.get(base) as page:
            html = await page.text()
            assert (
                page.status == 200
                and "script-src 'self'" in page.headers["Content-Security-Policy"]
            )
        assert "<title>春季&lt;门店&gt;海报</title>" in html and 'src="static/landing.js"' in html
        async with http.get(str(sandbox_bot.make_url("/s/static/landing.js"))) as script:
            assert script.status == 200 and "getCurrentPosition" in await script.text()

        lat, lng = VISITOR
        async with http.get(f"{base}/near", params={"lat": str(lat), "lng": str(lng)}) as answer:
            found = await answer.json()
        store = found["store"]
        assert store["name"] == "静安店" and store["distance_m"] < 5  # not the decoy 500 m off
        assert store["hint"].startswith("长按识别二维码，添加")
        async with http.get(str(sandbox_bot.make_url(f"/s/{store['qr']}"))) as image:
            assert image.content_type == "image/png"
            assert (await image.read()).startswith(b"\x89PNG")

        async with http.get(f"{base}/near", params={"lat": "31.30", "lng": "121.60"}) as answer:
            far = await answer.json()
        assert far["backup"]["name"] == "春季<门店>海报" and far["radius_m"] == 3000
        assert 10_000 < far["nearest_m"] < 20_000
        beijing = {"lat": str(BEIJING[0]), "lng": str(BEIJING[1])}
        async with http.get(f"{base}/near", params=beijing) as answer:
            assert (await answer.json())["store"]["hint"].endswith("加入门店福利群")

        async with http.get(f"{base}/stores") as answer:
            listed = await answer.json()
        assert [c["city"] for c in listed["cities"]] == ["上海", "北京"]
        assert [s["name"] for s in listed["cities"][0]["stores"]] == ["静安寺店", "静安店"]
        async with http.get(str(sandbox_bot.make_url(f"/s/{listed['backup']['qr']}"))) as image:
            assert image.content_type == "image/png"

    views = await StoreCodeStore(
        redis, RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    ).views(arranged.campaign.id, 1, corp_now().date())
    assert views["page"] == 1 and views["backup"] == 2 and sum(views.values()) == 5


async def test_bad_input_and_unknown_campaigns_write_nothing(
    sandbox_bot: TestServer, sandbox_settings: Settings, arranged: Arranged, redis: Redis
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    before = await _keys(redis, keys)
    views_before = await redis.hgetall(keys.store_views(corp_now().date().isoformat()))
    base = f"/s/{arranged.campaign.id}"
    async with ClientSession() as http:
        for path, status in (
            ("/s/abcdef", 404),  # no such campaign
            ("/s/abcdef/near?lat=1&lng=1", 404),
            ("/s/ABC", 404),  # not even an id
            (f"{base}/near?lat=91&lng=0", 400),
            (f"{base}/near?lat=nan&lng=0", 400),
            (f"{base}/near?lat=1e999&lng=0", 400),
            (f"{base}/near?lng=0", 400),
            (f"{base}/qr/00000000.png", 404),
            ("/s/static/../store.py", 404),
        ):
            async with http.get(str(sandbox_bot.make_url(path))) as answer:
                assert answer.status == status, path
                if status == 400:
                    assert "位置参数不正确" in await answer.text()
    assert await _keys(redis, keys) == before
    assert await redis.hgetall(keys.store_views(corp_now().date().isoformat())) == views_before
