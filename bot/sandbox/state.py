"""The in-memory state of one sandbox corp: people, relationships and everything the API keeps.

Plain dataclasses and dicts; the routes validate, this module only holds. Ids are drawn from
the sandbox's own seeded `random.Random` so that a test run with a fixed seed is reproducible.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]
_ALNUM = string.ascii_letters + string.digits


@dataclass
class Staff:
    """A member of the corp (成员) who can hold customers."""

    userid: str
    name: str
    department: list[int] = field(default_factory=lambda: [1])
    native_welcome: bool = False  # a welcome configured in the admin console: no WelcomeCode
    resigned_at: float = 0.0  # when the member left the corp (0: still here)


@dataclass
class MemberTag:
    """A contact tag (通讯录标签) on staff and departments, as `tag/get` describes it."""

    tagid: int
    name: str
    users: list[str] = field(default_factory=list)
    departments: list[int] = field(default_factory=list)


@dataclass
class ExternalContact:
    """A customer (外部联系人) as `externalcontact/get` describes them."""

    external_userid: str
    name: str
    avatar: str = ""
    type: int = 1  # 1 WeChat user, 2 WeCom user
    gender: int = 0
    unionid: str = ""
    corp_name: str = ""


@dataclass
class FollowUser:
    """One staff member's relationship with one customer."""

    userid: str
    external_userid: str
    createtime: int
    remark: str = ""
    description: str = ""
    add_way: int = 1
    state: str = ""
    tag_ids: list[str] = field(default_factory=list)
    chat_started: bool = False
    via_link: str = ""  # the acquisition link it came through


@dataclass
class Tag:
    """A corp tag (企业标签)."""

    id: str
    name: str
    group_id: str
    create_time: int
    order: int = 0


@dataclass
class TagGroup:
    """A corp tag group; its tags in creation order."""

    group_id: str
    group_name: str
    create_time: int
    order: int = 0
    tag_ids: list[str] = field(default_factory=list)


@dataclass
class WelcomeCode:
    """Issued with an add_external_contact event: valid 20 s, usable once."""

    code: str
    userid: str
    external_userid: str
    issued_at: float
    used_at: float | None = None


@dataclass
class WelcomeDelivery:
    """A welcome message WeCom would have delivered to the customer."""

    userid: str
    external_userid: str
    welcome_code: str
    text: str
    attachments: list[JsonDict]
    time: float


@dataclass
class ContactWay:
    """A 联系我 channel code."""

    config_id: str
    type: int
    scene: int
    created: float
    style: int = 0
    remark: str = ""
    skip_verify: bool = True
    state: str = ""
    user: list[str] = field(default_factory=list)
    party: list[int] = field(default_factory=list)
    qr_code: str = ""
    extra: JsonDict = field(default_factory=dict)


@dataclass
class JoinWay:
    """A group live code (客户群进群方式, 群活码): the groups a scan joins, in order."""

    config_id: str
    scene: int
    created: float
    remark: str = ""
    auto_create_room: int = 1
    room_base_name: str = ""
    room_base_id: int = 0
    chat_id_list: list[str] = field(default_factory=list)
    state: str = ""
    qr_code: str = ""
    rooms_created: list[str] = field(default_factory=list)  # groups WeCom made when full


@dataclass
class MassTask:
    """A mass-message task (企业群发) waiting for its sender to confirm it."""

    msgid: str
    chat_type: str
    sender: str
    recipients: list[str]
    fail_list: list[str]
    text: str
    attachments: list[JsonDict]
    time: float
    members: list[str] = field(default_factory=list)  # who must confirm (each sends their part)
    failed: dict[str, int] = field(default_factory=dict)  # recipient -> 2 not a friend, 3 quota
    sent_at: dict[str, float] = field(default_factory=dict)  # member -> when they confirmed
    reminders: list[float] = field(default_factory=list)
    cancelled: bool = False


@dataclass
class Moment:
    """A moments task (企业发表朋友圈) and what its members and customers did with it."""

    jobid: str
    moment_id: str
    text: str
    attachments: list[JsonDict]
    senders: list[str]  # the valid members asked to publish
    tags: list[str]  # customers who may see it: these tags (empty: all)
    created: float
    published: dict[str, float] = field(default_factory=dict)  # member -> when
    comments: list[tuple[str, str, float]] = field(default_factory=list)  # (member, customer, at)
    likes: list[tuple[str, str, float]] = field(default_factory=list)
    cancelled: bool = False
    invalid_users: list[str] = field(default_factory=list)
    invalid_departments: list[int] = field(default_factory=list)
    invalid_tags: list[str] = field(default_factory=list)


@dataclass
class Transfer:
    """One customer handed from one member to another (继承): resigned or on-job."""

    kind: str  # resigned / onjob
    handover: str
    takeover: str
    external_userid: str
    at: float
    status: int = 2  # 1 taken over, 2 waiting, 3 refused by the customer, 4 takeover full
    takeover_time: float = 0.0
    message: str = ""


