"""The public landing page of a store-code campaign, `/s/<campaign id>` (printed on posters).

The page asks the visitor's browser for its position and shows the code of the nearest store
within the campaign's radius, else the backup code; without a position (refused, unavailable,
no HTTPS) it shows the backup and the stores by city. Anonymous, so: one small page and two
small files of our own (no CDN), nothing written per visit but bounded counters (fields only of
stores that exist), campaigns and QR images held briefly in memory rather than read per visit,
and each request's cost linear in the campaign's stores (at most `MAX_STORES`)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_now
from bot.context import HandlerContext
from bot.store_codes.geo import distance_m, wgs84_to_gcj02
from bot.store_codes.model import Campaign, CodeRef, Store
from bot.store_codes.store import BACKUP, PAGE
from bot.wecom import WeComError
from bot.wecom.images import ImageUnavailable

CAMPAIGN_SECONDS = 15.0
CAMPAIGNS_KEPT = 16
QR_SECONDS = 3600.0
QR_KEPT = 128
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HINTS = {
    "channel": "长按识别二维码，添加门店顾问的企业微信",
    "group": "长按识别二维码，加入门店福利群",
}
_HERE = Path(__file__).parent
_ENV = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape())


@dataclass(frozen=True, slots=True)
class _Loaded:
    """A campaign and its stores as a visit reads them, held `CAMPAIGN_SECONDS`."""

    campaign: Campaign
    stores: list[Store]
    by_id: dict[str, Store]


class _Recent:
    """A few recent values by key, each for a while: bounded, so visits can't grow it."""

    def __init__(self, most: int) -> None:
        self._most = most
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> Any:
        found = self._items.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, value: Any, seconds: float) -> None:
        self._items[key] = (time.monotonic() + seconds, value)
        self._items.move_to_end(key)
        while len(self._items) > self._most:
            self._items.popitem(last=False)


CAMPAIGNS = web.AppKey("store_code_campaigns", _Recent)
QR_IMAGES = web.AppKey("store_code_qr_images", _Recent)


async def _loaded(request: web.Request) -> tuple[HandlerContext, _Loaded]:
    ctx = request.config_dict[HANDLER_CONTEXT]
    campaign_id = request.match_info["campaign"]
    cache = request.app[CAMPAIGNS]
    found: _Loaded | None = cache.get(campaign_id)
    if found is None:
        store = ctx.services.store_codes
        campaign = await store.campaign(campaign_id)
        if campaign is None:
            raise web.HTTPNotFound(text="这个门店活码活动不存在或已结束", headers=HEADERS)
        stores = await store.stores(campaign_id)
        found = _Loaded(campaign, stores, {s.id: s for s in stores})
        cache.put(campaign_id, found, CAMPAIGN_SECONDS)
    return ctx, found


def _shown(
    campaign: Campaign, store: Store | None, distance: float | None = None
) -> dict[str, Any]:
    code = CodeRef.parse(store.code if store else campaign.backup)
    base = {"qr": f"{campaign.id}/qr/{store.id if store else BACKUP}.png", "hint": HINTS[code.kind]}
    if store is None:
        return base | {"name": campaign.name}
    shown = base | {"name": store.name, "city": store.city, "address": store.address}
    return shown if distance is None else shown | {"distance_m": round(distance)}


async def page(request: web.Request) -> web.Response:
    ctx, found = await _loaded(request)
    await ctx.services.store_codes.count_view(found.campaign.id, PAGE, corp_now().date())
    body = _ENV.get_template("landing.html").render(campaign=found.campaign)
    return web.Response(text=body, content_type="text/html", headers=HEADERS)


def _position(request: web.Request) -> tuple[float, float]:
    try:
        lat, lng = float(request.query["lat"]), float(request.query["lng"])
    except (KeyError, ValueError):
        raise web.HTTPBadRequest(text="位置参数不正确", headers=HEADERS) from None
    if not (math.isfinite(lat) and math.isfinite(lng) and abs(lat) <= 90 and abs(lng) <= 180):
        raise web.HTTPBadRequest(text="位置参数不正确", headers=HEADERS)
    return lat, lng


