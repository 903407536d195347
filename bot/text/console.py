"""The console's sensitive-word page (敏感词库): categories with their action and word counts,
the allow list, WeCom intercept-rule sync state with 立即同步, and importing a word file with
the hygiene report (the same refusals as `scrm-bot words import`).

An import and an action change are audited as made in the console; 撤销 takes them back (an
import of more than `UNDO_MAX_WORDS` words is audited but not kept for 撤销: its undo entry
would hold every word). Reading the file happens in the browser; the server gets its text,
bounded at `MAX_IMPORT_BYTES` before it is buffered (the console's per-route body limit).
"""

from __future__ import annotations

from collections import Counter

from aiohttp import web

from bot.admin.call import Call, CommandError
from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.quoting import echo
from bot.text.categories import CATEGORIES, DEFAULT_ACTIONS, WORD_CATEGORIES, label
from bot.text.filter import ACTIONS
from bot.text.intercept_auto import InterceptSyncer, read_state
from bot.text.library import LibraryError, category_of
from bot.text.word_file import read_word_file
from bot.wecom import WeComError
from console_web.pages import page
from console_web.part import ConsolePart
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context

MAX_IMPORT_BYTES = 4 * 1024 * 1024
UNDO_MAX_WORDS = 5_000
SHOWN_LINES = 50
SHOWN_ALLOWED = 200
ACTION_NAMES = {"block": "拦截（不发送）", "mask": "打码（* 替换）", "flag": "仅提醒管理员"}


async def words_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    snapshot = await ctx.services.words.snapshot()
    counts = Counter(category for _, category in snapshot.words)
    rows = [
        (c.key, c.label, snapshot.actions.get(c.key, DEFAULT_ACTIONS[c.key]), counts.get(c.key, 0))
        for c in CATEGORIES
        if not c.detector
    ]
    state = await read_state(ctx.redis, ctx.keys)
    return page(
        "words.html",
        **base_context(request, "words"),
        rows=rows,
        actions=ACTION_NAMES,
        total=len(snapshot.words),
        allowed=snapshot.allow[:SHOWN_ALLOWED],
        allowed_total=len(snapshot.allow),
        sync=state.describe(),
        categories=[(key, label(key)) for key in WORD_CATEGORIES],
    )


async def set_action(request: web.Request) -> web.Response:
    data = request[BODY_OF]
    category, action = data.get("category"), data.get("action")
    if category not in WORD_CATEGORIES or action not in ACTIONS:
        raise ConsoleError(400, "请选择分类和处理方式")
    library = request.config_dict[HANDLER_CONTEXT].services.words
    before = (await library.snapshot()).actions.get(category, DEFAULT_ACTIONS[category])
    if before == action:
        return said(f"「{label(category)}」本来就是{ACTION_NAMES[action]}")
    await library.set_action(category, action)
    summary = f"敏感词分类「{label(category)}」改为{ACTION_NAMES[action]}"
    await admin_session(request).changed(
        "word.set-action", Change("words-action", category, before, action, summary)
    )
    return said(f"已把「{label(category)}」改为{ACTION_NAMES[action]}")


async def undo_action(change: Change, call: Call) -> str:
    try:
        await call.ctx.services.words.set_action(change.target, str(change.before))
    except LibraryError as exc:
        raise CommandError(str(exc)) from None
    return f"已撤销：「{label(change.target)}」恢复为{ACTION_NAMES.get(str(change.before), '')}"


def _lines(found: list[tuple[int, str, str]]) -> list[dict[str, object]]:
    return [{"line": n, "word": echo(w), "reason": r} for n, w, r in found[:SHOWN_LINES]]


async def import_words(request: web.Request) -> web.Response:
    """`{"name", "text", "category", "keep_risky"}` → the import report, in Chinese."""
    data = request[BODY_OF]
    text, category = data.get("text"), data.get("category")
    name = data.get("name") if isinstance(data.get("name"), str) else "文件"
    if not isinstance(text, str) or not text.strip():
        raise ConsoleError(400, "请选择一个词表文件（每行一个词，或「词,分类」）")
    try:
        default = category_of(category) if isinstance(category, str) and category else ""
    except LibraryError as exc:
        raise ConsoleError(400, str(exc)) from None
    library = request.config_dict[HANDLER_CONTEXT].services.words
    lines, malformed = read_word_file(text, default)
    words = list(dict.fromkeys(word.strip() for _, word, _ in lines if word.strip()))
    before = await library.categories(words) if words else {}
    report = await library.add(lines, refuse_risky=data.get("keep_risky") is not True)
    refused = sorted(report.refused + malformed)
    if report.added or report.already:
        kept = {w for _, w, _ in report.refused}
        after = {w: c for w, c in (await library.categories(words)).items() if w not in kept}
        summary = f"从「{echo(str(name), 40)}」导入敏感词 {report.added} 个"
        await admin_session(request).changed(
            "word.import",
            Change("words", default or "file", before, after, summary),
            undoable=len(after) <= UNDO_MAX_WORDS,
        )
    head = f"新增 {report.added} 个，已在词库 {report.already} 个，未导入 {len(refused)} 行"
    if report.flagged:
        head += f"，有误伤风险但已保留 {len(report.flagged)} 个"
    if report.added and len(words) > UNDO_MAX_WORDS:
        head += f"（超过 {UNDO_MAX_WORDS} 个词的导入不能撤销；要去掉请用「敏感词 删除」）"
    return said(
        head,
        refused=not (report.added or report.already),
        lines=_lines(refused),
        flagged=_lines(report.flagged),
        more=max(0, len(refused) - SHOWN_LINES),
    )


async def sync_now(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    try:
        synced = await InterceptSyncer(ctx.redis, ctx.keys, ctx.wecom.intercept).sync_now()
    except WeComError as exc:
        return said(f"同步失败：错误码 {exc.errcode}：{exc.explanation}", refused=True)
    del synced
    return said((await read_state(ctx.redis, ctx.keys)).describe())


def setup(app: web.Application) -> None:
    app.router.add_get("/words", words_page)
    app.router.add_post("/api/words/action", set_action)
    app.router.add_post("/api/words/import", import_words)
    app.router.add_post("/api/words/sync", sync_now)


PART = ConsolePart(
    (("words", "敏感词库"),),
    setup,
    body_limits={"/console/api/words/import": MAX_IMPORT_BYTES},
)