@dataclass
class InterceptRule:
    """A sensitive-word intercept rule (敏感词规则)."""

    rule_id: str
    rule_name: str
    word_list: list[str]
    semantics_list: list[int]
    intercept_type: int
    user_list: list[str]
    department_list: list[int]
    create_time: int


@dataclass
class AppMessage:
    """One app message to one staff member; `delivered` False when WeCom would drop it."""

    msgid: str
    userid: str
    msgtype: str
    content: JsonDict
    time: float
    delivered: bool
    drop_reason: str = ""


@dataclass
class AcquisitionLink:
    """A customer acquisition link (获客助手) and who it adds."""

    link_id: str
    link_name: str
    url: str
    users: list[str]
    skip_verify: bool
    create_time: int


@dataclass
class KfReply:
    """A message the bot sent a customer through WeChat Customer Service (kf/send_msg)."""

    msgid: str
    open_kfid: str
    touser: str
    msgtype: str
    content: JsonDict
    sent_at: float


@dataclass
class KfMessage:
    """A WeChat Customer Service message waiting to be pulled with kf/sync_msg."""

    msgid: str
    open_kfid: str
    external_userid: str
    send_time: int
    content: str
    origin: int = 3


@dataclass
class GroupChat:
    """A customer group (客户群) with its current members."""

    chat_id: str
    owner: str
    members: list[str] = field(default_factory=list)
    mem_ver: str = ""
    name: str = ""
    create_time: int = 0
    joined: dict[str, int] = field(default_factory=dict)  # member -> join time


@dataclass
class Expiring:
    """A one-off credential (OAuth code, KF token, ticket) with an owner and an expiry."""

    value: str
    owner: str
    expires_at: float
    used: bool = False


@dataclass
class Media:
    """An uploaded temporary media file; media ids live 3 days."""

    media_id: str
    type: str
    filename: str
    size: int
    created_at: int
    attachment_type: int = 0  # 1 mass messages, 2 moments (media/upload_attachment); 0 upload


class SandboxState:
    """Everything one sandbox corp holds; `reset` empties it but keeps the seeded staff."""

    def __init__(self, seed: int | None = None) -> None:
        self.random = random.Random(seed)
        self.staff: dict[str, Staff] = {}
        self.member_tags: dict[int, MemberTag] = {}  # seeded like staff; kept by `clear`
        self.clear()

    def clear(self) -> None:
        self.contacts: dict[str, ExternalContact] = {}
        self.follows: dict[tuple[str, str], FollowUser] = {}  # (userid, external_userid)
        self.tag_groups: dict[str, TagGroup] = {}
        self.tags: dict[str, Tag] = {}
        self.welcome_codes: dict[str, WelcomeCode] = {}
        self.welcomes: list[WelcomeDelivery] = []
        self.group_templates: dict[str, JsonDict] = {}
        self.contact_ways: dict[str, ContactWay] = {}
        self.join_ways: dict[str, JoinWay] = {}
        self.acquisition_links: dict[str, AcquisitionLink] = {}
        self.acquisition_balance = 100  # adds left in the corp's paid quota
        self.acquisition_used = 0
        self.mass_tasks: list[MassTask] = []
        self.mass_counts: dict[tuple[str, str], int] = {}  # (recipient, "YYYY-MM") -> count
        self.moments: dict[str, Moment] = {}  # jobid -> moment
        self.transfers: list[Transfer] = []
        self.group_transfers: list[tuple[str, str, float]] = []  # (old owner, chat id, at)
        self.rules: dict[str, InterceptRule] = {}
        self.app_messages: list[AppMessage] = []
        self.app_msg_dupes: dict[str, float] = {}  # request JSON -> last accepted
        self.kf_accounts: set[str] = set()
        self.kf_messages: dict[str, list[KfMessage]] = {}
        self.kf_tokens: dict[str, Expiring] = {}
        self.kf_cursors: dict[str, tuple[str, int]] = {}  # cursor -> (open_kfid, next index)
        self.kf_replies: list[KfReply] = []
        self.oauth_codes: dict[str, Expiring] = {}
        self.tickets: dict[str, Expiring] = {}  # "corp" | "agent" -> current ticket
        self.media: dict[str, Media] = {}
        self.groups: dict[str, GroupChat] = {}
        self.app_msg_seq = 0

    def new_id(self, prefix: str = "", length: int = 32) -> str:
        body = "".join(self.random.choice(_ALNUM) for _ in range(length - len(prefix)))
        return prefix + body

    def new_number(self, digits: int = 19) -> str:
        return str(self.random.randrange(10 ** (digits - 1), 10**digits))

    # -- relationships -----------------------------------------------------------------
    def follow(self, userid: str, external_userid: str) -> FollowUser | None:
        return self.follows.get((userid, external_userid))

    def followers(self, external_userid: str) -> list[FollowUser]:
        return [f for f in self.follows.values() if f.external_userid == external_userid]

    def department_members(self, department_id: int) -> list[str]:
        return [s.userid for s in self.staff.values() if department_id in s.department]
