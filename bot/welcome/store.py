"""Welcome templates in Redis, and the choice of one for a new customer."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.text.guard import TextGuard
from bot.welcome.templates import TemplateError, WelcomeTemplate, validate

DEFAULT_WELCOME_TEXT = "您好，很高兴认识您！我是您的专属顾问，有任何问题随时在这里找我。"
OUTCOMES = ("sent", "no_code", "already_sent", "expired", "failed")


def scope_key(scope: str, target: str) -> str:
    return f"{scope}:{target if scope != 'default' else ''}"


class WelcomeStore:
    """Saves, finds and chooses welcome templates of one corp."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, template: WelcomeTemplate, guard: TextGuard | None) -> WelcomeTemplate:
        """Validate and store; a new template gets an id. One template per scope and target."""
        validate(template, guard)
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
            tx.hset(self._keys.welcome_templates, template.id, template.to_json())
            tx.hset(self._keys.welcome_scopes, scope, template.id)
            await tx.execute()
        return template

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
            await tx.execute()
        return True

    async def choose(self, state: str, user_id: str) -> WelcomeTemplate | None:
        """Channel (the event's State) first, then the staff member, then the default."""
        scopes = [
            scope_key("channel", state),
            scope_key("staff", user_id),
            scope_key("default", ""),
        ]
        if not state:
            scopes.pop(0)
        ids = await self._redis.hmget(self._keys.welcome_scopes, scopes)
        chosen = next((template_id for template_id in ids if template_id), None)
        return await self.get(chosen) if chosen else None

    async def choose_exact(self, scope: str, target: str) -> WelcomeTemplate | None:
        """The template of exactly this scope and target, if any."""
        template_id = await self._redis.hget(self._keys.welcome_scopes, scope_key(scope, target))
        return await self.get(template_id) if template_id else None

    async def ensure_default(self) -> None:
        """A fresh install welcomes the first customer already."""
        if await self._redis.hget(self._keys.welcome_scopes, scope_key("default", "")):
            return
        default = WelcomeTemplate("default", "默认欢迎语", "default", "", DEFAULT_WELCOME_TEXT)
        if await self._redis.hsetnx(self._keys.welcome_templates, default.id, default.to_json()):
            await self._redis.hsetnx(
                self._keys.welcome_scopes, scope_key("default", ""), default.id
            )

    async def count(self, template_id: str, state: str, outcome: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            if template_id:
                pipe.hincrby(self._keys.welcome_stats, f"template:{template_id}:{outcome}", 1)
            if state:
                pipe.hincrby(self._keys.welcome_stats, f"channel:{state}:{outcome}", 1)
            await pipe.execute()

    async def stats(self) -> dict[str, int]:
        return {k: int(v) for k, v in (await self._redis.hgetall(self._keys.welcome_stats)).items()}
