"""`scrm-bot demo`: embedded Redis + the WeCom sandbox + the bot, and a scripted scenario.

The transcript shows what WeCom would have delivered to customers and staff. Later features
add their scenes to `SCENES`.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.app import create_app
from bot.appkeys import FILTER, HANDLER_CONTEXT, HOME_LINKS, KEYS, REDIS, WECOM
from bot.config import Settings
from bot.demo.admin import scene_admin_chat
from bot.demo.console import scene_console
from bot.demo.sidebar import chat_window_url, scene_sidebar
from bot.demo.sop import scene_churn, scene_sop_reminder, scene_sop_rule
from bot.fission.demo import scene_fission
from bot.group_codes.demo import scene_group_code
from bot.inheritance.demo import scene_inheritance
from bot.mass.demo import scene_mass
from bot.sandbox import Sandbox, ScenarioResult
from bot.storage.embedded import refuse_if_taken
from bot.store_codes.demo import scene_store_code
from bot.tagging.rules import TagRule
from bot.tagging.store import TagRuleStore
from bot.text.guard import BlockedText
from bot.text.library import WordLibrary
from bot.wecom_stats.demo import scene_wecom_stats
from bot.welcome.channels import Channel, ChannelStore
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import WelcomeTemplate

DEMO_TOKEN = "ScrmDemoToken2026"
DEMO_AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
DEMO_PREFIX = "demo"  # each run uses demo<start time>; older runs are removed


@dataclass
class Demo:
    """What the scenes share: the sandbox, the running bot app and the transcript printer."""

    sandbox: Sandbox
    app: web.Application
    say: Callable[[str], None]

    async def wait_for(
        self, check: Callable[[], Awaitable[bool]], what: str, within: float = 20
    ) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await check():
                return
            await asyncio.sleep(0.02)
        raise RuntimeError(f"demo: timed out waiting for {what}")


async def scene_url_check(demo: Demo) -> None:
    assert demo.sandbox.driver is not None
    check = await demo.sandbox.driver.verify_url()
    demo.say(f"企业微信校验回调 URL：{'通过' if check.ok else '失败'}（HTTP {check.status}）")
    if not check.ok:
        raise RuntimeError("URL verification failed")


async def scene_welcome(demo: Demo) -> None:
    sandbox = demo.sandbox
    result = await sandbox.customer_adds_staff(
        "zhangsan", "wmDemoCustomer01", name="王小明", state="spring-poster"
    )
    demo.say("客户「王小明」扫码（渠道 spring-poster）添加了员工「张三」")
    demo.say(f"  企业微信推送 add_external_contact → 机器人应答 {_statuses(result)}")

    async def welcomed() -> bool:
        return bool(sandbox.welcomes("wmDemoCustomer01"))

    await demo.wait_for(welcomed, "the welcome message")
    welcome = sandbox.welcomes("wmDemoCustomer01")[0]
    delay = welcome.time - result_time(result.xml)
    demo.say(f"  → 客户收到欢迎语（事件后 {max(delay, 0):.1f} 秒，20 秒窗口内）：{welcome.text}")

    assert sandbox.driver is not None
    retry = await sandbox.driver.deliver(result.xml)  # WeCom retries the same event
    await asyncio.sleep(0.3)
    demo.say(
        f"  企业微信重试同一事件 → 应答 {retry.statuses}，客户收到的欢迎语仍是 "
        f"{len(sandbox.welcomes('wmDemoCustomer01'))} 条"
    )


def _statuses(result: ScenarioResult) -> list[int | None]:
    return result.delivery.statuses if result.delivery else []


def result_time(xml: str) -> float:
    start = xml.find("<CreateTime>") + len("<CreateTime>")
    return float(xml[start : xml.find("</CreateTime>")])


async def scene_channel_code(demo: Demo) -> None:
    sandbox, redis, keys = demo.sandbox, demo.app[REDIS], demo.app[KEYS]
    wecom = demo.app[WECOM]
    group = await wecom.external_contact.add_corp_tag(["门店海报"], group_name="来源渠道")
    tag_id = group["tag"][0]["id"]
    manager = ChannelManager(ChannelStore(redis, keys), wecom.external_contact)
    channel = await manager.create(
        Channel("", "门店海报", users=["zhangsan", "wangwu"], daily_limit=1, tags=[tag_id])
    )
    await WelcomeStore(redis, keys).save(
        WelcomeTemplate(
            "",
            "门店海报",
            "channel",
            channel.state,
            "{{ customer_name }}您好！感谢扫描门店海报，到店出示本消息可领取小礼品。",
            text_without_name="您好！感谢扫描门店海报，到店出示本消息可领取小礼品。",
        ),
        demo.app[HANDLER_CONTEXT].text,
    )
    demo.say(
        f"运营创建渠道活码「门店海报」（state {channel.state}，张三、王五轮流接待，每人每天 1 位）"
    )
    await sandbox.customer_adds_staff(
        "zhangsan", "wmDemoCustomer02", name="赵小丽", config_id=channel.config_id
    )

    async def limited() -> bool:
        return sandbox.state.contact_ways[channel.config_id].user == ["wangwu"]

    await demo.wait_for(limited, "the daily limit")
    demo.say(f"  → 客户「赵小丽」收到渠道欢迎语：{sandbox.welcomes('wmDemoCustomer02')[0].text}")
    demo.say("  → 欢迎语之后打上「门店海报」标签；张三今日已满 1 位，活码改为只分配给王五")


async def scene_group(demo: Demo) -> None:
    result = await demo.sandbox.customer_joins_group(
        None, "wmDemoCustomer01", join_scene=3, owner="zhangsan"
    )
    demo.say(f"客户「王小明」扫码加入客户群 → 事件已接收（应答 {_statuses(result)}）")


async def scene_kf(demo: Demo) -> None:
    redis, keys = demo.app[REDIS], demo.app[KEYS]
    await TagRuleStore(redis, keys).save(
        TagRule("", "退货咨询", ["退货", "退款"], "售后", "退货咨询")
    )
    demo.say("管理员设好自动标签规则：消息含「退货」或「退款」→ 标签「售后/退货咨询」")
    await demo.sandbox.customer_adds_staff("wangwu", "wmDemoCustomer01", name="钱小姐")
    open_kfid = demo.sandbox.add_kf_account("wkDemoService000000000000000001")
    await demo.sandbox.kf_message("wmDemoCustomer01", "请问退货需要几天到账？", open_kfid)
    demo.say("客户「钱小姐」在微信客服中发来：「请问退货需要几天到账？」")

    async def pulled() -> bool:
        return int(await redis.xlen(keys.chat_history)) > 0

    await demo.wait_for(pulled, "the KF message pull")
    [(_, fields)] = await redis.xrange(keys.chat_history, count=1)
    text = json.loads(fields["json"]).get("text", "")
    demo.say(f"  → 机器人用 kf/sync_msg 拉取并保存了消息：「{text}」")

    async def tagged() -> bool:
        return int(await redis.xlen(keys.autotag_log)) > 0

    await demo.wait_for(tagged, "the automatic tag")
    marks = [fields for _, fields in await redis.xrange(keys.autotag_log)]
    staff = "、".join(sorted(m["staff"] for m in marks))
    demo.say(
        f"  → 规则「{marks[0]['rule_name']}」命中，客户被打上「{marks[0]['tag']}」标签"
        f"（跟进员工：{staff}，每人一次 mark_tag）"
    )


async def scene_sensitive_words(demo: Demo) -> None:
    reloader = demo.app[FILTER]
    reloader.reloaded.clear()
    await WordLibrary(demo.app[REDIS], demo.app[KEYS]).add([(1, "某竞品", "competitor")])
    await asyncio.wait_for(reloader.reloaded.wait(), timeout=5)
    demo.say("管理员把「某竞品」加入敏感词库（竞品，禁止）→ 各进程 1 秒内换上新过滤器")
    guard = demo.app[HANDLER_CONTEXT].text
    try:
        guard.check_outgoing("欢迎语：我们比某-竞品便宜，全网最低价！")
    except BlockedText as exc:
        demo.say(f"  保存话术被拒：{exc}")
    await demo.sandbox.kf_message(
        "wmDemoCustomer01", "某 竞 品家更便宜", "wkDemoService000000000000000001"
    )

    async def alerted() -> bool:
        return any(
            "敏感词提醒" in m.content.get("content", "") for m in demo.sandbox.app_messages("lisi")
        )

    await demo.wait_for(alerted, "the admin alert")
    alert = next(
        m for m in demo.sandbox.app_messages("lisi") if "敏感词提醒" in m.content["content"]
    )
    demo.say(f"  客户消息触发提醒，管理员「李四」收到：{alert.content['content'].splitlines()[0]}")


SCENES: list[Callable[[Demo], Awaitable[None]]] = [
    scene_url_check,
    scene_sop_rule,
    scene_welcome,
    scene_channel_code,
    scene_group,
    scene_group_code,
    scene_store_code,
    scene_kf,
    scene_sensitive_words,
    scene_sidebar,
    scene_admin_chat,  # after the sidebar scene: the library is stocked, zhangsan signed in
    scene_console,
    scene_fission,  # after the KF scene: its customer-service messages come later
    scene_mass,
    scene_wecom_stats,  # before the clock moves: today is the same day for WeCom and the bot
    scene_sop_reminder,  # moves the sandbox's clock three days ahead: keep it near the end
    scene_churn,
    scene_inheritance,  # after the clock moved: takes it another day ahead
]


async def run_demo(host: str, port: int, data_dir: str, *, once: bool) -> int:
    """Run the scenario and print its transcript; then serve until Ctrl-C unless `once`."""
    refuse_if_taken(Path(data_dir))  # another demo runs here: refuse before printing anything
    sandbox = Sandbox(staff=[])
    sandbox.add_staff("zhangsan", "张三")
    sandbox.add_staff("lisi", "李四")
    sandbox.add_staff("wangwu", "王五")
    api_base = await sandbox.start(host, 0)
    # the socket comes first: the sidebar's OAuth redirect needs the bot's URL in its settings
    sock = _listen(host, port)
    bound = sock.getsockname()
    bot_url = f"http://{bound[0]}:{bound[1]}"
    settings = Settings(
        corp_id=sandbox.corp_id,
        token=DEMO_TOKEN,
        aes_key=DEMO_AES_KEY,
        agent_id=sandbox.agent_id,
        agent_secret=sandbox.app_secret,
        contact_secret=sandbox.contact_secret,
        wecom_api_base=api_base,
        public_url=bot_url,
        oauth_authorize_url=f"{api_base}/connect/oauth2/authorize",
        web_login_url=f"{api_base}/wwlogin/sso/login",
        admins=frozenset({"lisi"}),
        data_dir=Path(data_dir),
        key_prefix=f"{DEMO_PREFIX}{int(time.time())}",
    )
    app = create_app(settings, sidebar_ww_stub=f"{api_base}/sandbox/static/ww-stub.js")
    window = chat_window_url(api_base, bot_url)
    chat = "模拟聊天窗口（张三 ↔ 赵小丽，右侧是真实的侧边栏）"
    app[HOME_LINKS] = [
        (window, chat),
        (bot_url + "/console/", "管理后台（以管理员李四登录）"),
        (api_base + "/", "企业微信沙箱"),
    ]
    sandbox.links = [(window, chat), (bot_url + "/", "机器人")]
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=settings.header_timeout_seconds)
    try:
        await runner.setup()
        await _forget_previous_run(app)
        await web.SockSite(runner, sock).start()
        sandbox.connect_bot(f"{bot_url}/wecom/callback", DEMO_TOKEN, DEMO_AES_KEY)
        print(f"== scrm-bot demo：机器人 {bot_url}，沙箱 {api_base}，数据 {data_dir}/ ==")
        demo = Demo(sandbox, app, lambda line: print(line, flush=True))
        for scene in SCENES:
            await scene(demo)
        calls = sandbox.calls
        print(f"== 沙箱共记录 {len(calls)} 次企业微信 API 调用：")
        for call in calls:
            print(f"   {call.method} {call.path} → errcode {call.errcode}")
        if once:
            return 0
        print(
            f"\n继续运行中（Ctrl-C 退出）：回调 {bot_url}/wecom/callback · "
            f"指标 {bot_url}/metrics · 健康 {bot_url}/healthz · "
            f"沙箱调用记录 {api_base}/sandbox/calls\n"
            f"模拟聊天窗口（张三 ↔ 赵小丽，右侧是真实的侧边栏，点一条话术看它发出）：\n"
            f"  {chat_window_url(api_base, bot_url)}\n"
            f"管理后台（打开即以管理员「李四」扫码登录）：\n  {bot_url}/console/",
            flush=True,
        )
        await _stopped()
        return 0
    finally:
        await runner.cleanup()
        sock.close()  # already closed when the site started; not when start-up failed
        await sandbox.stop()


async def _stopped() -> None:
    """Until SIGTERM or SIGHUP (Ctrl-C raises KeyboardInterrupt): then the demo stops in order,
    the bot, the sandbox and its embedded Redis (which also dies with us if we are killed)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on `port`, or on any free port when that one is taken."""
    try:
        return _bound(host, port)
    except OSError as exc:  # the port is taken: any free one will do for a demo
        print(f"端口 {port} 不可用（{exc.strerror}），改用随机端口", flush=True)
        return _bound(host, 0)


def _bound(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


async def _forget_previous_run(app: web.Application) -> None:
    """The demo owns its data folder: a new sandbox makes earlier runs' state meaningless."""
    redis, current = app[REDIS], app[KEYS].prefix + ":"
    stale = [
        key
        async for key in redis.scan_iter(match=f"{DEMO_PREFIX}*", count=1000)
        if not key.startswith(current)
    ]
    if stale:
        await redis.delete(*stale)
