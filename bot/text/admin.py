"""`敏感词 …`: add and remove words by category, list them, test a text against them."""

from __future__ import annotations

import re
from typing import Any

from bot.admin.call import AdminPart, Call, CommandError
from bot.admin.grammar import Noun, Parsed, Spec
from bot.admin.session import Change
from bot.quoting import echo
from bot.text.categories import label
from bot.text.console import undo_action
from bot.text.guard import describe
from bot.text.hygiene import check_word
from bot.text.intercept_auto import read_state
from bot.text.lexicon import MAX_WORD_CHARS
from bot.text.library import LibraryError, category_of

_SEPARATORS = re.compile(r"[\s,，、;；]+")
MAX_WORDS_PER_COMMAND = 200
WORDS_PER_LINE = 20
MAX_EXPLAINED = 5  # hit words a test explains: a long text may hit dozens


def _words(text: str) -> list[str]:
    words = list(dict.fromkeys(w for w in _SEPARATORS.split(text) if w))
    if len(words) > MAX_WORDS_PER_COMMAND:
        raise CommandError(
            f"一次最多 {MAX_WORDS_PER_COMMAND} 个词；更多请用 scrm-bot words import。"
        )
    return words


def _listed(words: list[str], most: int = 10) -> str:
    """Words someone typed, each echoed short, at most `most` of them."""
    shown = "、".join(echo(w) for w in words[:most])
    return shown + (f" 等共 {len(words)} 个" if len(words) > most else "")


def category_name(category: str) -> str:
    return label(category)


def words_added(category: str, words: list[str], before: dict[str, str], report: Any) -> Change:
    """The change `敏感词 新增` records (and `scrm-bot words add` with it): the words of
    `category` the library took, and the categories they had before."""
    refused = {word for _, word, _ in report.refused}
    after = {w: category for w in words if w not in refused}
    summary = f"新增敏感词（{category_name(category)}）{len(after)} 个"
    return Change("words", category, before, after, summary)


async def add(cmd: Parsed, call: Call) -> str:
    try:
        category = category_of(cmd["category"])
    except LibraryError as exc:
        raise CommandError(str(exc)) from None
    words = _words(cmd["words"])
    library = call.ctx.services.words
    before = await library.categories(words)
    moved = [w for w, c in before.items() if c != category]
    report = await library.add((n, w, category) for n, w in enumerate(words, 1))
    if report.refused:
        refused = "；".join(f"「{echo(word)}」{why}" for _, word, why in report.refused[:10])
        if len(report.refused) > 10:
            refused += f"；等共 {len(report.refused)} 个"
        if not report.added and not report.already:
            raise CommandError(f"没有新增：{refused}")
    change = words_added(category, words, before, report)
    accepted = list(change.after)
    await call.session.changed("word.add", change)
    lines = [f"已加入「{category_name(category)}」：{'、'.join(accepted)}"]
    if len(before) > len(moved):
        lines.append(f"其中 {len(before) - len(moved)} 个原来就在这一类")
    if moved:
        lines.append(f"{'、'.join(moved)} 原来在别的分类，已改到这一类")
    if report.refused:
        lines.append(f"未加入：{refused}")
    for _, word, why in report.flagged[:MAX_EXPLAINED]:
        lines.append(f"⚠「{echo(word)}」可能误伤正常对话：{why}。不需要时发送「撤销」")
    if len(report.flagged) > MAX_EXPLAINED:
        lines.append(f"⚠ 另有 {len(report.flagged) - MAX_EXPLAINED} 个词有误伤风险")
    return "\n".join(lines)


async def preview_remove(cmd: Parsed, call: Call) -> str:
    words = _words(cmd["words"])
    known = await call.ctx.services.words.categories(words)
    present = [w for w in words if w in known]
    if not present:
        raise CommandError(f"词库里没有：{_listed(words)}")
    missing = [w for w in words if w not in present]
    note = f"（词库里没有：{_listed(missing)}）" if missing else ""
    return f"将删除 {len(present)} 个敏感词：{'、'.join(present)}{note}"


async def remove(cmd: Parsed, call: Call) -> str:
    words = _words(cmd["words"])
    before = await call.ctx.services.words.categories(words)
    if not before:
        raise CommandError(f"词库里没有：{_listed(words)}")
    await call.ctx.services.words.remove(before)
    await call.session.changed(
        "word.remove", Change("words", "", before, None, f"删除敏感词 {len(before)} 个")
    )
    return f"已删除 {len(before)} 个敏感词：{'、'.join(before)}。发送「撤销」可恢复。"


async def listing(cmd: Parsed, call: Call) -> str:
    wanted = ""
    if cmd["category"]:
        try:
            wanted = category_of(cmd["category"])
        except LibraryError as exc:
            raise CommandError(str(exc)) from None
    snapshot = await call.ctx.services.words.snapshot()
    by_category: dict[str, list[str]] = {}
    for word, category in snapshot.words:
        if not wanted or category == wanted:
            by_category.setdefault(category, []).append(word)
    if not by_category:
        return "词库里还没有这一类的词。" if wanted else "词库是空的。"
    lines = [] if wanted else [(await read_state(call.ctx.redis, call.ctx.keys)).describe()]
    for category, words in sorted(by_category.items()):
        lines.append(f"【{category_name(category)}】{len(words)} 个：")
        # a line of words at a time, so a page never splits a word
        lines += [
            "、".join(words[i : i + WORDS_PER_LINE]) for i in range(0, len(words), WORDS_PER_LINE)
        ]
    return "\n".join(lines)


