"""The checks an import runs on every item: the stores' own validation, and references.

Each store's `validate` is the one the CLI and the admin commands use, so a file can't hold
anything a single save would refuse. Text is checked with the sensitive-word library as it
will be after the import (the file's `words:` when present), else as stored — with the starter
list, when it was never added yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from typing import Any

from redis.asyncio import Redis

from bot.attachments import references
from bot.config_io.items import Item
from bot.config_io.mappings import snapshot_of
from bot.keys import RedisKeys
from bot.sop.rules import validate as validate_sop
from bot.tagging.rules import rule_set_problem
from bot.tagging.rules import validate as validate_rule
from bot.text.guard import TextGuard
from bot.text.library import LibrarySnapshot
from bot.text.starter import AD_LAW_TERMS
from bot.welcome.channels import validate_channel
from bot.welcome.group import MAX_TEMPLATES
from bot.welcome.group import validate as validate_group_welcome
from bot.welcome.store import scope_key
from bot.welcome.templates import validate as validate_template
from scripts_library.products import validate as validate_product
from scripts_library.scripts import validate as validate_script

Check = Callable[[Any, TextGuard | None], None]
CHECKS: dict[str, Check] = {
    "products": validate_product,
    "scripts": validate_script,
    "welcome_templates": validate_template,
    "group_welcomes": validate_group_welcome,
    "channels": lambda channel, _guard: validate_channel(channel),
    "tag_rules": lambda rule, _guard: validate_rule(rule),  # keywords are not sent: no guard
    "sops": validate_sop,
}


def guard_for(
    redis: Redis,
    keys: RedisKeys,
    words: dict[str, Item] | None,
    stored: tuple[Any, ...] | None,
) -> TextGuard | None:
    """The outgoing-text check with the library as it will be after the import."""
    if words is not None:
        snapshot = snapshot_of(words.values())
    elif stored is not None:
        listed, allow, actions, detectors, seeded = stored
        if not seeded:  # the first process to start adds the starter list
            listed = dict.fromkeys(AD_LAW_TERMS, "ad_law") | listed
        snapshot = LibrarySnapshot(
            0, sorted(listed.items()), sorted(allow), dict(actions), sorted(detectors)
        )
    else:
        return None
    return snapshot.guard(redis, keys)


def check_items(
    chosen: Iterable[str],
    desired: dict[str, dict[str, Item]],
    guard: TextGuard | None,
) -> list[str]:
    """Every item of the chosen sections through its store's validation; one per scope."""
    problems: list[str] = []
    for name in chosen:
        check = CHECKS.get(name)
        if check is None:
            continue
        for item in desired[name].values():
            try:
                check(item.model, guard)
            except ValueError as exc:
                problems.append(f"{item.where}: {exc}")
    if "welcome_templates" in desired:
        templates = desired["welcome_templates"].values()
        scopes = Counter(scope_key(t.model.scope, t.model.target) for t in templates)
        for scope, count in sorted(scopes.items()):
            if count > 1:
                problems.append(
                    f"welcome_templates: 「{scope}」有 {count} 个模板，每个范围只能有一个"
                )
        if not scopes[scope_key("default", "")]:
            # the shipped default would come back with the next add: say so instead
            problems.append(
                "welcome_templates: 需要一个 scope: default 的模板"
                "（没有时，系统会在下一位客户添加时恢复出厂默认欢迎语）"
            )
    if len(desired.get("group_welcomes", {})) > MAX_TEMPLATES:
        problems.append(f"group_welcomes: 企业微信最多保存 {MAX_TEMPLATES} 个入群欢迎语")
    if "tag_rules" in desired:  # the file's rules replace the stored ones: the bound is on them
        problem = rule_set_problem([item.model for item in desired["tag_rules"].values()])
        if problem:
            problems.append(f"tag_rules: {problem}")
    return problems


def check_references(
    desired: dict[str, dict[str, Item]],
    after: dict[str, dict[str, Item]],
    media_present: Collection[str],
) -> list[str]:
    """References that must hold after the import: products and uploaded files in welcome
    templates, group welcomes in greetings."""
    problems: list[str] = []
    if "welcome_templates" in desired or "products" in desired:
        products = set(after["products"])
        for item in after["welcome_templates"].values():
            label = item.where or f"welcome_templates (id {item.key})"
            template = item.model
            for attachments in (template.attachments, *(s.attachments for s in template.slots)):
                media, product_ids = references(attachments)
                problems += [
                    f"{label}: 商品 {p} 不在商品库中" for p in sorted(product_ids - products)
                ]
                if "welcome_templates" in desired:
                    problems += [
                        f"{label}: 附件文件 {ref} 不在库中，请先上传（scrm-bot welcome set --file）"
                        for ref in sorted(media - set(media_present))
                    ]
    if "group_greetings" in desired or "group_welcomes" in desired:
        welcomes = set(after["group_welcomes"])
        for item in after["group_greetings"].values():
            if item.data not in welcomes:
                label = item.where or f"group_greetings.{item.key}"
                problems.append(f"{label}: 没有群欢迎语 {item.data}")
    return problems
