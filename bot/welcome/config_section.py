"""The welcome feature's parts of the configuration file: welcome templates, group welcomes,
the groups they greet, and channel codes. Channel codes and group welcome templates live in
WeCom too: `config_remote` writes them there around the import's transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bot.attachments import group_codes_of, references
from bot.config_io.items import Item, LineIndex
from bot.config_io.sections import ConfigSection, ListSection, owned, written
from bot.keys import RedisKeys
from bot.typed_input import type_name
from bot.welcome.channels import Channel, ChannelStore, validate_channel
from bot.welcome.group import MAX_TEMPLATES, GroupWelcome, GroupWelcomeStore
from bot.welcome.group import validate as validate_group_welcome
from bot.welcome.store import WelcomeStore, scope_key
from bot.welcome.templates import WelcomeTemplate
from bot.welcome.templates import validate as validate_template

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan
    from bot.text.guard import TextGuard


def _removed(plan: Plan, name: str) -> list[str]:
    return [item.key for item in plan.sections[name].removed]


def _all_attachments(template: WelcomeTemplate) -> Iterable[list[dict[str, Any]]]:
    return (template.attachments, *(slot.attachments for slot in template.slots))


class WelcomeTemplatesSection(ListSection):
    """Welcome templates by scope (default, department, staff, channel)."""

    name, label, rank, text = "welcome_templates", "欢迎语模板", 40, True
    refers_to = ("products", "group_codes")
    model = WelcomeTemplate

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.welcome_templates

    def index_keys(self, keys: RedisKeys) -> list[tuple[str, str]]:
        return [(keys.welcome_scopes, "hash"), (keys.welcome_departments, "set")]

    def title(self, model: Any) -> str:
        return f"{model.name}（{model.scope}{':' + model.target if model.target else ''}）"

    def natural_key(self, model: Any) -> tuple[str, ...]:
        return (model.scope, model.target)  # one template per scope anyway

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate_template(model, guard)

    def check_all(self, models: list[Any]) -> list[str]:
        problems = []
        scopes = Counter(scope_key(t.scope, t.target) for t in models)
        for scope, count in sorted(scopes.items()):
            if count > 1:
                problems.append(f"「{scope}」有 {count} 个模板，每个范围只能有一个")
        if not scopes[scope_key("default", "")]:
            # the shipped default would come back with the next add: say so instead
            problems.append(
                "需要一个 scope: default 的模板"
                "（没有时，系统会在下一位客户添加时恢复出厂默认欢迎语）"
            )
        return problems

    def media(self, items: Iterable[Item]) -> set[str]:
        return {
            ref
            for item in items
            for attachments in _all_attachments(item.model)
            for ref in references(attachments)[0]
        }

    def check_references(
        self, after: Mapping[str, Mapping[str, Item]], media_present: set[str], own: bool
    ) -> list[str]:
        problems: list[str] = []
        products, codes = set(after["products"]), set(after["group_codes"])
        for item in after[self.name].values():
            label = item.where or f"welcome_templates (id {item.key})"
            for attachments in _all_attachments(item.model):
                media, product_ids = references(attachments)
                problems += [
                    f"{label}: 商品 {p} 不在商品库中" for p in sorted(product_ids - products)
                ]
                problems += [
                    f"{label}: 没有群活码 {c[:30]}"
                    for c in sorted(group_codes_of(attachments) - codes)
                ]
                if own:
                    problems += [
                        f"{label}: 附件文件 {ref} 不在库中，请先上传（scrm-bot welcome set --file）"
                        for ref in sorted(media - media_present)
                    ]
        return problems

    async def before_export(self, redis: Redis, keys: RedisKeys) -> None:
        await WelcomeStore(redis, keys).ensure_default()  # the first add would create it

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        after = [item.model for item in plan.desired[self.name].values()]
        saved = [item.model for item in written(plan, self.name)]
        WelcomeStore(redis, keys).queue_import(tx, saved, _removed(plan, self.name), after)


class GroupWelcomesSection(ListSection):
    """Group welcome templates (kept in WeCom, at most 100 per corp)."""

    name, label, rank, text = "group_welcomes", "入群欢迎语", 50, True
    model = GroupWelcome
    left_out = frozenset({"updated_at"})

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.group_welcomes

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate_group_welcome(model, guard)

    def check_all(self, models: list[Any]) -> list[str]:
        if len(models) > MAX_TEMPLATES:
            return [f"企业微信最多保存 {MAX_TEMPLATES} 个入群欢迎语"]
        return []

    def adopt(self, item: Item, stored: Item | None) -> str | None:
        return owned(item, stored, "template_id", ("updated_at",))

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        saved = [item.model for item in written(plan, self.name)]
        GroupWelcomeStore.queue_import(tx, keys, saved, _removed(plan, self.name))


class GreetingsSection(ConfigSection):
    """Which group welcome greets the joiners of which group (chat id, or "*": every group)."""

    name, label, rank = "group_greetings", "入群问候", 60
    refers_to = ("group_welcomes",)

    def keys(self, keys: RedisKeys) -> list[str]:
        return [keys.group_greeting_chats]

    async def read(self, client: Any, keys: RedisKeys) -> tuple[Any, ...]:
        return (dict(await client.hgetall(keys.group_greeting_chats)),)

    def current(self, state: tuple[Any, ...]) -> dict[str, Item]:
        return {chat: Item(chat, wid, wid) for chat, wid in sorted(state[0].items())}

    def parse(self, value: Any, lines: LineIndex) -> tuple[list[Item], list[str]]:
        if not isinstance(value, dict):
            return [], [
                f"group_greetings：应是对象（群 ID: 群欢迎语 id），而不是{type_name(value)}"
            ]
        items: list[Item] = []
        problems: list[str] = []
        for chat, welcome_id in value.items():
            at = f"group_greetings.{chat}（第 {lines.line('group_greetings', str(chat))} 行）"
            if not isinstance(chat, str) or not chat.strip() or any(c.isspace() for c in chat):
                problems.append(f'{at}: 群 ID 应是不含空白的文本（所有群写作 "*"）')
            elif not isinstance(welcome_id, str) or not welcome_id:
                problems.append(f"{at}: 应是群欢迎语 id（文本），而不是{type_name(welcome_id)}")
            else:
                items.append(Item(chat, welcome_id, welcome_id, where=at))
        return items, problems

    def dump(self, items: Iterable[Item]) -> dict[str, str]:
        return {item.key: str(item.data) for item in sorted(items, key=lambda i: i.key)}

    def check_references(
        self, after: Mapping[str, Mapping[str, Item]], media_present: set[str], own: bool
    ) -> list[str]:
        welcomes = set(after["group_welcomes"])
        return [
            f"{item.where or f'group_greetings.{item.key}'}: 没有群欢迎语 {item.data}"
            for item in after[self.name].values()
            if item.data not in welcomes
        ]

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        saved = {item.key: str(item.data) for item in written(plan, self.name)}
        GroupWelcomeStore.queue_import_greetings(tx, keys, saved, _removed(plan, self.name))


class ChannelsSection(ListSection):
    """Channel codes (contact ways with their staff, slots, limits and tags)."""

    name, label, rank = "channels", "渠道活码", 70
    model = Channel
    left_out = frozenset({"active"})
    id_bytes = 3  # channel ids are in every State: short

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.channels

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate_channel(model)

    def adopt(self, item: Item, stored: Item | None) -> str | None:
        return owned(item, stored, "config_id", ("qr_code", "active"))

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        saved = [item.model for item in written(plan, self.name)]
        ChannelStore(redis, keys).queue_import(tx, saved, _removed(plan, self.name))


SECTIONS = (
    WelcomeTemplatesSection(),
    GroupWelcomesSection(),
    GreetingsSection(),
    ChannelsSection(),
)