def nearest(loaded: _Loaded, lat: float, lng: float) -> tuple[Store | None, float]:
    """The nearest store and its distance in metres (the visitor's WGS-84 position taken to
    the stores' coordinates first). One pass: a flat-earth estimate picks it, haversine says
    how far."""
    if loaded.campaign.coordinates == "gcj02":
        lat, lng = wgs84_to_gcj02(lat, lng)
    squeeze = math.cos(math.radians(lat)) ** 2
    best, best_score = None, math.inf
    for store in loaded.stores:
        d_lng = abs(store.lng - lng)
        d_lng = min(d_lng, 360 - d_lng)
        score = (store.lat - lat) ** 2 + squeeze * d_lng**2
        if score < best_score:
            best, best_score = store, score
    if best is None:
        return None, math.inf
    return best, distance_m(lat, lng, best.lat, best.lng)


async def near(request: web.Request) -> web.Response:
    lat, lng = _position(request)
    ctx, found = await _loaded(request)
    campaign = found.campaign
    store, distance = nearest(found, lat, lng)
    day = corp_now().date()
    if store is not None and distance <= campaign.radius_m:
        await ctx.services.store_codes.count_view(campaign.id, store.id, day)
        return web.json_response({"store": _shown(campaign, store, distance)}, headers=HEADERS)
    await ctx.services.store_codes.count_view(campaign.id, BACKUP, day)
    answer: dict[str, Any] = {"backup": _shown(campaign, None), "radius_m": campaign.radius_m}
    if store is not None:
        answer["nearest_m"] = round(distance)
    return web.json_response(answer, headers=HEADERS)


async def stores(request: web.Request) -> web.Response:
    """Without a position: the backup code and every store, by city."""
    ctx, found = await _loaded(request)
    campaign = found.campaign
    await ctx.services.store_codes.count_view(campaign.id, BACKUP, corp_now().date())
    cities: dict[str, list[dict[str, Any]]] = {}
    for store in found.stores:
        cities.setdefault(store.city, []).append(_shown(campaign, store))
    listed = [{"city": city, "stores": items} for city, items in sorted(cities.items())]
    return web.json_response({"backup": _shown(campaign, None), "cities": listed}, headers=HEADERS)


async def qr(request: web.Request) -> web.Response:
    ctx, found = await _loaded(request)
    which = request.match_info["store"]
    store = found.by_id.get(which)
    if store is None and which != BACKUP:
        raise web.HTTPNotFound(headers=HEADERS)
    ref = CodeRef.parse(store.code if store else found.campaign.backup)
    images = request.app[QR_IMAGES]
    image: tuple[bytes, str] | None = images.get(str(ref))
    if image is None:
        image = await _fetch_qr(ctx, ref)
        images.put(str(ref), image, QR_SECONDS)
    body, kind = image
    headers = HEADERS | {"Cache-Control": "public, max-age=600"}
    return web.Response(body=body, content_type=kind, headers=headers)


async def _fetch_qr(ctx: HandlerContext, ref: CodeRef) -> tuple[bytes, str]:
    code = await (
        ctx.services.channels.get(ref.id)
        if ref.kind == "channel"
        else ctx.services.group_codes.get(ref.id)
    )
    if code is None or not code.qr_code:
        raise web.HTTPNotFound(text="这个活码已停用", headers=HEADERS)
    try:
        return await ctx.wecom.transport.image(code.qr_code)
    except (ImageUnavailable, WeComError):
        raise web.HTTPBadGateway(text="二维码暂时取不到，请稍后刷新", headers=HEADERS) from None


async def _static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return web.FileResponse(_HERE / "static" / name, headers=headers)


def setup(app: web.Application) -> None:
    """The public routes (the callback and sidebar processes serve them)."""
    app[CAMPAIGNS] = _Recent(CAMPAIGNS_KEPT)
    app[QR_IMAGES] = _Recent(QR_KEPT)
    campaign = "{campaign:[0-9a-f]{6}}"
    app.router.add_get("/s/static/{name:landing\\.(?:js|css)}", _static)
    app.router.add_get(f"/s/{campaign}", page)
    app.router.add_get(f"/s/{campaign}/near", near)
    app.router.add_get(f"/s/{campaign}/stores", stores)
    app.router.add_get(f"/s/{campaign}/qr/{{store:[0-9a-f]{{8}}|backup}}.png", qr)
