"""The WeCom client's side of the sidebar, imitated: the OAuth2 authorize page and a chat window.

In WeCom, a page opened from the chat toolbar is first sent to
`open.weixin.qq.com/connect/oauth2/authorize` (doc 91022); the client signs the member in
silently (scope snsapi_base) and redirects to `redirect_uri?code=CODE&state=STATE`. The sandbox
has no client, so the member it signs in is chosen beforehand with `Sandbox.sign_in(userid)`
(or `POST /sandbox/signed_in`). The code it mints is the one `auth/getuserinfo` accepts.

`/sandbox/chat` is a simulated chat window for the demo: it frames a sidebar URL and answers
the stub `ww` (`/sandbox/static/ww-stub.js`, loaded by the framed page) over postMessage,
showing each `sendChatMessage` as a sent bubble.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.sandbox.dispatch import SANDBOX_KEY

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

STATIC = Path(__file__).with_name("static")
SCOPES = ("snsapi_base", "snsapi_privateinfo")
_STATE = re.compile(r"[A-Za-z0-9]{0,128}")  # doc 91022: a-zA-Z0-9, at most 128 bytes
_ID = re.compile(r"[A-Za-z0-9_-]{0,64}")
ENTRIES = ("single_chat_tools", "group_chat_tools", "contact_profile", "normal")


def _refuse(reason: str) -> web.Response:
    """WeCom shows an error page in the client; the sandbox answers 400 with the reason."""
    body = f"<!doctype html><meta charset=utf-8><title>授权失败</title><p>{html.escape(reason)}"
    return web.Response(status=400, text=body, content_type="text/html")


async def authorize(request: web.Request) -> web.Response:
    """Sign the chosen member in and redirect to `redirect_uri` with a fresh code."""
    sandbox: Sandbox = request.app[SANDBOX_KEY]
    query = request.query
    if query.get("appid") != sandbox.corp_id:
        return _refuse("appid 与企业 ID 不一致")
    redirect_uri = query.get("redirect_uri", "")
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        return _refuse("redirect_uri 无效")
    if query.get("response_type") != "code":
        return _refuse("response_type 只能是 code")
    if query.get("scope") not in SCOPES:
        return _refuse("scope 只能是 snsapi_base 或 snsapi_privateinfo")
    if query.get("agentid", str(sandbox.agent_id)) != str(sandbox.agent_id):
        return _refuse("agentid 与应用不一致")
    state = query.get("state", "")
    if not _STATE.fullmatch(state):
        return _refuse("state 只能由字母和数字组成，最长 128 字节")
    if sandbox.signed_in is None:
        return _refuse("沙箱中没有已登录的成员：先调用 sandbox.sign_in(userid)")
    code = sandbox.mint_oauth_code(sandbox.signed_in)
    extra = urlencode({"code": code, "state": state})
    joiner = "&" if target.query else "?"
    raise web.HTTPFound(f"{redirect_uri.split('#', 1)[0]}{joiner}{extra}")


async def web_login(request: web.Request) -> web.Response:
    """WeCom's web login (doc 98151), with the scan already done: the member chosen with
    `Sandbox.sign_in` "scanned", so the browser goes straight back with a code."""
    sandbox: Sandbox = request.app[SANDBOX_KEY]
    query = request.query
    if query.get("login_type") != "CorpApp":
        return _refuse("login_type 只能是 CorpApp（企业自建应用）")
    if query.get("appid") != sandbox.corp_id:
        return _refuse("appid 与企业 ID 不一致")
    if query.get("agentid") != str(sandbox.agent_id):
        return _refuse("agentid 与应用不一致")
    redirect_uri = query.get("redirect_uri", "")
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        return _refuse("redirect_uri 无效")
    state = query.get("state", "")
    if not _STATE.fullmatch(state):
        return _refuse("state 只能由字母和数字组成，最长 128 字节")
    scanner = sandbox.scanner or sandbox.signed_in
    if scanner is None:
        return _refuse("沙箱中没有扫码的成员：先调用 sandbox.scan_in(userid)")
    code = sandbox.mint_oauth_code(scanner)
    extra = urlencode({"code": code, "state": state})
    joiner = "&" if target.query else "?"
    raise web.HTTPFound(f"{redirect_uri}{joiner}{extra}")


async def chat_window(request: web.Request) -> web.Response:
    """A chat with a customer (or a group) beside the sidebar framed from `sidebar`."""
    sandbox: Sandbox = request.app[SANDBOX_KEY]
    query = request.query
    sidebar = query.get("sidebar", "")
    entry = query.get("entry", "single_chat_tools")
    external_userid = query.get("external_userid", "")
    chat_id = query.get("chat_id", "")
    if urlsplit(sidebar).scheme not in ("http", "https") or entry not in ENTRIES:
        return _refuse("需要 sidebar=http(s)://… 和有效的 entry")
    if not (_ID.fullmatch(external_userid) and _ID.fullmatch(chat_id)):
        return _refuse("external_userid / chat_id 无效")
    contact = sandbox.state.contacts.get(external_userid)
    group = sandbox.state.groups.get(chat_id)
    customer = contact.name if contact else "客户"
    title = (group.name or "客户群") if group is not None else customer
    context = {"entry": entry, "userId": external_userid, "chatId": chat_id}
    page = (STATIC / "chat.html").read_text(encoding="utf-8")
    # the page's only dynamic parts, escaped for their context (text, attribute, JSON in script)
    page = page.replace("{{title}}", html.escape(title))
    page = page.replace("{{sidebar}}", html.escape(sidebar, quote=True))
    page = page.replace("{{context}}", json.dumps(context).replace("<", "\\u003c"))
    return web.Response(text=page, content_type="text/html")


async def static_file(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in ("ww-stub.js", "chat.js", "chat.css"):
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name)


MODULES, SCALE, QUIET = 25, 8, 4


def code_png(seed: str) -> bytes:
    """A PNG that looks like a QR code (three finder squares, modules from a hash of `seed`):
    what WeCom's image host returns for a contact way's `qr_code`, without encoding anything."""
    bits = int.from_bytes(hashlib.sha512(seed.encode()).digest() * 2, "big")

    def dark(x: int, y: int) -> bool:
        for fx, fy in ((0, 0), (MODULES - 7, 0), (0, MODULES - 7)):
            if fx <= x < fx + 7 and fy <= y < fy + 7:
                ring = max(abs(x - fx - 3), abs(y - fy - 3))
                return ring != 2
        return bool(bits >> (y * MODULES + x) % 1024 & 1)

    side = (MODULES + 2 * QUIET) * SCALE
    rows = bytearray()
    for py in range(side):
        rows.append(0)  # filter: none
        y = py // SCALE - QUIET
        for px in range(side):
            x = px // SCALE - QUIET
            inside = 0 <= x < MODULES and 0 <= y < MODULES
            rows.append(0 if inside and dark(x, y) else 255)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


async def contact_way_image(request: web.Request) -> web.Response:
    """WeCom's image host for contact-way and group live codes: a code-like PNG per config id."""
    sandbox: Sandbox = request.app[SANDBOX_KEY]
    config_id = request.match_info["config_id"]
    if config_id not in sandbox.state.contact_ways and config_id not in sandbox.state.join_ways:
        raise web.HTTPNotFound()
    return web.Response(body=code_png(config_id), content_type="image/png")


def add_client_routes(app: web.Application) -> None:
    app.router.add_get("/connect/oauth2/authorize", authorize)
    app.router.add_get("/wwlogin/sso/login", web_login)
    app.router.add_get("/wwpic/sandbox/{config_id}/0", contact_way_image)
    app.router.add_get("/sandbox/chat", chat_window)
    app.router.add_get("/sandbox/static/{name}", static_file)
