"""Sync the block-action words to WeCom's own intercept rules (事前拦截, doc 95097).

WeCom takes at most 100 rules of at most 300 words, each word 1-32 characters. The sync is a
diff against what it last wrote (kept in Redis): words that stay keep their rule, removed words
leave theirs, new words fill rules with room before a new rule is made, and only rules whose
words changed are updated. Running it twice changes nothing. Words WeCom can't take are
reported, never dropped silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.text.categories import DEFAULT_ACTIONS
from bot.text.snapshot import LibrarySnapshot
from bot.wecom.api.intercept import INTERCEPT_WARN_AND_BLOCK, InterceptAPI

MAX_RULES = 100
MAX_WORDS_PER_RULE = 300
MAX_WORD_CHARS = 32
RULE_NAME = "SCRM敏感词{:03d}"  # 1-20 characters
ALL_STAFF = {"department_list": [1]}  # the root department: everyone


@dataclass
class SyncReport:
    """What a sync changed in WeCom, and the words it could not put there."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    words: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "words": self.words,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "rejected": [{"word": w, "reason": r} for w, r in self.rejected],
        }


def blocked_words(snapshot: LibrarySnapshot) -> list[str]:
    def action(category: str) -> str:
        return snapshot.actions.get(category) or DEFAULT_ACTIONS.get(category, "block")

    return sorted(
        {word.strip() for word, category in snapshot.words if action(category) == "block"}
    )


async def sync_intercept_rules(
    snapshot: LibrarySnapshot, api: InterceptAPI, redis: Redis, keys: RedisKeys
) -> SyncReport:
    """Bring WeCom's intercept rules in line with the library's block words."""
    report = SyncReport()
    wanted: list[str] = []
    for word in blocked_words(snapshot):
        if len(word) > MAX_WORD_CHARS:
            report.rejected.append((word, f"超过企业微信敏感词 {MAX_WORD_CHARS} 个字符的上限"))
        else:
            wanted.append(word)
    report.words = len(wanted)
    wanted_set = set(wanted)
    synced = {
        rule_id: json.loads(words)
        for rule_id, words in (await redis.hgetall(keys.intercept_rules)).items()
    }
    rules = {rule_id: [w for w in words if w in wanted_set] for rule_id, words in synced.items()}
    placed = {word for words in rules.values() for word in words}
    waiting = [word for word in wanted if word not in placed]
    for rule_id in sorted(rules):  # fill existing rules first, in a stable order
        room = MAX_WORDS_PER_RULE - len(rules[rule_id])
        rules[rule_id] += waiting[:room]
        waiting = waiting[room:]

    for rule_id, words in rules.items():
        if sorted(words) == sorted(synced[rule_id]):
            report.unchanged += 1
        elif not words:
            await api.del_rule(rule_id)
            await redis.hdel(keys.intercept_rules, rule_id)
            report.deleted.append(rule_id)
        else:
            await api.update_rule(rule_id, word_list=sorted(words))
            await redis.hset(keys.intercept_rules, rule_id, json.dumps(sorted(words)))
            report.updated.append(rule_id)

    live = len(rules) - len(report.deleted)
    number = len(synced) + 1
    while waiting:
        if live >= MAX_RULES:
            reason = f"企业微信最多 {MAX_RULES} 条规则 × {MAX_WORDS_PER_RULE} 个词，已满"
            report.rejected.extend((word, reason) for word in waiting)
            break
        chunk, waiting = waiting[:MAX_WORDS_PER_RULE], waiting[MAX_WORDS_PER_RULE:]
        rule_id = await api.add_rule(
            RULE_NAME.format(number), chunk, INTERCEPT_WARN_AND_BLOCK, applicable_range=ALL_STAFF
        )
        await redis.hset(keys.intercept_rules, rule_id, json.dumps(sorted(chunk)))
        report.created.append(rule_id)
        live += 1
        number += 1
    return report
