"""The daily digest of welcomes that did not go out, sent to the admins by app message.

At `SCRM_DIGEST_HOUR` (corp time) one process — whichever first marks the day in Redis —
composes yesterday's tally. A day without failures sends nothing: a digest that always
arrives is a digest nobody reads.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.names import labeled
from bot.wecom import WeComError
from bot.wecom.api.message import MessageAPI
from bot.wecom.errors import explain
from bot.welcome.channels import ChannelStore
from bot.welcome.store import WelcomeStore

MAX_BYTES = 2000  # an app text message takes 2048 bytes
TOP = 5
LABELS = {
    "failed": "发送失败",
    "expired": "欢迎语 code 已过期",
    "already_sent": "已发送过或客户已开始聊天",
    "no_code": "没有欢迎语 code（后台配置了欢迎语，或客户已开始聊天）",
    "blocked": "含禁止使用的词，未发送",
}
FALLBACK = "含禁止使用的词，改发了默认欢迎语"

log = logging.getLogger(__name__)


def outcomes(tally: dict[str, int]) -> tuple[list[tuple[str, int]], list[tuple[int, int, str]]]:
    """A tally's outcomes in words ((label, count): sent first, then each reason not sent) and
    its errcodes, most frequent first, each explained: the console's dashboard."""
    rows = [("已发送", tally.get("outcome:sent", 0))]
    rows += [(LABELS[outcome], tally.get(f"outcome:{outcome}", 0)) for outcome in LABELS]
    if tally.get("outcome:fallback"):
        rows.append((FALLBACK + "（已计入已发送）", tally["outcome:fallback"]))
    errors = sorted(
        ((int(k.removeprefix("error:")), n) for k, n in tally.items() if k.startswith("error:")),
        key=lambda item: -item[1],
    )
    return rows, [(code, n, explain(code)) for code, n in errors[:TOP]]


def compose(
    day: str, tally: dict[str, int], names: dict[str, str], channels: dict[str, str] | None = None
) -> str | None:
    """The digest text for one day's tally, or None when nothing failed; templates by `names`,
    channel codes by `channels` (State → name), each with its id in brackets."""
    failed = {outcome: tally.get(f"outcome:{outcome}", 0) for outcome in LABELS}
    fallback = tally.get("outcome:fallback", 0)
    if not any(failed.values()) and not fallback:
        return None
    lines = [
        f"【欢迎语日报】{day}",
        f"已发送 {tally.get('outcome:sent', 0)} 条，未发送 {sum(failed.values())} 条：",
    ]
    lines += [f"· {LABELS[outcome]}：{n}" for outcome, n in failed.items() if n]
    if fallback:
        lines.append(f"· {FALLBACK}（已计入已发送）：{fallback}")
    errors = sorted(
        ((int(k.removeprefix("error:")), n) for k, n in tally.items() if k.startswith("error:")),
        key=lambda item: -item[1],
    )
    if errors:
        lines.append("错误码：")
        lines += [f"· {code} ×{n}：{explain(code)}" for code, n in errors[:TOP]]
    for kind, title, known in (
        ("template", "按模板", names),
        ("channel", "按渠道", channels or {}),
    ):
        worst = _worst(tally, kind)
        if worst:
            lines.append(f"{title}：")
            lines += [f"· {_label(kind, key, known)}：{n}" for key, n in worst]
    return _fit("\n".join(lines))


def _label(kind: str, key: str, known: dict[str, str]) -> str:
    """A template by its name; a channel by its name and State (which admin commands take)."""
    return known.get(key) or key if kind == "template" else labeled(known.get(key, ""), key)


def _worst(tally: dict[str, int], kind: str) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for key, n in tally.items():
        head, _, outcome = key.rpartition(":")
        if key.startswith(f"{kind}:") and (outcome in LABELS or outcome == "fallback"):
            name = head.removeprefix(f"{kind}:")
            totals[name] = totals.get(name, 0) + n
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP]


def _fit(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= MAX_BYTES:
        return text
    return data[: MAX_BYTES - 4].decode("utf-8", "ignore") + "\n…"


async def send_daily_digest(
    redis: Redis,
    keys: RedisKeys,
    message: MessageAPI,
    admins: frozenset[str],
    digest_hour: int,
    now: datetime,
) -> bool:
    """Send yesterday's digest if it is time and nobody has; returns whether one went out."""
    if not admins or now.hour < digest_hour:
        return False
    day = (now.date() - timedelta(days=1)).isoformat()
    marker = keys.welcome_digest_sent(day)
    if not await redis.set(marker, "1", nx=True, ex=3 * 86400):
        return False
    store = WelcomeStore(redis, keys)
    names = {template.id: template.name for template in await store.list()}
    channels = {channel.state: channel.name for channel in await ChannelStore(redis, keys).list()}
    text = compose(day, await store.daily(day), names, channels)
    if text is None:
        return False
    try:
        await message.send_text(sorted(admins), text)
    except WeComError as exc:
        await redis.delete(marker)  # the next run tries again
        log.warning("welcome digest for %s not sent: %s", day, exc)
        return False
    return True
