"""Auto-tagging: a customer's message fires rules; their tags are marked once each.

For every rule a message fires (see `rules.RuleMatcher`), the message is counted towards the
rule's threshold within its window (by message id, so a message seen twice counts once). When
a rule is due, the customer's followers in the rule's scope get the tag — only those who don't
have it yet — with one `mark_tag` per staff member for all the rules that fired together, under
a per-customer lock so concurrent messages can't mark the same tag twice, and paced with the
other bulk tagging (`bot/wecom/pacing.py`). Every automatic tag is
logged with the rule and the message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.events import ChatText
from bot.keys import RedisKeys
from bot.profiles.model import ProfileTag
from bot.profiles.store import ProfileStore
from bot.storage.locks import RedisLock
from bot.tagging.rules import Match, TagRule
from bot.tagging.tags import CorpTags
from bot.wecom import WeComError
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.wecom.errors import NOT_A_CONTACT
from bot.wecom.pacing import MARK_TAG_PER_SECOND, CallPacer

LOG_MAXLEN = 100_000


@dataclass(frozen=True, slots=True)
class Marked:
    """One tag marked on one customer for one staff member."""

    rule_id: str
    staff: str
    tag_id: str


class Tagger:
    """Turns matched rules into marked tags."""

    def __init__(self, redis: Redis, keys: RedisKeys, api: ExternalContactAPI) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api
        self._tags = CorpTags(redis, keys, api)
        self._profiles = ProfileStore(redis, keys)
        self._pacer = CallPacer(redis, keys, "mark_tag", MARK_TAG_PER_SECOND)

    async def due(self, message: ChatText, matches: list[Match]) -> list[TagRule]:
        """The matched rules whose threshold this message reaches."""
        due = []
        for match in matches:
            rule = match.rule
            if rule.threshold <= 1:
                due.append(rule)
                continue
            key = self._keys.tag_hits(rule.id, message.external_userid)
            sent_at = message.sent_at or int(time.time())
            window = int(rule.window_hours * 3600)
            async with self._redis.pipeline(transaction=True) as tx:
                tx.zadd(key, {message.msgid: sent_at})
                tx.zremrangebyscore(key, "-inf", sent_at - window)
                tx.zcard(key)
                tx.expire(key, window)
                _, _, count, _ = await tx.execute()
            if count >= rule.threshold:
                due.append(rule)
        return due

    async def apply(self, message: ChatText, rules: list[TagRule]) -> list[Marked]:
        """Mark each due rule's tag on the customer for the followers in the rule's scope
        (staff, and the channel they came through to that member) who lack it."""
        if not rules:
            return []
        wanted = {rule.id: await self._tags.tag_id(rule.tag_group, rule.tag_name) for rule in rules}
        tag_names = {
            str(wanted[r.id]): ProfileTag(str(wanted[r.id]), r.tag_group, r.tag_name) for r in rules
        }
        marked: list[Marked] = []
        async with RedisLock(self._redis, self._keys.tag_customer_lock(message.external_userid)):
            try:
                profile = await self._api.get(message.external_userid)
            except WeComError as exc:
                if exc.errcode not in NOT_A_CONTACT:
                    raise
                return []  # a KF customer nobody added (or no longer): no follower to tag
            await self._profiles.record_contact(profile, int(time.time()))
            follows = profile.get("follow_user", [])
            pairs = [f"{f.get('userid', '')}|{message.external_userid}" for f in follows]
            channels = await self._redis.hmget(self._keys.channel_customers, pairs) if pairs else []
            for follow, channel in zip(follows, channels, strict=True):
                staff = str(follow.get("userid", ""))
                held = {str(t.get("tag_id")) for t in follow.get("tags", [])}
                new = [
                    Marked(rule.id, staff, str(wanted[rule.id]))
                    for rule in rules
                    if rule.applies_to(staff, channel or "") and wanted[rule.id] not in held
                ]
                add = sorted({m.tag_id for m in new})
                if not add:
                    continue
                await self._pacer.slot()
                await self._api.mark_tag(staff, message.external_userid, add_tag=add)
                marked += new
                await self._profiles.tags_changed(
                    message.external_userid, staff, [tag_names[t] for t in add]
                )
            await self._log(message, rules, marked)
        return marked

    async def _log(self, message: ChatText, rules: list[TagRule], marked: list[Marked]) -> None:
        names = {rule.id: (rule.name, f"{rule.tag_group}/{rule.tag_name}") for rule in rules}
        async with self._redis.pipeline(transaction=False) as pipe:
            for mark in marked:
                rule_name, tag = names[mark.rule_id]
                pipe.xadd(
                    self._keys.autotag_log,
                    {
                        "rule": mark.rule_id,
                        "rule_name": rule_name,
                        "tag": tag,
                        "tag_id": mark.tag_id,
                        "staff": mark.staff,
                        "customer": message.external_userid,
                        "msgid": message.msgid,
                        "source": message.source,
                        "text": message.text[:200],
                        "at": str(int(time.time())),
                    },
                    maxlen=LOG_MAXLEN,
                    approximate=True,
                )
            await pipe.execute()
