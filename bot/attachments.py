"""Message attachments as admins save them, and as WeCom receives them.

Saved form (welcome templates now; SOP steps and scripts later): WeCom's `{msgtype, <msgtype>:
{...}}` objects, except that files are referred to by `media_ref` (see `bot.media`) rather
than by a three-day `media_id`, a product by `{"msgtype": "product", "product": {"id"}}`, and —
in what the bot sends itself (welcomes, SOP mass steps) — a group live code by `{"msgtype":
"group_code", "group_code": {"id"}}`, sent as its QR image (引导入群).
`check` refuses a bad list at save time; `materialize` turns a saved list into what WeCom
takes, just before sending.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.errors import UserError
from bot.media import MediaError, MediaLibrary
from bot.wecom import WeComError
from bot.wecom.limits import LINK_DESC_BYTES, LINK_TITLE_BYTES, MINIPROGRAM_TITLE_BYTES
from scripts_library.products import ProductStore

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.group_codes.store import GroupCodeStore
    from bot.keys import RedisKeys

Attachment = dict[str, Any]

KINDS = ("image", "link", "miniprogram", "video", "file", "product")
WITH_GROUP_CODE = (*KINDS, "group_code")  # messages the bot sends itself, made at send time
BYTE_LIMITS = {
    "link": (("title", LINK_TITLE_BYTES), ("desc", LINK_DESC_BYTES)),
    "miniprogram": (("title", MINIPROGRAM_TITLE_BYTES),),
}
# the fields one of which each kind needs, and what the message calls them
REQUIRED_ONE_OF = {
    "image": (("media_ref", "media_id", "pic_url"), "图片文件或图片链接"),
    "video": (("media_ref", "media_id"), "视频文件"),
    "file": (("media_ref", "media_id"), "文件"),
    "link": (("url",), "url"),
    "product": (("id",), "商品编号"),
    "group_code": (("id",), "群活码编号"),
}

log = logging.getLogger(__name__)


class AttachmentError(UserError, ValueError):
    """An attachment list that can't be saved; the message says which item and why."""


def check(
    where: str, attachments: list[Attachment], max_count: int, kinds: tuple[str, ...] = KINDS
) -> None:
    """Raise `AttachmentError` naming the first problem (`where` prefixes the message)."""
    if len(attachments) > max_count:
        raise AttachmentError(f"{where}有 {len(attachments)} 个附件，企业微信最多 {max_count} 个")
    for n, item in enumerate(attachments, 1):
        kind = item.get("msgtype") if isinstance(item, dict) else None
        body = item.get(kind) if isinstance(item, dict) and isinstance(kind, str) else None
        if kind not in kinds or not isinstance(body, dict):
            raise AttachmentError(f"{where}第 {n} 个附件类型无效（{'/'.join(kinds)}）")
        for key, limit in BYTE_LIMITS.get(kind, ()):
            size = len(str(body.get(key, "")).encode("utf-8"))
            if size > limit:
                raise AttachmentError(
                    f"{where}第 {n} 个附件的 {key} 共 {size} 字节，上限 {limit} 字节"
                )
        fields, label = REQUIRED_ONE_OF.get(kind, ((), ""))
        if fields and not any(body.get(f) for f in fields):
            raise AttachmentError(f"{where}第 {n} 个附件缺少{label}")
        if kind == "miniprogram":
            missing = [f for f in ("title", "appid", "page") if not body.get(f)]
            if not (body.get("pic_media_ref") or body.get("pic_media_id")):
                missing.append("封面图片")
            if missing:
                raise AttachmentError(f"{where}第 {n} 个附件（小程序）缺少 {', '.join(missing)}")


def references(attachments: list[Attachment]) -> tuple[set[str], set[str]]:
    """(media refs, product ids) an attachment list depends on, to check they exist."""
    media: set[str] = set()
    products: set[str] = set()
    for item in attachments:
        body = item.get(item.get("msgtype", ""), {})
        for key in ("media_ref", "pic_media_ref"):
            if body.get(key):
                media.add(str(body[key]))
        if item.get("msgtype") == "product":
            products.add(str(body.get("id", "")))
    return media, products


def texts_of(attachments: list[Attachment]) -> list[str]:
    """The texts a customer reads on attachments as WeCom takes them (link and mini-program
    titles, link descriptions), for the word check at send time."""
    texts = []
    for item in attachments:
        body = item.get(str(item.get("msgtype", "")), {})
        texts += [str(body[key]) for key in ("title", "desc") if body.get(key)]
    return texts


def group_codes_of(attachments: list[Attachment]) -> set[str]:
    """The group live code ids an attachment list sends."""
    return {
        str(item["group_code"].get("id", ""))
        for item in attachments
        if item.get("msgtype") == "group_code" and isinstance(item.get("group_code"), dict)
    }


async def first_missing(
    attachments: list[Attachment], redis: Redis, keys: RedisKeys
) -> tuple[str, str] | None:
    """The first thing an attachment list refers to that isn't there — ("media", ref),
    ("product", id) or ("group_code", id) — or None; each caller says it in its own words."""
    media, products = references(attachments)
    for ref in sorted(media):
        if not await redis.exists(keys.media_blob(ref)):
            return "media", ref
    for product_id in sorted(products):
        if not await redis.hexists(keys.products, product_id):
            return "product", product_id
    for code_id in sorted(group_codes_of(attachments)):
        if not await redis.hexists(keys.group_codes, code_id):
            return "group_code", code_id
    return None


async def materialize(
    attachments: list[Attachment],
    media: MediaLibrary,
    products: ProductStore,
    group_codes: GroupCodeStore | None = None,
) -> list[Attachment]:
    """The list as WeCom takes it: live media ids, product cards built from the catalogue,
    group live codes as their QR images (with `group_codes`; left out without).

    An item that can't be made (a product deleted since, an upload WeCom refused) is left out
    and logged: the rest of the message still goes, inside its window.
    """
    result: list[Attachment] = []
    for item in attachments:
        kind = str(item["msgtype"])
        body = dict(item[kind])
        try:
            if kind == "group_code":
                ref = await group_codes.qr_media(str(body["id"]), media) if group_codes else ""
                if ref:
                    result.append(
                        {"msgtype": "image", "image": {"media_id": await media.media_id(ref)}}
                    )
                continue
            if kind == "product":
                product = await products.get(str(body["id"]))
                if product is None:
                    log.warning("product %s attached but no longer in the catalogue", body["id"])
                    continue
                pic = await media.media_id(product.image_ref) if product.is_miniprogram else ""
                result.append(product.card(pic))
                continue
            if "media_ref" in body:
                body["media_id"] = await media.media_id(str(body.pop("media_ref")))
            if "pic_media_ref" in body:
                body["pic_media_id"] = await media.media_id(str(body.pop("pic_media_ref")))
        except (MediaError, WeComError) as exc:
            log.warning("attachment %s left out: %s", kind, exc)
            continue
        result.append({"msgtype": kind, kind: body})
    return result
