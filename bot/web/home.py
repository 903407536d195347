"""The bot's root page and WeCom's domain verification file, both at the domain root.

`/` answers a small page saying what this server is and where its parts are, instead of a bare
404 (the URL a newcomer opens first, printed by the demo). It shows nothing secret and reads
nothing from Redis: the endpoints, and the extra links a demo adds.

`/WW_verify_<code>.txt`: WeCom proves a trusted domain (可信域名) by fetching the file its admin
console hands out from the domain root. With `SCRM_DOMAIN_VERIFY_FILE` set, the bot answers that
one name with the file's content (read once at start), so nothing has to be copied onto the web
server; every other name at the root stays a 404.
"""

from __future__ import annotations

import html

from aiohttp import web

from bot.appkeys import HOME_LINKS, SETTINGS

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
PARTS = (
    ("/wecom/callback", "企业微信回调（在应用的「接收消息」里填这个地址）"),
    ("/sidebar/", "聊天工具栏侧边栏（在企业微信的客户聊天里打开）"),
    ("/healthz", "存活检查"),
    ("/readyz", "就绪检查（Redis 可用）"),
    ("/metrics", "Prometheus 指标"),
)


async def _home(request: web.Request, parts: tuple[tuple[str, str], ...]) -> web.Response:
    links = [*parts, *request.app.get(HOME_LINKS, [])]
    items = "\n".join(
        f'<li><a href="{html.escape(url)}">{html.escape(url)}</a> — {html.escape(label)}</li>'
        for url, label in links
    )
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scrm-bot</title>
<style>body{{font:15px/1.6 sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}</style>
</head><body>
<h1>scrm-bot 正在运行</h1>
<p>企业微信 SCRM 机器人：新客欢迎语、话术侧边栏、敏感词、SOP 提醒。
这个地址本身不需要在浏览器里使用；接入企业微信的步骤见项目文档 docs/connect-wecom.md。</p>
<ul>
{items}
</ul>
</body></html>
"""
    return web.Response(text=page, content_type="text/html", headers=HEADERS)


def setup_routes(app: web.Application, *, public: bool = True) -> None:
    """`/` (listing the callback and the sidebar only where this process serves them) and the
    verification file when one is configured."""
    parts = PARTS if public else PARTS[2:]

    async def home(request: web.Request) -> web.Response:
        return await _home(request, parts)

    app.router.add_get("/", home)
    settings = app[SETTINGS]
    if settings.domain_verify_file is None:
        return
    content = settings.domain_verify_file.read_bytes()
    name = settings.domain_verify_file.name

    async def verify_file(_: web.Request) -> web.Response:
        return web.Response(body=content, content_type="text/plain", headers=HEADERS)

    app.router.add_get(f"/{name}", verify_file)
