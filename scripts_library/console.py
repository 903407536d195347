"""The console's script-library page (话术库): the category tree with counts, search over every
script (disabled and restricted ones too: admins manage the whole library), one script with its
version history, and the library's file import and export (YAML or CSV, as the CLI's).

Edits and restores run the admin chat commands (话术 修改 / 话术 恢复) through the console's
command API, so they are checked, audited and undone as in chat. An import is checked row by
row first (nothing saved when a row is wrong, each problem by line) and audited; a script it
changed keeps its previous version in its history.
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePath

from aiohttp import web

from bot.admin.call import Call
from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT, SCRIPT_INDEX
from bot.clock import corp_clock
from bot.quoting import echo
from console_web.pages import page
from console_web.part import ConsolePart
from console_web.preview import preview as preview_text
from console_web.session_keys import BODY_OF, SESSION_OF, ConsoleError, admin_session, said
from console_web.views import base_context
from scripts_library import console_products
from scripts_library.scripts import MAX_TEXT_BYTES, VARIABLES, Script, ScriptError
from scripts_library.transfer import ImportProblems, export_text, import_rows, rows_of

MAX_IMPORT_BYTES = 6 * 1024 * 1024  # a 4 MB file's text, as JSON
MAX_FILE_CHARS = 4 * 1024 * 1024
SHOWN = 100


def tree(scripts: list[Script]) -> list[tuple[str, int, int]]:
    """(category path, depth, scripts in it and below) for every category level, in order."""
    counts: Counter[str] = Counter()
    for script in scripts:
        parts = script.category.split("/")
        for depth in range(1, len(parts) + 1):
            counts["/".join(parts[:depth])] += 1
    return [(path, path.count("/"), counts[path]) for path in sorted(counts)]


async def scripts_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    query = request.query.get("q", "")[:100]
    category = request.query.get("category", "")[:200]
    everything = await ctx.services.scripts.all()
    if query:
        index = request.config_dict[SCRIPT_INDEX]
        await index.refresh()
        session = request[SESSION_OF]
        found = index.search(
            query,
            userid=session.userid,
            departments=[],
            category=category,
            limit=SHOWN,
            every_script=True,
        )
    else:
        prefix = category + "/"
        found = [s for s in everything if not category or (s.category + "/").startswith(prefix)]
    sends = await ctx.services.scripts.sends()
    return page(
        "scripts.html",
        **base_context(request, "scripts"),
        tree=tree(everything),
        total=len(everything),
        query=query,
        category=category,
        found=found[:SHOWN],
        more=max(0, len(found) - SHOWN),
        sends=sends,
    )


async def script_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    script = await ctx.services.scripts.get(request.match_info["id"])
    if script is None:
        raise web.HTTPNotFound()
    history = await ctx.services.scripts.history(script.id)
    names = ctx.services.names
    author = await names.staff_for_admins(script.updated_by) if script.updated_by else ""
    return page(
        "script.html",
        **base_context(request, "scripts"),
        script=script,
        author=author,
        updated=corp_clock(script.updated_at) if script.updated_at else "",
        history=[(old, corp_clock(old.updated_at) if old.updated_at else "") for old in history],
    )


async def export(request: web.Request) -> web.Response:
    fmt = "yaml" if request.query.get("format") == "yaml" else "csv"
    scripts = await request.config_dict[HANDLER_CONTEXT].services.scripts.all()
    body = export_text(scripts, fmt)
    kind = "application/yaml" if fmt == "yaml" else "text/csv"
    disposition = f'attachment; filename="scripts.{fmt}"'
    return web.Response(
        text=body, content_type=kind, charset="utf-8", headers={"Content-Disposition": disposition}
    )


async def import_file(request: web.Request) -> web.Response:
    """`{"name": "scripts.csv", "text": …}`: every row checked, then all saved, or none."""
    data = request[BODY_OF]
    name, text = data.get("name"), data.get("text")
    if not isinstance(name, str) or not isinstance(text, str) or not text.strip():
        raise ConsoleError(400, "请选择一个话术文件（.yaml / .yml / .csv）")
    if len(text) > MAX_FILE_CHARS:
        raise ConsoleError(413, "文件太大（上限 4 MB），请分成几个文件导入")
    ctx = request.config_dict[HANDLER_CONTEXT]
    userid = request[SESSION_OF].userid
    session = admin_session(request)
    guard = await Call(ctx, session).guard()  # the library as it is now, as a save checks it
    suffix = PurePath(name).suffix
    try:
        rows = rows_of(text.lstrip("\ufeff"), suffix)
        done = await import_rows(ctx.services.scripts, rows, suffix != ".csv", userid, guard)
    except ImportProblems as exc:
        return said(str(exc), refused=True)
    except ScriptError as exc:
        return said(f"没有导入：{exc}", refused=True)
    summary = f"从「{echo(name, 40)}」导入话术：新建 {done['created']}，更新 {done['updated']}"
    change = Change("script-import", name, None, done, summary)
    await session.changed("script.import", change, undoable=False)
    reply = (
        f"已导入：新建 {done['created']} 条，更新 {done['updated']} 条"
        "（更新前的版本在各自的历史里，可逐条恢复）"
    )
    return said(reply)


async def preview(request: web.Request) -> web.Response:
    """A script's text as the customer will see it, while it is edited."""
    return await preview_text(request, "话术", VARIABLES, MAX_TEXT_BYTES)


def setup(app: web.Application) -> None:
    console_products.setup(app)
    app.router.add_post("/api/scripts/preview", preview)
    app.router.add_get("/scripts", scripts_page)
    app.router.add_get(r"/scripts/{id:[0-9a-f]{8}}", script_page)
    app.router.add_get("/scripts/export", export)
    app.router.add_post("/api/scripts/import", import_file)


PART = ConsolePart(
    (("scripts", "话术库"), ("products", "商品")),
    setup,
    {"script.add": "api/scripts/preview"},  # the 话术 page's 新增 form previews its text
    body_limits={"/console/api/scripts/import": MAX_IMPORT_BYTES},
)
