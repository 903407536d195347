"""Applying a plan: every Redis write of the import in one MULTI/EXEC, under WATCH.

The keys the plan read are watched and read again first: if anything differs from the plan,
or changes before EXEC, nothing is written (`ConfigChanged`). All keys of a corp share one
hash tag, so the one transaction is also valid in Redis Cluster. The effects that follow the
data ride in the same transaction: script versions, history and the search index's change
stream (`ScriptStore.queue_save/queue_delete`), the tag matchers' version
(`TagRuleStore.queue_save/queue_delete`), the word library's version (`WordLibrary.queue_bump`),
and the SOP scheduler moves (`SopStore.queue_reschedule`, `Scheduler.queue_cancel`). Right after
the commit the new word library version is announced, and removed codes and templates are
deleted in WeCom (see `remote.py` for what happens before).
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from bot.config_io.items import ConfigChanged
from bot.config_io.plan import LISTS, SECTIONS, Plan, SectionPlan
from bot.config_io.remote import RemoteSide
from bot.keys import RedisKeys
from bot.sop.store import Reschedule, SopStore
from bot.storage.topology import watched_exists
from bot.tagging.store import TagRuleStore
from bot.text.library import WordLibrary
from bot.text.starter import SEED_VERSION
from bot.welcome.store import WelcomeStore
from scripts_library.scripts import ScriptStore


async def apply_plan(
    redis: Redis, keys: RedisKeys, plan: Plan, remote: RemoteSide, by: str
) -> list[str]:
    """Write the plan; returns warnings (WeCom leftovers). `ConfigChanged` if the stored
    configuration moved on since the plan: then nothing was written, WeCom writes undone."""
    if not plan.has_changes:
        return []
    now = time.time()
    async with redis.pipeline(transaction=True) as tx:
        await tx.watch(*plan.watched)
        state = {name: await SECTIONS[name].read(tx, keys) for name in plan.state}
        media = {key: await watched_exists(tx, key) for key in plan.media}
        if state != plan.state or media != plan.media:
            raise ConfigChanged()
        moves = await _sop_moves(redis, keys, plan, now)
        undo = await remote.prepare(plan)
        try:
            tx.multi()
            await _queue(tx, redis, keys, plan, moves, by, now)
        except BaseException:
            await undo.run()
            raise
        try:
            await tx.execute()
        except WatchError:
            failed = await undo.run()
            detail = (
                f"有 {failed} 处企业微信改动未能撤回，请运行 group-welcome sync" if failed else ""
            )
            raise ConfigChanged(detail) from None
    words = plan.sections.get("words")
    if words is not None and words.has_changes:
        library = WordLibrary(redis, keys)
        await library.announce(await library.version())
    return await remote.finish(plan)


async def _sop_moves(
    redis: Redis, keys: RedisKeys, plan: Plan, now: float
) -> dict[str, Reschedule | list[str]]:
    """What saving (or removing) each SOP rule does to the scheduler, read before MULTI."""
    section = plan.sections.get("sops")
    if section is None:
        return {}
    store = SopStore(redis, keys)
    moves: dict[str, Reschedule | list[str]] = {}
    for item in [*section.added, *(new for _old, new in section.changed)]:
        moves[item.key] = await store.reschedule_plan(item.model, now)
    for item in section.removed:
        moves[item.key] = await store.jobs_of(item.key)
    return moves


async def _queue(
    tx: Any,
    redis: Redis,
    keys: RedisKeys,
    plan: Plan,
    moves: dict[str, Reschedule | list[str]],
    by: str,
    now: float,
) -> None:
    """Queue every write of the plan on the transaction."""
    for name, section in plan.sections.items():
        if not section.has_changes and not (name == "words" and plan.mark_seeded):
            continue
        written = [*section.added, *(new for _old, new in section.changed)]
        if name == "words":
            _queue_words(tx, WordLibrary(redis, keys), keys, plan)
        elif name == "scripts":
            scripts = ScriptStore(redis, keys)
            for item in section.added:
                scripts.queue_save(tx, item.model, None, by, now)
            for old, new in section.changed:
                scripts.queue_save(tx, new.model, old.model, by, now)
            for item in section.removed:
                scripts.queue_delete(tx, item.model, by, now)
        elif name == "tag_rules":
            rules = TagRuleStore(redis, keys)
            for item in written:
                rules.queue_save(tx, item.model)
            for item in section.removed:
                rules.queue_delete(tx, item.key)
        elif name == "sops":
            await _queue_sops(tx, redis, keys, plan, moves, by, now)
        elif name == "group_greetings":
            _queue_hash(tx, keys.group_greeting_chats, {i.key: i.data for i in written}, section)
        else:  # products, welcome templates, group welcomes, channels: records by id
            key = LISTS[name].hash_key(keys)
            _queue_hash(tx, key, {i.key: i.model.to_json() for i in written}, section)
            if name == "welcome_templates":
                templates = [item.model for item in plan.desired["welcome_templates"].values()]
                WelcomeStore.queue_index(tx, keys, templates)


def _queue_hash(tx: Any, key: str, written: dict[str, Any], section: SectionPlan) -> None:
    if written:
        tx.hset(key, mapping=written)
    if section.removed:
        tx.hdel(key, *(item.key for item in section.removed))


def _queue_words(tx: Any, library: WordLibrary, keys: RedisKeys, plan: Plan) -> None:
    section = plan.sections["words"]
    kinds = {
        "words": (keys.words, True),
        "allow": (keys.words_allow, False),
        "actions": (keys.words_actions, True),
        "detectors": (keys.words_detectors, False),
    }
    written: dict[str, dict[str, str]] = {kind: {} for kind in kinds}
    removed: dict[str, list[str]] = {kind: [] for kind in kinds}
    for item in [*section.added, *(new for _old, new in section.changed)]:
        kind, _, value = item.key.partition(":")
        written[kind][value] = str(item.data)
    for item in section.removed:
        kind, _, value = item.key.partition(":")
        removed[kind].append(value)
    for kind, (key, is_hash) in kinds.items():
        if written[kind]:
            if is_hash:
                tx.hset(key, mapping=written[kind])
            else:
                tx.sadd(key, *written[kind])
        if removed[kind]:
            (tx.hdel if is_hash else tx.srem)(key, *removed[kind])
    if plan.mark_seeded:
        tx.set(keys.words_seeded, SEED_VERSION)  # the file is the list now: no seed, no upgrade
    if section.has_changes:
        library.queue_bump(tx)


async def _queue_sops(
    tx: Any,
    redis: Redis,
    keys: RedisKeys,
    plan: Plan,
    moves: dict[str, Reschedule | list[str]],
    by: str,
    now: float,
) -> None:
    store = SopStore(redis, keys)
    section = plan.sections["sops"]
    for item in [*section.added, *(new for _old, new in section.changed)]:
        before = plan.current["sops"].get(item.key)
        rule = item.model
        rule.version = (before.model.version if before else 0) + 1
        rule.updated_at, rule.updated_by = int(now), by
        tx.hset(keys.sop_rules, rule.id, rule.to_json())
        move = moves[item.key]
        assert isinstance(move, Reschedule)
        await store.queue_reschedule(tx, move)
    for item in section.removed:
        tx.hdel(keys.sop_rules, item.key)
        gone = moves[item.key]
        assert isinstance(gone, list)
        store.scheduler.queue_cancel(tx, gone)
