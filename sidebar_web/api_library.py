"""What the sidebar sends: scripts (search, categories, recent, most used), products, free text.

Scripts come from the search index, which applies each script's visibility and enabled flag;
a script asked for by id is checked the same way. A script is rendered for the customer in the
current chat only after the follow (or group) check, and every text about to be sent, script
or typed, goes through the sensitive-word filter: a block word answers 422 with the hits.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS, SCRIPT_INDEX, SETTINGS
from bot.attachments import texts_of
from bot.clock import corp_now
from bot.templating import render_or_plain
from bot.text.categories import CATEGORY_NAMES, CATEGORY_REASONS
from bot.text.filter import Hit
from bot.text.guard import BlockedText
from scripts_library.scripts import Script
from scripts_library.search import ScriptIndex
from sidebar_web.api_context import checked_id, followed_customer, joined_group
from sidebar_web.bodies import read_json
from sidebar_web.common import (
    SidebarError,
    admin_names,
    departments,
    is_admin,
    ok,
    session_of,
    text_field,
)
from sidebar_web.messages import MediaUrl, content_messages, product_message

PAGE = 30
SHORT_LIST = 5
PREVIEW_CHARS = 80
MAX_QUERY = 50
MAX_TEXT_BYTES = 4000  # what WeCom takes for one text message elsewhere (welcome, mass send)
GROUP_NAME = "大家"  # customer_name in a group chat: the script speaks to everyone
_MEDIA_REF = re.compile(r"image-[0-9a-f]{32}")
KIND_LABELS = {
    "image": "图片",
    "video": "视频",
    "file": "文件",
    "link": "链接",
    "miniprogram": "小程序",
    "product": "商品",
}


async def index_of(request: web.Request) -> ScriptIndex:
    index = request.config_dict[SCRIPT_INDEX]
    await index.refresh()  # one round trip when nothing changed; edits elsewhere show at once
    return index


def media_url_for(request: web.Request) -> MediaUrl:
    public = request.config_dict[SETTINGS].public_url
    return lambda ref: f"{public}/sidebar/media/{ref}"


def hits_json(hits: list[Hit]) -> list[dict[str, Any]]:
    return [
        {
            "text": hit.text,
            "word": hit.word,
            "category": CATEGORY_NAMES.get(hit.category, hit.category),
            "reason": CATEGORY_REASONS.get(hit.category, ""),
            "action": hit.action,
        }
        for hit in hits
    ]


def checked_text(request: web.Request, text: str) -> str:
    """The text as it may be sent (mask words starred), or 422 naming the block words."""
    try:
        return request.config_dict[HANDLER_CONTEXT].text.outgoing(text)
    except BlockedText as exc:
        raise SidebarError(
            422, "内容含有禁止发送的词，已拦截，未发送", hits=hits_json(exc.hits)
        ) from None


def summary(script: Script, staff_name: str) -> dict[str, Any]:
    variables = {"customer_name": "（客户）", "staff_name": staff_name, "date": _today()}
    preview = render_or_plain(script.text, variables, f"script {script.id}")
    return {
        "id": script.id,
        "title": script.title,
        "category": script.category,
        "preview": preview[:PREVIEW_CHARS],
        "attachments": [KIND_LABELS.get(str(a.get("msgtype")), "附件") for a in script.attachments],
    }


def _today() -> str:
    return corp_now().strftime("%Y-%m-%d")


async def visible_script(request: web.Request, script_id: str) -> Script:
    index = await index_of(request)
    script = index.get(checked_id(script_id, "话术"))
    userid = session_of(request).userid
    if script is None or not script.enabled:
        raise SidebarError(404, "话术不存在或已停用")
    if not script.visibility.allows(userid, await departments(request)):
        raise SidebarError(404, "话术不存在或已停用")  # the same answer: no hint it exists
    return script


async def scripts_home(request: web.Request) -> web.Response:
    """Categories, the member's recent and most used scripts, and the first page of all."""
    index = await index_of(request)
    session = session_of(request)
    deps = await departments(request)
    store = request.config_dict[HANDLER_CONTEXT].services.scripts
    recent = [index.get(script_id) for script_id in await store.recent(session.userid)]
    shown = [s for s in recent if s and s.enabled and s.visibility.allows(session.userid, deps)][
        :SHORT_LIST
    ]
    most_used = index.most_used(session.userid, deps, SHORT_LIST)
    everything = index.search("", userid=session.userid, departments=deps, limit=PAGE)
    admin = await is_admin(request, session.userid)
    return ok(
        {
            "admin": admin,  # an empty library then says how to add scripts, else whom to ask
            "admins": [] if admin else await admin_names(request),
            "categories": index.categories(session.userid, deps),
            "recent": [summary(s, session.name) for s in shown],
            "most_used": [summary(s, session.name) for s in most_used],
            "scripts": [summary(s, session.name) for s in everything],
        }
    )


