"""Scripts, SOP steps and products as `ww.sendChatMessage` parameters, one message per call.

`sendChatMessage` differs from the server APIs' attachments: images, videos and files go by
`mediaid`, links are `news` cards with `imgUrl`, and a mini-program needs a cover *URL* and a
page ending in `.html` (the JS-SDK's own documentation). Files an admin attached are
referred to by `media_ref`; covers stored that way are served from `/sidebar/media/<ref>`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.attachments import texts_of
from bot.media import MediaError, MediaLibrary
from bot.text.guard import BlockedText, TextGuard
from bot.wecom import WeComError
from scripts_library.products import Product, ProductStore

Message = dict[str, Any]
MediaUrl = Callable[[str], str]

log = logging.getLogger(__name__)


def miniprogram_page(page: str) -> str:
    """`pages/item/index?id=1` → `pages/item/index.html?id=1`: WeCom opens nothing without it."""
    path, sep, query = page.partition("?")
    if not path.endswith(".html"):
        path += ".html"
    return f"{path}{sep}{query}"


def product_message(product: Product, media_url: MediaUrl) -> Message | None:
    """A product as a mini-program card or a link (news) card; None when it has no cover."""
    if product.is_miniprogram:
        cover = product.image_url or (media_url(product.image_ref) if product.image_ref else "")
        if not cover:
            return None
        return {
            "msgtype": "miniprogram",
            "miniprogram": {
                "appid": product.appid,
                "title": product.title(),
                "imgUrl": cover,
                "page": miniprogram_page(product.page),
            },
        }
    return {
        "msgtype": "news",
        "news": {
            "link": product.url,
            "title": product.title(),
            "desc": product.description,
            "imgUrl": product.image_url,
        },
    }


async def attachment_message(
    item: dict[str, Any], media: MediaLibrary, products: ProductStore, media_url: MediaUrl
) -> Message | None:
    """One saved attachment as a message, or None when the sidebar can't send it."""
    kind = str(item.get("msgtype", ""))
    body = item.get(kind)
    if not isinstance(body, dict):
        return None
    if kind in ("image", "video", "file"):
        if body.get("media_ref"):
            return {"msgtype": kind, kind: {"mediaid": await media.media_id(body["media_ref"])}}
        if body.get("media_id"):
            return {"msgtype": kind, kind: {"mediaid": str(body["media_id"])}}
        return None  # an image by URL only: sendChatMessage takes media ids
    if kind == "link":
        return {
            "msgtype": "news",
            "news": {
                "link": str(body.get("url", "")),
                "title": str(body.get("title", "")),
                "desc": str(body.get("desc", "")),
                "imgUrl": str(body.get("picurl", "")),
            },
        }
    if kind == "miniprogram" and body.get("pic_media_ref"):
        return {
            "msgtype": "miniprogram",
            "miniprogram": {
                "appid": str(body.get("appid", "")),
                "title": str(body.get("title", "")),
                "imgUrl": media_url(str(body["pic_media_ref"])),
                "page": miniprogram_page(str(body.get("page", ""))),
            },
        }
    if kind == "product":
        product = await products.get(str(body.get("id", "")))
        return product_message(product, media_url) if product else None
    return None


async def content_messages(
    text: str,
    attachments: list[dict[str, Any]],
    media: MediaLibrary,
    products: ProductStore,
    media_url: MediaUrl,
    *,
    source: str,
    guard: TextGuard,
) -> tuple[list[Message], int]:
    """(the messages of already rendered text and saved attachments — a script's or an SOP
    step's —, how many attachments were left out). An attachment that can't be made, or whose
    title or description holds a word blocked now, is left out; the rest still goes. `source`
    names the content in the log."""
    messages: list[Message] = []
    if text.strip():
        messages.append({"msgtype": "text", "text": {"content": text}})
    skipped = 0
    for item in attachments:
        try:
            message = await attachment_message(item, media, products, media_url)
            for piece in texts_of([message] if message else []):
                guard.check_outgoing(piece)
        except (MediaError, WeComError, BlockedText) as exc:
            log.warning("%s: attachment left out: %s", source, exc)
            message = None
        if message is None:
            skipped += 1
        else:
            messages.append(message)
    return messages, skipped
