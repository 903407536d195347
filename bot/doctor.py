"""`scrm-bot doctor`: check the configuration, Redis and every secret, in plain words."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.archive.doctor import check_archive
from bot.config import Settings
from bot.fission.poster import font_path
from bot.storage.client import EmbeddedRedisError, open_redis
from bot.storage.topology import server_infos
from bot.storage.url import redacted
from bot.wecom import WeComClient, WeComError


@dataclass(frozen=True, slots=True)
class Check:
    """One doctor check: what was checked, whether it passed, and what to do if not."""

    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def run_doctor(settings: Settings) -> list[Check]:
    """Run every check; never raises for a failed check, reports it instead."""
    checks = [Check("配置", True, f"企业 {settings.corp_id}，应用 {settings.agent_id}")]
    try:
        async with open_redis(settings.redis_url, settings.data_dir) as (redis, _url):
            checks.append(await _check_redis(redis, settings))
            if checks[-1].ok:
                checks.extend(await _check_secrets(redis, settings))
    except (EmbeddedRedisError, RedisError, OSError) as exc:
        checks.append(Check("Redis", False, f"无法启动或连接：{exc}"))
    return checks


async def live_checks(redis: Redis, settings: Settings) -> list[Check]:
    """The checks a running bot can make over its own Redis connection (the console's
    体检): Redis, then each secret with one WeCom call."""
    checks = [await _check_redis(redis, settings)]
    if checks[0].ok:
        checks.extend(await _check_secrets(redis, settings))
    return checks


async def _check_redis(redis: Redis, settings: Settings) -> Check:
    where = redacted(settings.redis_url or "") or f"内置 Redis（数据目录 {settings.data_dir}）"
    try:  # a cluster answers per primary: each must keep an AOF
        info = (await server_infos(redis, "server"))[0]
        persistence = await server_infos(redis, "persistence")
    except (RedisError, OSError) as exc:
        return Check("Redis", False, f"{where} 无法连接：{exc}")
    detail = f"{where}，版本 {info.get('redis_version', '?')}"
    if not all(int(node.get("aof_enabled", 0)) for node in persistence):
        detail += "；警告：未开启 AOF（appendonly），重启后话术等配置可能丢失"
    return Check("Redis", True, detail)


async def _check_secrets(redis: Redis, settings: Settings) -> list[Check]:
    checks: list[Check] = []
    async with aiohttp.ClientSession() as session:
        client = WeComClient.from_settings(settings, session, redis)
        contact_label = (
            "客户联系 Secret（SCRM_CONTACT_SECRET）"
            if settings.contact_secret != settings.agent_secret
            else "客户联系接口（未设置 SCRM_CONTACT_SECRET，使用应用 Secret）"
        )
        probes = [
            ("应用 Secret（SCRM_AGENT_SECRET）", client.agent_secret, _probe_agent),
            (contact_label, client.contact_secret, _probe_contact),
        ]
        for name, secret, probe in probes:
            try:
                await client.transport.token(secret).get()
                detail = await probe(client)
            except WeComError as exc:
                checks.append(
                    Check(name, False, f"错误码 {exc.errcode}（{exc.path}）：{exc.explanation}")
                )
                continue
            checks.append(Check(name, True, detail))
        checks.append(await _check_acquisition(client))
    archive = await check_archive(redis, settings)
    if archive is not None:
        checks.append(Check(*archive))
    checks.append(_check_poster_font())
    return checks


ACQUISITION_LOW = 20  # WeCom's own "balance_low" threshold


async def _check_acquisition(client: WeComClient) -> Check:
    """The acquisition-link quota (获客助手): optional, so a corp without it passes."""
    name = "获客助手额度"
    try:
        quota = await client.acquisition.quota()
    except WeComError as exc:
        return Check(name, True, f"未开通或应用无权调用（错误码 {exc.errcode}），获客链接不可用")
    balance = int(quota.get("balance", 0))
    expiring = [q for q in quota.get("quota_list", []) if int(q.get("balance", 0))]
    detail = f"剩余 {balance} 次，累计已用 {quota.get('total', 0)} 次"
    if expiring:
        detail += f"；{len(expiring)} 笔额度有过期时间"
    if balance < ACQUISITION_LOW:
        return Check(name, False, detail + "：即将用完，用完后获客链接无法添加客户")
    return Check(name, True, detail)


def _check_poster_font() -> Check:
    """Fission posters draw Chinese text: a CJK font must be on the machine."""
    found = font_path()
    if found is None:
        return Check(
            "海报字体",
            False,
            "未找到中文字体，裂变海报上的中文会显示为方框（apt-get install fonts-wqy-microhei）",
        )
    return Check("海报字体", True, str(found))


async def _probe_agent(client: WeComClient) -> str:
    data = await client.agent.get(client.agent_id)
    return f"access_token 正常；应用「{data.get('name', '?')}」"


async def _probe_contact(client: WeComClient) -> str:
    staff = await client.external_contact.get_follow_user_list()
    return f"access_token 正常；{len(staff)} 名成员已开通客户联系"
