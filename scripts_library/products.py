"""The product catalogue: what a product card shows, and the card itself.

A product opens a mini-program page (sent as a `miniprogram` card, which needs an uploaded
cover image) or a web page (sent as a `link`/news card with an image URL). Welcome templates
attach a product by id; the card is built when the message goes out, so a price change
reaches the next welcome without editing any template.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from redis.asyncio import Redis

from bot.errors import UserError
from bot.keys import RedisKeys
from bot.text.guard import BlockedText, TextGuard
from bot.wecom.limits import LINK_DESC_BYTES, LINK_TITLE_BYTES, MINIPROGRAM_TITLE_BYTES

_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class ProductError(UserError, ValueError):
    """A product that can't be saved; the message says why, in Chinese."""


@dataclass
class Product:
    """One product: name, price (yuan, as text), description, image, and where it opens."""

    id: str
    name: str
    price: str = ""
    description: str = ""
    image_ref: str = ""  # media ref of the cover (mini-program cards need an uploaded image)
    image_url: str = ""  # public URL of the cover (link cards and the sidebar)
    appid: str = ""
    page: str = ""
    url: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> Product:
        return cls(**json.loads(data))

    @property
    def is_miniprogram(self) -> bool:
        return bool(self.appid and self.page)

    def title(self) -> str:
        return f"{self.name} ¥{self.price}" if self.price else self.name

    def card(self, pic_media_id: str = "") -> dict[str, Any]:
        """The attachment WeCom takes: a mini-program card or a link card."""
        if self.is_miniprogram:
            return {
                "msgtype": "miniprogram",
                "miniprogram": {
                    "title": self.title(),
                    "pic_media_id": pic_media_id,
                    "appid": self.appid,
                    "page": self.page,
                },
            }
        link = {"title": self.title(), "url": self.url, "desc": self.description}
        if self.image_url:
            link["picurl"] = self.image_url
        return {"msgtype": "link", "link": link}


def validate(product: Product, guard: TextGuard | None) -> None:
    """Raise `ProductError` naming the first problem."""
    if not _ID.match(product.id):
        raise ProductError("商品编号只能由 1–32 个字母、数字、- 或 _ 组成")
    if not product.name.strip():
        raise ProductError("商品需要名称")
    if product.price:
        try:
            if Decimal(product.price) < 0:
                raise ProductError("价格不能为负数")
        except InvalidOperation:
            raise ProductError(f"价格「{product.price}」不是数字") from None
    if product.is_miniprogram:
        if not product.image_ref:
            raise ProductError("小程序商品卡片需要封面图片（--image 上传）")
        limit = MINIPROGRAM_TITLE_BYTES
    elif product.url.startswith(("https://", "http://")):
        limit = LINK_TITLE_BYTES
    else:
        raise ProductError("商品需要小程序（appid 和 page）或以 http(s):// 开头的链接")
    size = len(product.title().encode("utf-8"))
    if size > limit:
        raise ProductError(f"卡片标题「{product.title()}」共 {size} 字节，上限 {limit} 字节")
    size = len(product.description.encode("utf-8"))
    if size > LINK_DESC_BYTES:
        raise ProductError(f"商品描述共 {size} 字节，上限 {LINK_DESC_BYTES} 字节")
    if guard is not None:
        for text in (product.name, product.description):
            try:
                guard.check_outgoing(text)
            except BlockedText as exc:
                raise ProductError(f"商品文字：{exc}") from None


class ProductStore:
    """The catalogue of one corp in Redis."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, product: Product, guard: TextGuard | None) -> Product:
        if not product.id:
            product.id = secrets.token_hex(4)
        validate(product, guard)
        await self._redis.hset(self._keys.products, product.id, product.to_json())
        return product

    async def get(self, product_id: str) -> Product | None:
        data = await self._redis.hget(self._keys.products, product_id)
        return Product.from_json(data) if data else None

    async def list(self) -> list[Product]:
        rows = await self._redis.hgetall(self._keys.products)
        return sorted((Product.from_json(v) for v in rows.values()), key=lambda p: p.id)

    async def delete(self, product_id: str) -> bool:
        return bool(await self._redis.hdel(self._keys.products, product_id))

    def queue_import(self, tx: Any, saved: Sequence[Product], removed: Sequence[str]) -> None:
        """Queue a configuration import's writes (checked products, ids to remove)."""
        if saved:
            tx.hset(self._keys.products, mapping={p.id: p.to_json() for p in saved})
        if removed:
            tx.hdel(self._keys.products, *removed)