async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()
    category = request.query.get("category", "").strip()
    if len(query) > MAX_QUERY or len(category) > 100:
        raise SidebarError(400, f"搜索词最多 {MAX_QUERY} 个字")
    index = await index_of(request)
    session = session_of(request)
    found = index.search(
        query,
        userid=session.userid,
        departments=await departments(request),
        category=category,
        limit=PAGE,
    )
    return ok({"scripts": [summary(s, session.name) for s in found]})


async def script_payload(request: web.Request) -> web.Response:
    """The script rendered for the current chat, as the list of `sendChatMessage` calls."""
    script = await visible_script(request, request.match_info["id"])
    external_userid = request.query.get("external_userid", "")
    chat_id = request.query.get("chat_id", "")
    if external_userid:
        contact, _ = await followed_customer(request, external_userid)
        customer_name = str(contact.get("name", ""))
    elif chat_id:
        await joined_group(request, chat_id)
        customer_name = GROUP_NAME
    else:
        raise SidebarError(400, "缺少当前客户或客户群")
    variables = {
        "customer_name": customer_name,
        "staff_name": session_of(request).name,
        "date": _today(),
    }
    rendered = render_or_plain(script.text, variables, f"script {script.id}")
    text = checked_text(request, rendered) if script.text.strip() else ""
    config = request.config_dict
    media = config[HANDLER_CONTEXT].services.media
    products = config[HANDLER_CONTEXT].services.products
    messages, skipped = await content_messages(
        text,
        script.attachments,
        media,
        products,
        media_url_for(request),
        source=f"script {script.id}",
        guard=config[HANDLER_CONTEXT].text,
    )
    if not messages:
        raise SidebarError(409, "这条话术的内容暂时无法发送，请联系管理员检查附件")
    return ok({"messages": messages, "skipped": skipped})


async def script_sent(request: web.Request) -> web.Response:
    """Count a send and put the script on top of the member's recent list."""
    script = await visible_script(request, request.match_info["id"])
    store = request.config_dict[HANDLER_CONTEXT].services.scripts
    await store.record_send(script.id, session_of(request).userid)
    return ok({"recorded": True})


async def products(request: web.Request) -> web.Response:
    media_url = media_url_for(request)
    listed = await request.config_dict[HANDLER_CONTEXT].services.products.list()
    return ok(
        {
            "products": [
                {
                    "id": p.id,
                    "name": p.name,
                    "price": p.price,
                    "description": p.description,
                    "image": p.image_url or (media_url(p.image_ref) if p.image_ref else ""),
                    "kind": "小程序" if p.is_miniprogram else "链接",
                }
                for p in listed
            ]
        }
    )


async def product_payload(request: web.Request) -> web.Response:
    store = request.config_dict[HANDLER_CONTEXT].services.products
    product = await store.get(checked_id(request.match_info["id"], "商品"))
    if product is None:
        raise SidebarError(404, "商品不存在或已下架")
    message = product_message(product, media_url_for(request))
    if message is None:
        raise SidebarError(409, "该小程序商品没有封面图片，无法发送")
    for piece in texts_of([message]):  # a word blocked since the product was saved
        checked_text(request, piece)
    return ok({"message": message})


async def check_text(request: web.Request) -> web.Response:
    """Free text typed in the sidebar: the message to send, or 422 with the block words."""
    text = text_field(await read_json(request), "text", "要发送的内容", MAX_TEXT_BYTES)
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise SidebarError(400, f"内容过长（上限 {MAX_TEXT_BYTES} 字节）")
    return ok({"message": {"msgtype": "text", "text": {"content": checked_text(request, text)}}})


async def media(request: web.Request) -> web.Response:
    """A cover image by its media ref, for mini-program cards (`imgUrl` must be a URL).

    Public on purpose: the WeCom client fetches it without our cookie. A ref is a 128-bit
    content hash, so only someone who was shown the card (or has the image) can name it.
    """
    ref = request.match_info["ref"]
    if not _MEDIA_REF.fullmatch(ref):
        raise SidebarError(404, "图片不存在")
    config = request.config_dict
    kind, data = await config[REDIS].hmget(config[KEYS].media_blob(ref), ["kind", "data"])
    if kind != "image" or not data:
        raise SidebarError(404, "图片不存在")
    content = base64.b64decode(data)
    content_type = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(
        body=content,
        content_type=content_type,
        headers={"Cache-Control": "public, max-age=86400"},
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/scripts/home", scripts_home)
    app.router.add_get("/api/scripts", search)
    app.router.add_get("/api/scripts/{id}/messages", script_payload)
    app.router.add_post("/api/scripts/{id}/sent", script_sent)
    app.router.add_get("/api/products", products)
    app.router.add_get("/api/products/{id}/message", product_payload)
    app.router.add_post("/api/text/check", check_text)
    app.router.add_get("/media/{ref}", media)
