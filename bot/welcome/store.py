"""Welcome templates in Redis, and the choice of one for a new customer."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from bot.attachments import first_missing
from bot.clock import corp_now
from bot.keys import RedisKeys
from bot.text.guard import TextGuard
from bot.welcome.templates import TemplateError, WelcomeTemplate, validate

DEFAULT_WELCOME_TEXT = "您好，很高兴认识您！我是您的专属顾问，有任何问题随时在这里找我。"
# blocked: nothing sent, a block word in the text; fallback: the template held a block word and
# the default template went instead (counted "sent" under the default)
OUTCOMES = ("sent", "no_code", "already_sent", "expired", "failed", "blocked", "fallback")

DAILY_KEEP_SECONDS = 8 * 86400
DepartmentLookup = Callable[[], Awaitable[list[int]]]  # the staff member's departments, main first


def scope_key(scope: str, target: str) -> str:
    return f"{scope}:{target if scope != 'default' else ''}"


class WelcomeStore:
    """Saves, finds and chooses welcome templates of one corp."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    def queue_import(
        self,
        tx: Any,
        saved: list[WelcomeTemplate],
        removed: list[str],
        after: list[WelcomeTemplate],
    ) -> None:
        """Queue a configuration import's writes: the saved and removed templates, and the
        scope index and the set of departments with a template rebuilt from exactly `after`
        (every template once the import is applied)."""
        if saved:
            tx.hset(self._keys.welcome_templates, mapping={t.id: t.to_json() for t in saved})
        if removed:
            tx.hdel(self._keys.welcome_templates, *removed)
        keys, templates = self._keys, after
        tx.delete(keys.welcome_scopes, keys.welcome_departments)
        if templates:
            scopes = {scope_key(t.scope, t.target): t.id for t in templates}
            tx.hset(keys.welcome_scopes, mapping=scopes)
        departments = [t.target for t in templates if t.scope == "department"]
        if departments:
            tx.sadd(keys.welcome_departments, *departments)

    async def save(self, template: WelcomeTemplate, guard: TextGuard | None) -> WelcomeTemplate:
        """Validate and store; a new template gets an id. One template per scope and target."""
        validate(template, guard)
        await self._check_references(template)
        if not template.id:
            template.id = secrets.token_hex(4)
        scope = scope_key(template.scope, template.target)
        holder = await self._redis.hget(self._keys.welcome_scopes, scope)
        if holder and holder != template.id:
            raise TemplateError(f"「{scope}」已有模板 {holder}，请修改它或先删除")
        previous = await self.get(template.id)
        async with self._redis.pipeline(transaction=True) as tx:
            if previous is not None:
                tx.hdel(self._keys.welcome_scopes, scope_key(previous.scope, previous.target))
                if previous.scope == "department":
                    tx.srem(self._keys.welcome_departments, previous.target)
            tx.hset(self._keys.welcome_templates, template.id, template.to_json())
            tx.hset(self._keys.welcome_scopes, scope, template.id)
            if template.scope == "department":
                tx.sadd(self._keys.welcome_departments, template.target)
            await tx.execute()
        return template

    async def _check_references(self, template: WelcomeTemplate) -> None:
        lists = [template.attachments, *(slot.attachments for slot in template.slots)]
        for attachments in lists:
            missing = await first_missing(attachments, self._redis, self._keys)
            if missing is None:
                continue
            kind, ref = missing
            if kind == "media":
                raise TemplateError(f"附件文件 {ref} 不在库中，请重新上传")
            if kind == "product":
                raise TemplateError(f"商品 {ref} 不在商品库中")
            raise TemplateError(f"没有群活码 {ref[:30]}（先在「群活码」页新建）")

    async def get(self, template_id: str) -> WelcomeTemplate | None:
        data = await self._redis.hget(self._keys.welcome_templates, template_id)
        return WelcomeTemplate.from_json(data) if data else None

    async def list(self) -> list[WelcomeTemplate]:
        rows = await self._redis.hgetall(self._keys.welcome_templates)
        return sorted((WelcomeTemplate.from_json(v) for v in rows.values()), key=lambda t: t.id)

    async def delete(self, template_id: str) -> bool:
        template = await self.get(template_id)
        if template is None:
            return False
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hdel(self._keys.welcome_templates, template_id)
            tx.hdel(self._keys.welcome_scopes, scope_key(template.scope, template.target))
            if template.scope == "department":
                tx.srem(self._keys.welcome_departments, template.target)
            await tx.execute()
        return True

    async def choose(
        self, state: str, user_id: str, departments: DepartmentLookup | None = None
    ) -> WelcomeTemplate | None:
        """Channel (the event's State), then staff member, then department, then the default.

        `departments` is called only when no channel or staff template applies and some
        department has a template: most adds never need the lookup.
        """
        scopes = [scope_key("channel", state) if state else "", scope_key("staff", user_id)]
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self._keys.welcome_scopes, [*filter(None, scopes), "default:"])
            pipe.smembers(self._keys.welcome_departments)
            ids, with_templates = await pipe.execute()
        *specific, default = ids
        chosen = next((template_id for template_id in specific if template_id), None)
        if chosen is None and with_templates and departments is not None:
            member_of = [str(d) for d in await departments()]
            department = next((d for d in member_of if d in with_templates), None)
            if department is not None:
                chosen = await self._redis.hget(
                    self._keys.welcome_scopes, scope_key("department", department)
                )
        chosen = chosen or default
        return await self.get(chosen) if chosen else None

    async def choose_exact(self, scope: str, target: str) -> WelcomeTemplate | None:
        """The template of exactly this scope and target, if any."""
        template_id = await self._redis.hget(self._keys.welcome_scopes, scope_key(scope, target))
        return await self.get(template_id) if template_id else None

    async def ensure_default(self) -> WelcomeTemplate | None:
        """A fresh install welcomes the first customer already; returns the default template."""
        default_id = await self._redis.hget(self._keys.welcome_scopes, scope_key("default", ""))
        if default_id:
            return await self.get(default_id)
        default = WelcomeTemplate("default", "默认欢迎语", "default", "", DEFAULT_WELCOME_TEXT)
        # both at once: concurrent first welcomes (or a crash between two separate writes) must
        # not see the template without its scope, and answer "no template at all"
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hsetnx(self._keys.welcome_templates, default.id, default.to_json())
            tx.hsetnx(self._keys.welcome_scopes, scope_key("default", ""), default.id)
            await tx.execute()
        return await self.choose_exact("default", "")

    async def count(
        self, template_id: str, state: str, outcome: str, *, errcode: int | None = None
    ) -> None:
        """Count one outcome in the totals and in today's tally (corp time)."""
        fields = []
        if template_id:
            fields.append(f"template:{template_id}:{outcome}")
        if state:
            fields.append(f"channel:{state}:{outcome}")
        daily = self._keys.welcome_daily(corp_now().date().isoformat())
        async with self._redis.pipeline(transaction=False) as pipe:
            for field in fields:
                pipe.hincrby(self._keys.welcome_stats, field, 1)
                pipe.hincrby(daily, field, 1)
            pipe.hincrby(daily, f"outcome:{outcome}", 1)
            if errcode is not None:
                pipe.hincrby(daily, f"error:{errcode}", 1)
            pipe.expire(daily, DAILY_KEEP_SECONDS)
            await pipe.execute()

    async def daily(self, day: str) -> dict[str, int]:
        """The tally of one day ("YYYY-MM-DD", corp time)."""
        rows = await self._redis.hgetall(self._keys.welcome_daily(day))
        return {k: int(v) for k, v in rows.items()}

    async def stats(self) -> dict[str, int]:
        return {k: int(v) for k, v in (await self._redis.hgetall(self._keys.welcome_stats)).items()}
