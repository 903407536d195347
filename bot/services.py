"""The stores and shared services of one corp, built once per app (or CLI run).

Handlers reach them as `ctx.services`, the sidebar and admin chat through the app's handler
context, periodic work through the context it is built from. Each is built on first use and
kept: a store is cheap, but some hold what must not be rebuilt per call (the script search
index segments the whole library; the directory and group names keep their answers). Each
store is the one writer of its Redis keys (`bot/keys.py` names them all).

Imports are inside the properties: every feature's store imports the basics this module is
imported with (`bot.context`), and most processes use a few of them.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from bot.keys import RedisKeys
from bot.storage.topology import RedisClient

if TYPE_CHECKING:
    from bot.acquisition.links import LinkStore
    from bot.admin.audit import AuditLog
    from bot.admin.handoff import ReplyHandoff
    from bot.admin.marks import CommandMarks
    from bot.chat_log import ChatHistory, ChatLog
    from bot.directory import StaffDirectory
    from bot.fission.store import FissionStore
    from bot.group_codes.stats import GroupCodeStats
    from bot.group_codes.store import GroupCodeStore
    from bot.inheritance.store import InheritanceStore
    from bot.mass.store import MassStore
    from bot.media import MediaLibrary
    from bot.moments.store import MomentStore
    from bot.names import GroupNames, Names
    from bot.profiles.store import ProfileStore
    from bot.rfm.orders import OrderStore
    from bot.scheduler import Scheduler
    from bot.sop.store import SopStore
    from bot.sop.tasks import TaskStore
    from bot.stats.recorder import StatsRecorder
    from bot.store_codes.store import StoreCodeStore
    from bot.tagging.store import TagRuleStore
    from bot.tagging.tagger import Tagger
    from bot.tagging.tags import CorpTags
    from bot.text.intercept_auto import InterceptSyncer
    from bot.text.library import WordLibrary
    from bot.wecom import WeComClient
    from bot.wecom.member_quota import MemberQuota
    from bot.welcome.channels import ChannelStore
    from bot.welcome.group import GroupWelcomeStore
    from bot.welcome.join_log import JoinLog
    from bot.welcome.store import WelcomeStore
    from scripts_library.products import ProductStore
    from scripts_library.scripts import ScriptStore
    from scripts_library.search import ScriptIndex


class Services:
    """Every store and shared service of one corp, each built once on first use."""

    def __init__(self, redis: RedisClient, keys: RedisKeys, wecom: WeComClient) -> None:
        self.redis = redis
        self.keys = keys
        self.wecom = wecom

    # -- admin ---------------------------------------------------------------------------
    @cached_property
    def audit(self) -> AuditLog:
        from bot.admin.audit import AuditLog

        return AuditLog(self.redis, self.keys)

    @cached_property
    def handoff(self) -> ReplyHandoff:
        from bot.admin.handoff import ReplyHandoff

        return ReplyHandoff(self.redis, self.keys)

    @cached_property
    def command_marks(self) -> CommandMarks:
        from bot.admin.marks import CommandMarks

        return CommandMarks(self.redis, self.keys)

    # -- group live codes ----------------------------------------------------------------
    @cached_property
    def group_codes(self) -> GroupCodeStore:
        from bot.group_codes.store import GroupCodeStore

        return GroupCodeStore(self.redis, self.keys, self.wecom.group_join)

    @cached_property
    def group_code_stats(self) -> GroupCodeStats:
        from bot.group_codes.stats import GroupCodeStats

        return GroupCodeStats(self.redis, self.keys)

    # -- customer acquisition links --------------------------------------------------------
    @cached_property
    def acquisition_links(self) -> LinkStore:
        from bot.acquisition.links import LinkStore

        return LinkStore(self.redis, self.keys, self.wecom.acquisition)

    # -- referral fission ------------------------------------------------------------------
    @cached_property
    def fission(self) -> FissionStore:
        from bot.fission.store import FissionStore

        return FissionStore(self.redis, self.keys)

    # -- mass-send tasks -------------------------------------------------------------------
    @cached_property
    def mass(self) -> MassStore:
        from bot.mass.store import MassStore

        return MassStore(self.redis, self.keys)

    @cached_property
    def moments(self) -> MomentStore:
        from bot.moments.store import MomentStore

        return MomentStore(self.redis, self.keys)

    @cached_property
    def inheritance(self) -> InheritanceStore:
        from bot.inheritance.store import InheritanceStore

        return InheritanceStore(self.redis, self.keys)

    # -- store codes -----------------------------------------------------------------------
    @cached_property
    def store_codes(self) -> StoreCodeStore:
        from bot.store_codes.store import StoreCodeStore

        return StoreCodeStore(self.redis, self.keys)

    # -- people and names ----------------------------------------------------------------
    @cached_property
    def directory(self) -> StaffDirectory:
        from bot.directory import StaffDirectory

        return StaffDirectory(self.redis, self.keys, self.wecom.user)

    @cached_property
    def names(self) -> Names:
        from bot.names import Names

        return Names(self.redis, self.keys, self.wecom)

    @cached_property
    def group_names(self) -> GroupNames:
        from bot.names import GroupNames

        return GroupNames(self.redis, self.keys, self.wecom)

    @cached_property
    def profiles(self) -> ProfileStore:
        from bot.profiles.store import ProfileStore

        return ProfileStore(self.redis, self.keys)

    @cached_property
    def orders(self) -> OrderStore:
        from bot.rfm.orders import OrderStore

        return OrderStore(self.redis, self.keys)

    @cached_property
    def member_quota(self) -> MemberQuota:
        from bot.wecom.member_quota import MemberQuota

        return MemberQuota(self.redis, self.keys)

    # -- chat text -----------------------------------------------------------------------
    @cached_property
    def chat_log(self) -> ChatLog:
        from bot.chat_log import ChatLog

        return ChatLog(self.redis, self.keys)

    @cached_property
    def chat_history(self) -> ChatHistory:
        from bot.chat_log import ChatHistory

        return ChatHistory(self.redis, self.keys)

    @cached_property
    def words(self) -> WordLibrary:
        from bot.text.library import WordLibrary

        return WordLibrary(self.redis, self.keys)

    @cached_property
    def intercept(self) -> InterceptSyncer:
        from bot.text.intercept_auto import InterceptSyncer

        return InterceptSyncer(self.redis, self.keys, self.wecom.intercept)

    # -- tagging -------------------------------------------------------------------------
    @cached_property
    def tag_rules(self) -> TagRuleStore:
        from bot.tagging.store import TagRuleStore

        return TagRuleStore(self.redis, self.keys)

    @cached_property
    def tagger(self) -> Tagger:
        from bot.tagging.tagger import Tagger

        return Tagger(self.redis, self.keys, self.wecom.external_contact)

    @cached_property
    def corp_tags(self) -> CorpTags:
        from bot.tagging.tags import CorpTags

        return CorpTags(self.redis, self.keys, self.wecom.external_contact)

    # -- welcomes ------------------------------------------------------------------------
    @cached_property
    def welcomes(self) -> WelcomeStore:
        from bot.welcome.store import WelcomeStore

        return WelcomeStore(self.redis, self.keys)

    @cached_property
    def channels(self) -> ChannelStore:
        from bot.welcome.channels import ChannelStore

        return ChannelStore(self.redis, self.keys)

    @cached_property
    def group_welcomes(self) -> GroupWelcomeStore:
        from bot.welcome.group import GroupWelcomeStore

        return GroupWelcomeStore(self.redis, self.keys, self.wecom.external_contact)

    @cached_property
    def join_log(self) -> JoinLog:
        from bot.welcome.join_log import JoinLog

        return JoinLog(self.redis, self.keys)

    @cached_property
    def media(self) -> MediaLibrary:
        from bot.media import MediaLibrary

        return MediaLibrary(self.redis, self.keys, self.wecom.media)

    # -- scripts and products ------------------------------------------------------------
    @cached_property
    def scripts(self) -> ScriptStore:
        from scripts_library.scripts import ScriptStore

        return ScriptStore(self.redis, self.keys)

    @cached_property
    def script_index(self) -> ScriptIndex:
        """The process's search index (refreshed from the change stream before a search)."""
        from scripts_library.search import ScriptIndex

        return ScriptIndex(self.redis, self.keys)

    @cached_property
    def products(self) -> ProductStore:
        from scripts_library.products import ProductStore

        return ProductStore(self.redis, self.keys)

    # -- SOP, jobs and stats ---------------------------------------------------------------
    @cached_property
    def sops(self) -> SopStore:
        from bot.sop.store import SopStore

        return SopStore(self.redis, self.keys)

    @cached_property
    def sop_tasks(self) -> TaskStore:
        from bot.sop.tasks import TaskStore

        return TaskStore(self.redis, self.keys)

    @cached_property
    def scheduler(self) -> Scheduler:
        from bot.scheduler import Scheduler

        return Scheduler(self.redis, self.keys)

    @cached_property
    def stats(self) -> StatsRecorder:
        from bot.stats.recorder import StatsRecorder

        return StatsRecorder(self.redis, self.keys)
