"""The async WeCom client: one facade over per-domain API classes, sharing one transport."""

from __future__ import annotations

import aiohttp
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.metrics import Metrics
from bot.wecom.api.acquisition import AcquisitionAPI
from bot.wecom.api.agent import AgentAPI
from bot.wecom.api.auth import AuthAPI
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.wecom.api.group_join import GroupJoinAPI
from bot.wecom.api.intercept import InterceptAPI
from bot.wecom.api.jsapi import JsApiAPI
from bot.wecom.api.kf import KfAPI
from bot.wecom.api.mass import MassAPI
from bot.wecom.api.media import MediaAPI
from bot.wecom.api.message import MessageAPI
from bot.wecom.api.moments import MomentAPI
from bot.wecom.api.statistics import StatisticsAPI
from bot.wecom.api.transfer import TransferAPI
from bot.wecom.api.user import UserAPI
from bot.wecom.transport import ClientSettings, WeComTransport


class WeComClient:
    """WeCom server APIs for one corp.

    Customer-contact endpoints (`external_contact`, `intercept`) use the customer-contact
    secret; everything done as the app (`agent`, `message`, `kf`, `auth`, `jsapi`, `media`,
    `user`) uses the app secret.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        redis: Redis,
        keys: RedisKeys,
        *,
        base_url: str,
        corp_id: str,
        agent_id: int,
        agent_secret: str,
        contact_secret: str,
        metrics: Metrics | None = None,
        client_settings: ClientSettings | None = None,
    ) -> None:
        self.transport = WeComTransport(
            session,
            redis,
            keys,
            base_url=base_url,
            corp_id=corp_id,
            metrics=metrics,
            settings=client_settings,
        )
        self.agent_id = agent_id
        self.agent_secret = agent_secret
        self.contact_secret = contact_secret
        self.external_contact = ExternalContactAPI(self.transport, contact_secret)
        self.intercept = InterceptAPI(self.transport, contact_secret)
        self.group_join = GroupJoinAPI(self.transport, contact_secret)
        self.acquisition = AcquisitionAPI(self.transport, contact_secret)
        self.mass = MassAPI(self.transport, contact_secret)
        self.moments = MomentAPI(self.transport, contact_secret)
        self.transfer = TransferAPI(self.transport, contact_secret)
        self.statistics = StatisticsAPI(self.transport, contact_secret)
        self.agent = AgentAPI(self.transport, agent_secret)
        self.message = MessageAPI(self.transport, agent_secret, agent_id)
        self.kf = KfAPI(self.transport, agent_secret)
        self.auth = AuthAPI(self.transport, agent_secret)
        self.jsapi = JsApiAPI(self.transport, agent_secret, redis, keys)
        self.media = MediaAPI(self.transport, agent_secret)
        self.user = UserAPI(self.transport, agent_secret)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        session: aiohttp.ClientSession,
        redis: Redis,
        metrics: Metrics | None = None,
        client_settings: ClientSettings | None = None,
    ) -> WeComClient:
        return cls(
            session,
            redis,
            RedisKeys(settings.corp_id, settings.key_prefix),
            base_url=settings.wecom_api_base,
            corp_id=settings.corp_id,
            agent_id=settings.agent_id,
            agent_secret=settings.agent_secret,
            contact_secret=settings.contact_secret,
            metrics=metrics,
            client_settings=client_settings,
        )
