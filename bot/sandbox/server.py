"""The `Sandbox` (one emulated WeCom corp) and the aiohttp application that serves it.

Typical use beside a bot (the demo), with the client's base URL set to `base_url`:

    sandbox = Sandbox(staff=["zhangsan"])
    base_url = await sandbox.start("127.0.0.1", 0)
    sandbox.connect_bot("http://127.0.0.1:8080/wecom/callback", token, aes_key)
    result = await sandbox.customer_adds_staff("zhangsan", state="spring")
    await sandbox.stop()

Tests serve `create_sandbox_app(sandbox)` with pytest-aiohttp instead of `start`.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable

from aiohttp import web

from bot.sandbox import (
    routes_acquisition,
    routes_auth,
    routes_contact,
    routes_contact_way,
    routes_intercept,
    routes_join_way,
    routes_mass,
    routes_media,
    routes_messages,
    routes_moments,
    routes_msgaudit,
    routes_statistics,
    routes_tags,
    routes_transfer,
)
from bot.sandbox.dispatch import SANDBOX_KEY, Endpoint, handle_api
from bot.sandbox.driver import CallbackDriver, UrlCheck
from bot.sandbox.faults import FaultInjector
from bot.sandbox.ratelimit import ApiRateLimiter
from bot.sandbox.recorder import Call, CallRecorder
from bot.sandbox.routes_client import add_client_routes
from bot.sandbox.routes_control import add_control_routes
from bot.sandbox.scenarios_staff import StaffScenarios
from bot.sandbox.state import (
    AppMessage,
    Expiring,
    ExternalContact,
    MassTask,
    MemberTag,
    Moment,
    SandboxState,
    Staff,
    WelcomeDelivery,
)
from bot.sandbox.tokens import TokenStore

DEFAULT_CORP_ID = "wwsandbox0000000001"
DEFAULT_AGENT_ID = 1000002
DEFAULT_APP_SECRET = "sandbox-app-secret-0000000000000000000000000"
DEFAULT_CONTACT_SECRET = "sandbox-contact-secret-00000000000000000000"
DEFAULT_ARCHIVE_SECRET = "sandbox-archive-secret-00000000000000000000"
OAUTH_CODE_LIFETIME = 300
MAX_BODY = 32 * 1024 * 1024  # above the 20 MB file upload limit, so the API can refuse it


def _endpoints() -> dict[str, Endpoint]:
    merged: dict[str, Endpoint] = {}
    for module in (
        routes_acquisition,
        routes_auth,
        routes_contact,
        routes_contact_way,
        routes_join_way,
        routes_intercept,
        routes_mass,
        routes_moments,
        routes_statistics,
        routes_transfer,
        routes_media,
        routes_msgaudit,
        routes_messages,
        routes_tags,
    ):
        merged.update(module.router.endpoints)
    return merged


class Sandbox(StaffScenarios):
    """One emulated WeCom corp with one self-built app, served under `/cgi-bin/`.

    `clock` is the sandbox's time source; `advance(seconds)` moves sandbox time forward on
    top of it, so welcome codes, tokens and rate windows expire without real sleeping.
    `app_has_contact_permission` says whether the app is listed under 客户联系 → 可调用接口的
    应用 (then its token may call `externalcontact/*`; otherwise those answer 48002).
    """

    def __init__(
        self,
        *,
        corp_id: str = DEFAULT_CORP_ID,
        agent_id: int = DEFAULT_AGENT_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        contact_secret: str = DEFAULT_CONTACT_SECRET,
        clock: Callable[[], float] = time.time,
        app_has_contact_permission: bool = True,
        strict_media: bool = True,
        staff: Iterable[str | Staff] = (),
        seed: int | None = None,
    ) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.app_secret = app_secret
        self.contact_secret = contact_secret
        self.archive_secret = DEFAULT_ARCHIVE_SECRET
        # 同意存档: (member, customer) -> Agree / Disagree (unset: Agree)
        self.archive_consent: dict[tuple[str, str], str] = {}
        self.archive_room_votes: dict[str, dict[str, int]] = {}
        self.archive_room_errors: dict[str, int] = {}  # check_room_agree's errcode for a group
        self.app_has_contact_permission = app_has_contact_permission
        self.strict_media = strict_media
        self._clock = clock
        self._offset = 0.0
        self.state = SandboxState(seed)
        self.tokens = TokenStore(self.now, self.state.new_id)
        self.faults = FaultInjector()
        self.recorder = CallRecorder()
        self.rate_limiter = ApiRateLimiter()  # doc 90454; lower its limits to test 45009
        self.endpoints = _endpoints()
        self.driver: CallbackDriver | None = None
        self._old_drivers: list[CallbackDriver] = []
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None
        self.signed_in: str | None = None  # who the OAuth2 authorize page signs in
        self.takeover_capacity: dict[str, int] = {}  # member -> most customers (unset: any)
        # WeCom's behaviour figures the sandbox doesn't model: (userid, day 00:00) -> counts
        self.behavior_extra: dict[tuple[str, int], dict[str, int]] = {}
        self.scanner: str | None = None  # who "scans" the web login's code (else signed_in)
        self.kf_page_size: int | None = None  # kf/sync_msg answers at most this many per page
        self.links: list[tuple[str, str]] = []  # extra (url, label) on the root page (the demo's)
        for member in staff:
            if isinstance(member, Staff):
                self.state.staff[member.userid] = member
            else:
                self.add_staff(member)

    # -- time ------------------------------------------------------------------------------
    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> float:
        """Move sandbox time forward by `seconds`; returns the new sandbox time."""
        if seconds < 0:
            raise ValueError("sandbox time only moves forward")
        self._offset += seconds
        return self.now()

    # -- seeding ---------------------------------------------------------------------------
    def add_staff(
        self,
        userid: str,
        name: str = "",
        department: Iterable[int] = (1,),
        *,
        native_welcome: bool = False,
    ) -> Staff:
        """Add (or replace) a staff member; `native_welcome` suppresses WelcomeCode."""
        member = Staff(userid, name or userid, list(department), native_welcome)
        self.state.staff[userid] = member
        return member

    def add_member_tag(
        self, tagid: int, name: str, users: Iterable[str] = (), departments: Iterable[int] = ()
    ) -> MemberTag:
        """Add (or replace) a contact tag (通讯录标签) on staff and departments, for `tag/get`."""
        tag = MemberTag(tagid, name, list(users), list(departments))
        self.state.member_tags[tagid] = tag
        return tag

    def add_customer(self, external_userid: str | None = None, name: str = "") -> ExternalContact:
        """The customer `external_userid`, created with a generated profile if new."""
        if external_userid is not None and external_userid in self.state.contacts:
            return self.state.contacts[external_userid]
        ext_id = external_userid or self.state.new_id("wm", 32)
        contact = ExternalContact(
            ext_id,
            name or f"customer-{ext_id[-6:]}",
            avatar=f"https://wework.qpic.cn/wwhead/sandbox/{ext_id}/0",
            unionid=self.state.new_id("o", 28),
        )
        self.state.contacts[ext_id] = contact
        return contact

    def add_kf_account(self, open_kfid: str | None = None) -> str:
        open_kfid = open_kfid or self.state.new_id("wk", 32)
        self.state.kf_accounts.add(open_kfid)
        return open_kfid

    def mint_oauth_code(self, userid: str) -> str:
        """An OAuth2 code for `userid`, as WeCom appends to the sidebar URL: 5 min, once."""
        if userid not in self.state.staff:
            raise ValueError(f"unknown staff member {userid!r}")
        code = self.state.new_id("", 43)
        self.state.oauth_codes[code] = Expiring(code, userid, self.now() + OAUTH_CODE_LIFETIME)
        return code

    def sign_in(self, userid: str | None) -> None:
        """The member the WeCom client is signed in as (None: nobody), for OAuth2 authorize."""
        if userid is not None and userid not in self.state.staff:
            raise ValueError(f"unknown staff member {userid!r}")
        self.signed_in = userid

    def scan_in(self, userid: str | None) -> None:
        """The member whose WeCom "scans" the web login's QR code (None: the one signed in)."""
        if userid is not None and userid not in self.state.staff:
            raise ValueError(f"unknown staff member {userid!r}")
        self.scanner = userid

    def start_chat(self, userid: str, external_userid: str) -> None:
        """The pair started chatting: a pending welcome code now answers 41051."""
        follow = self.state.follow(userid, external_userid)
        if follow is None:
            raise ValueError(f"{userid!r} has no relationship with {external_userid!r}")
        follow.chat_started = True

    def media_ok(self, media_id: str, kind: str) -> bool:
        if not self.strict_media:
            return True
        return routes_media.media_ok(self.state.media, media_id, kind, self.now())

    # -- what was recorded -----------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        return list(self.recorder.calls)

    def calls_to(self, path: str) -> list[Call]:
        """Every recorded call of one API, e.g. `externalcontact/send_welcome_msg`."""
        return self.recorder.to(path)

    def welcomes(self, external_userid: str | None = None) -> list[WelcomeDelivery]:
        """The welcome messages WeCom would have delivered, oldest first."""
        return [
            w
            for w in self.state.welcomes
            if external_userid is None or w.external_userid == external_userid
        ]

    def app_messages(
        self, userid: str | None = None, delivered: bool | None = True
    ) -> list[AppMessage]:
        """App messages per recipient; `delivered=False` gives the dropped ones, None all."""
        return [
            m
            for m in self.state.app_messages
            if (userid is None or m.userid == userid)
            and (delivered is None or m.delivered == delivered)
        ]

    @property
    def mass_tasks(self) -> list[MassTask]:
        return list(self.state.mass_tasks)

    def member_sends_mass(self, msgid: str, userid: str) -> MassTask:
        """A member confirms their part of a mass-message task in the client (企业群发)."""
        task = next((t for t in self.state.mass_tasks if t.msgid == msgid), None)
        if task is None or userid not in task.members:
            raise ValueError(f"{userid!r} sends no part of mass task {msgid!r}")
        if task.cancelled:
            raise ValueError(f"mass task {msgid!r} was cancelled")
        task.sent_at.setdefault(userid, self.now())
        return task

    def moment(self, moment_id: str) -> Moment:
        found = next((m for m in self.state.moments.values() if m.moment_id == moment_id), None)
        if found is None:
            raise ValueError(f"no moment {moment_id!r}")
        return found

    def member_publishes_moment(self, moment_id: str, userid: str) -> Moment:
        """A member publishes their part of a moments task in the client (企业发表)."""
        moment = self.moment(moment_id)
        if userid not in moment.senders or moment.cancelled:
            raise ValueError(f"{userid!r} can't publish moment {moment_id!r}")
        moment.published.setdefault(userid, self.now())
        return moment

    def customer_reacts(
        self, moment_id: str, userid: str, external_userid: str, like: bool
    ) -> None:
        """A customer likes (or comments on) a member's published post."""
        moment = self.moment(moment_id)
        (moment.likes if like else moment.comments).append((userid, external_userid, self.now()))

    def reset(self) -> None:
        """Forget everything but the configuration, the staff and sandbox time."""
        self.state.clear()
        self.tokens.clear()
        self.faults.clear()
        self.recorder.clear()
        self.rate_limiter.clear()

    # -- the bot ---------------------------------------------------------------------------
    def connect_bot(
        self,
        url: str,
        token: str,
        encoding_aes_key: str,
        *,
        timeout: float = 5.0,
        max_retries: int = 3,
        retry_delay: float = 0.0,
    ) -> CallbackDriver:
        """Deliver scenario callbacks to the bot's callback `url` from now on."""
        if self.driver is not None:
            self._old_drivers.append(self.driver)
        self.driver = CallbackDriver(
            url,
            token,
            encoding_aes_key,
            self.corp_id,
            self.agent_id,
            clock=self.now,
            timeout=timeout,
            max_retries=max_retries,
            retry_delay=retry_delay,
        )
        return self.driver

    async def verify_bot_url(self) -> UrlCheck:
        """The GET URL verification WeCom makes when the callback URL is saved."""
        if self.driver is None:
            raise RuntimeError("no bot connected; connect_bot() first")
        return await self.driver.verify_url()

    async def close_drivers(self) -> None:
        for driver in [*self._old_drivers, *([self.driver] if self.driver else [])]:
            await driver.close()
        self._old_drivers.clear()

    # -- serving on a real port ------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on `host:port` (0 picks a free port); returns the base URL for the client."""
        if self._runner is not None:
            raise RuntimeError("sandbox already started")
        runner = web.AppRunner(create_sandbox_app(self), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving and close the callback driver's HTTP session."""
        await self.close_drivers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.base_url = None


def create_sandbox_app(sandbox: Sandbox) -> web.Application:
    """The aiohttp application serving `sandbox` at `/cgi-bin/...` and `/sandbox/...`, and
    the client's OAuth2 page at `/connect/oauth2/authorize`."""
    app = web.Application(client_max_size=MAX_BODY)
    app[SANDBOX_KEY] = sandbox
    app.router.add_route("*", "/cgi-bin/{path:.+}", handle_api)
    app.router.add_get("/", sandbox_home)
    add_control_routes(app)
    add_client_routes(app)

    async def close_drivers(_: web.Application) -> None:
        await sandbox.close_drivers()

    app.on_cleanup.append(close_drivers)
    return app


async def sandbox_home(request: web.Request) -> web.Response:
    """The sandbox's root: what it is and where to look (instead of a bare 404)."""
    sandbox = request.app[SANDBOX_KEY]
    links = [
        ("/sandbox/calls", "企业微信 API 调用记录（JSON）"),
        ("/sandbox/welcomes", "客户收到的欢迎语（JSON）"),
        ("/sandbox/app_messages", "员工收到的应用消息（JSON）"),
        *sandbox.links,
    ]
    items = "\n".join(
        f'<li><a href="{html.escape(url)}">{html.escape(url[:120])}</a> — {html.escape(label)}</li>'
        for url, label in links
    )
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>企业微信沙箱</title></head><body><h1>企业微信沙箱</h1>"
        "<p>本地模拟的企业微信接口（/cgi-bin/…），供演示和测试使用，带企业微信的限制和错误码。</p>"
        f"<p>企业 ID：{html.escape(sandbox.corp_id)}，应用 AgentId：{sandbox.agent_id}</p>"
        f"<ul>{items}</ul></body></html>"
    )
    return web.Response(text=page, content_type="text/html")
