"""`话术 替换 <旧文本> | <新文本>`: one piece of text changed in every script at once.

Every script whose title or content contains the old text is changed. The command is confirmed
with a code: the preview lists the scripts and remembers their versions, and the confirmed
command refuses when any of them changed in between. Every new text is checked first (nothing
is saved when one of them would be refused), then all are saved as new versions in one WATCHed
transaction, so `话术 历史/恢复` still work per script. One audit entry; one `撤销` puts them
all back.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace

from redis.exceptions import WatchError

from bot.admin.call import Call, CommandError, Confirmation, short
from bot.admin.grammar import Parsed
from bot.admin.session import Change
from bot.text.filter import Hit
from bot.text.guard import TextGuard, describe
from scripts_library.scripts import Script, ScriptError, ScriptStore, validate

MAX_SCRIPTS = 200  # per command; more is a job for scrm-bot export / import
SAVE_TRIES = 3  # WATCH retries when other scripts change during the save


def _store(call: Call) -> ScriptStore:
    return call.ctx.services.scripts


def _quoted(text: str) -> str:
    return f"「{short(text, 30)}」"


async def _pairs(cmd: Parsed, call: Call) -> list[tuple[Script, Script]]:
    """(stored, replaced) for every script whose title or content contains the old text."""
    old, new = cmd["old"], cmd["new"]
    if old == new:
        raise CommandError("旧文本和新文本一样，不用替换。")
    found = [s for s in await _store(call).all() if old in s.title or old in s.text]
    if not found:
        raise CommandError(f"没有标题或内容含{_quoted(old)}的话术，没有改动。")
    if len(found) > MAX_SCRIPTS:
        raise CommandError(
            f"有 {len(found)} 条话术含{_quoted(old)}，一次最多替换 {MAX_SCRIPTS} 条。"
            "请把旧文本写得更具体，或用 scrm-bot export / import 批量修改。"
        )
    return [
        (s, replace(s, title=s.title.replace(old, new), text=s.text.replace(old, new)))
        for s in found
    ]


def _blocked(guard: TextGuard, script: Script) -> list[Hit]:
    hits = [hit for part in (script.title, script.text) for hit in guard.scan(part)]
    unique = {(hit.text, hit.category): hit for hit in hits if hit.action == "block"}
    return list(unique.values())


def check(pairs: list[tuple[Script, Script]], guard: TextGuard, head: str) -> None:
    """Raise `CommandError` (starting with `head`) naming every script whose new version would
    be refused: first the blocked words of each, else the other problems."""
    blocked, other = [], []
    for before, after in pairs:
        name = f"{before.id}「{before.title}」"
        hits = _blocked(guard, after)
        if hits:
            blocked.append(f"{name}：{describe(hits)}")
            continue
        try:
            validate(after, guard)
        except ScriptError as exc:
            other.append(f"{name}：{exc}")
    if blocked:
        lines = "\n".join(blocked)
        raise CommandError(f"{head}：这些话术会含有禁止使用的词，所有话术都没有改动：\n{lines}")
    if other:
        raise CommandError(f"{head}：这些话术无法保存，所有话术都没有改动：\n" + "\n".join(other))


def _changed(seen: dict[str, int], now: dict[str, int]) -> None:
    ids = sorted(sid for sid in seen.keys() | now.keys() if seen.get(sid) != now.get(sid))
    if ids:
        listed = "、".join(ids[:10]) + ("等" if len(ids) > 10 else "")
        raise CommandError(
            f"没有替换：确认前话术有了改动（{listed}），为免覆盖别人的修改，所有话术都没有改动。"
            "请重新发送这条替换命令，看最新的列表。"
        )


async def preview(cmd: Parsed, call: Call) -> Confirmation:
    pairs = await _pairs(cmd, call)
    check(pairs, await call.guard(), "不能替换")
    lines = [
        f"将把 {len(pairs)} 条话术里的{_quoted(cmd['old'])}换成{_quoted(cmd['new'])}",
        "涉及的话术（编号 · 标题）：",
        *(f"{before.id} · {before.title}" for before, _ in pairs),
    ]
    return Confirmation("\n".join(lines), {before.id: before.version for before, _ in pairs})


async def _save(call: Call, pairs: list[tuple[Script, Script]], seen: dict[str, int]) -> None:
    """Save every new version in one transaction, if each script is still the version seen."""
    redis, key, store = call.ctx.redis, call.ctx.keys.scripts, _store(call)
    ids = [before.id for before, _ in pairs]
    for _ in range(SAVE_TRIES):
        async with redis.pipeline(transaction=True) as tx:
            await tx.watch(key)
            stored = zip(ids, await tx.hmget(key, ids), strict=True)
            now = {sid: Script.from_json(raw).version for sid, raw in stored if raw}
            _changed({sid: seen[sid] for sid in ids}, now)
            tx.multi()
            at = time.time()
            for before, after in pairs:
                store.queue_save(tx, after, before, call.admin, at)
            try:
                await tx.execute()
                return
            except WatchError:
                continue  # another script changed meanwhile: check these again
    raise CommandError("话术库正在被频繁修改，没有替换。请稍后再发一次这条替换命令。")


async def replace_text(cmd: Parsed, call: Call) -> str:
    seen = {str(sid): int(version) for sid, version in dict(call.seen or {}).items()}
    pairs = await _pairs(cmd, call)
    _changed(seen, {before.id: before.version for before, _ in pairs})
    check(pairs, await call.guard(), "没有替换")
    await _save(call, pairs, seen)
    old, new = _quoted(cmd["old"]), _quoted(cmd["new"])
    await call.session.changed(
        "script.replace",
        Change(
            "scripts",
            ",".join(before.id for before, _ in pairs),
            [asdict(before) for before, _ in pairs],
            [asdict(after) for _, after in pairs],
            f"把 {len(pairs)} 条话术里的{old}换成{new}",
        ),
    )
    ids = "、".join(before.id for before, _ in pairs)
    return (
        f"已把 {len(pairs)} 条话术里的{old}换成{new}，每条都存为新版本。\n"
        f"编号：{ids}\n发送「撤销」可全部改回。"
    )


async def undo(change: Change, call: Call) -> str:
    """Put every script of a replace back as it was (each saved as a new version)."""
    olds = [Script.from_dict(dict(raw)) for raw in change.before or []]
    guard = await call.guard()
    check([(old, old) for old in olds], guard, "没有保存")
    try:
        await _store(call).save_many(olds, call.admin, guard)
    except ScriptError as exc:
        raise CommandError(f"没有保存：{exc}") from None
    return f"已撤销：{len(olds)} 条话术已恢复为替换前的样子。"