async def test(cmd: Parsed, call: Call) -> str:
    """Scan a text with the library as it stands; name what each hit word matches as, and,
    for a text short enough to be a word, what listing it would match."""
    text = cmd["text"]
    hits = (await call.guard()).scan(text)
    lines = []
    if hits:
        blocked = any(hit.action == "block" for hit in hits)
        verdict = "保存或发送时会被拦截" if blocked else "不会拦截，只记录"
        lines.append(f"命中{describe(hits)}：{verdict}。")
        for word in dict.fromkeys(hit.word for hit in hits[:MAX_EXPLAINED]):
            report = check_word(word)
            if report.folded != word or report.risky:
                risky = f"；误伤风险：{'；'.join(report.risks)}" if report.risky else ""
                lines.append(f"「{echo(word)}」按「{echo(report.folded)}」匹配{risky}")
    else:
        lines.append("没有命中敏感词。")
    word = text.strip()
    if not hits and len(word) <= MAX_WORD_CHARS and " " not in word:
        report = check_word(word)  # a word the admin may list: say what it would catch
        if report.folded and (report.folded != word or report.risky):
            risks = "；".join(report.risks)
            risky = f"，误伤风险：{risks}" if report.risky else ""
            lines.append(f"若列为敏感词：按「{echo(report.folded)}」匹配{risky}。")
    return "\n".join(lines)


async def allow(cmd: Parsed, call: Call) -> str:
    """Allow one phrase: the words inside it no longer count there (a false block in one step)."""
    phrase = cmd["phrase"].strip()
    library = call.ctx.services.words
    before = await library.snapshot()
    if phrase in before.allow:
        return f"「{echo(phrase)}」已经放行过了。"
    hits = (await call.guard()).scan(phrase)
    try:
        await library.allow([phrase])
    except LibraryError as exc:
        raise CommandError(str(exc)) from None
    await call.session.changed(
        "word.allow", Change("allow", phrase, None, phrase, f"放行短语「{echo(phrase)}」")
    )
    inside = f"，其中的{describe(hits)}在这个短语里不再拦截" if hits else ""
    return f"已放行「{echo(phrase)}」{inside}。发送「撤销」可取消。"


async def undo_allow(change: Change, call: Call) -> str:
    await call.ctx.services.words.allow([change.target], remove=True)
    return f"已撤销：「{echo(change.target)}」不再放行。"


async def undo(change: Change, call: Call) -> str:
    library = call.ctx.services.words
    if change.after:  # an add: drop the new words, give the old ones their category back
        before = dict(change.before or {})
        added = [w for w in change.after if w not in before]
        await library.remove(added)
        if before:
            await library.add((n, w, c) for n, (w, c) in enumerate(before.items(), 1))
        return f"已撤销：去掉了刚加入的 {len(added)} 个敏感词。"
    restored = dict(change.before or {})
    await library.add((n, w, c) for n, (w, c) in enumerate(restored.items(), 1))
    return f"已撤销：{len(restored)} 个敏感词已放回词库。"


PART = AdminPart(
    nouns=(Noun("word", ("敏感词", "word", "words"), "敏感词"),),
    specs=(
        Spec(
            "word",
            "add",
            ("新增", "添加", "add"),
            ("category", "words"),
            usage="敏感词 新增 竞品 | 某某品牌 另一个词",
            help="按分类新增敏感词，多个词用空格或逗号分开。分类：竞品、辱骂、广告法、不文明、政治、迷信、行业、自定义。",
            pipe=True,
            changes=True,
        ),
        Spec(
            "word",
            "remove",
            ("删除", "remove", "delete"),
            ("words",),
            usage="敏感词 删除 某某品牌 另一个词",
            help="删除敏感词（要确认；可撤销）。",
            changes=True,
            destructive=True,
        ),
        Spec(
            "word",
            "allow",
            ("放行", "allow"),
            ("phrase",),
            usage="敏感词 放行 唯一的缺点",
            help="放行一个短语：短语里的词不再算命中（误拦时用；其他地方照常拦截；可撤销）。",
            changes=True,
        ),
        Spec(
            "word",
            "list",
            ("列表", "list"),
            ("category",),
            optional=1,
            usage="敏感词 列表 [分类]",
            help="列出敏感词（可只看一个分类）。",
        ),
        Spec(
            "word",
            "test",
            ("测试", "test"),
            ("text",),
            usage="敏感词 测试 <一段文字>",
            help="检查一段文字会命中哪些敏感词。",
        ),
    ),
    executors={
        "word.add": add,
        "word.remove": remove,
        "word.list": listing,
        "word.test": test,
        "word.allow": allow,
    },
    previews={"word.remove": preview_remove},
    undo={"words": undo, "allow": undo_allow, "words-action": undo_action},  # the console's
)
