"""The console in headless Chromium (Debian's, driven by Playwright), signed in through the
sandbox's web login: each page's main path and its bad input, at 1280 px and at 360 px.

Screenshots go to docs/img only with SCRM_UPDATE_SCREENSHOT=1 (as the sidebar's), so a test
run leaves the tree clean. Without Chromium these tests skip unless SCRM_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.text.library import WordLibrary
from tests.sidebar.test_browser import chromium  # noqa: F401  (the shared browser fixture)

IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
WIDE, NARROW = 1280, 360


async def open_console(
    browser: Any, settings: Settings, sandbox: Sandbox, userid: str, width: int, path: str = ""
) -> Any:
    sandbox.scan_in(userid)
    context = await browser.new_context(
        viewport={"width": width, "height": 900}, locale="zh-CN", device_scale_factor=1
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    await page.goto(f"{settings.public_url}/console/{path}")
    return page


async def shoot(page: Any, name: str, tmp_path: Path, *, document: bool = True) -> None:
    """A full-page PNG: into docs/img with SCRM_UPDATE_SCREENSHOT=1 (when it is one the docs
    show), else into the test's temporary folder."""
    update = os.environ.get("SCRM_UPDATE_SCREENSHOT") and document
    target = IMG if update else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(target / name), full_page=True)
    assert (target / name).read_bytes().startswith(b"\x89PNG")


async def fits(page: Any, width: int) -> bool:
    return bool(await page.evaluate(f"document.documentElement.scrollWidth <= {width}"))


@pytest.mark.parametrize("width", [WIDE, NARROW])
async def test_the_dashboard_and_the_words_page_main_path_and_bad_input(
    width: int,
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
) -> None:
    words = WordLibrary(redis, RedisKeys(console_settings.corp_id, console_settings.key_prefix))
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", width)
    assert await page.inner_text("h1") == "概览"
    assert "还没有客户数据" in await page.inner_text("main")  # the empty state says what to do
    assert await fits(page, width)
    await shoot(page, f"console-dashboard-{width}.png", tmp_path)

    await page.get_by_role("navigation").get_by_role("link", name="敏感词", exact=True).click()
    form = page.locator('form[data-key="word.add"]')
    await form.locator('input[name="category"]').fill("竞品")
    await form.locator('textarea[name="words"]').fill("甲品牌")
    await form.locator('button[type="submit"]').click()
    result = form.locator(".result")
    await result.filter(has_text="已加入").wait_for()
    assert "甲品牌" in await words.categories(["甲品牌"])

    # bad input: a single character would block every text with it; refused, nothing saved
    await form.locator('textarea[name="words"]').fill("枪")
    await form.locator('button[type="submit"]').click()
    await page.locator('form[data-key="word.add"] .result.refused').wait_for()
    assert "没有新增" in await result.inner_text()
    assert await words.categories(["枪"]) == {}

    # what a text would hit
    test = page.locator('form[data-key="word.test"]')
    await test.locator('textarea[name="text"], input[name="text"]').fill("比甲品牌好多了")
    await test.locator('button[type="submit"]').click()
    await test.locator(".result").filter(has_text="甲品牌").wait_for()

    # a destructive command asks first; the button runs it
    remove = page.locator('form[data-key="word.remove"]')
    await remove.locator('textarea[name="words"], input[name="words"]').fill("甲品牌")
    await remove.locator('button[type="submit"]').click()
    await remove.locator(".result.pending").wait_for()
    assert "甲品牌" in await words.categories(["甲品牌"])
    await remove.locator('button:has-text("确认执行")').click()
    await remove.locator(".result:not(.pending)").wait_for()
    assert await words.categories(["甲品牌"]) == {}
    assert await fits(page, width)
    await shoot(page, f"console-words-{width}.png", tmp_path)
    assert page.errors == []


async def test_a_welcome_over_4000_bytes_is_refused_and_the_audit_log_shows_the_rest(
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
) -> None:
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", WIDE, "f/welcome")
    form = page.locator('form[data-key="welcome.add"]')
    await form.locator('input[name="scope"]').fill("默认")
    await form.locator('input[name="name"]').fill("太长的欢迎语")
    await form.locator('textarea[name="text"]').fill("欢" * 1400)
    await form.locator('button[type="submit"]').click()
    await form.locator(".result.refused").wait_for()
    assert "4000" in (await form.locator(".result").inner_text()).replace(",", "")
    await form.locator('textarea[name="text"]').fill("您好，欢迎关注！有问题随时找我。")
    await form.locator('input[name="name"]').fill("默认欢迎语")
    await form.locator('button[type="submit"]').click()
    await form.locator(".result").filter(has_text="编号").wait_for()
    assert "默认欢迎语" in await form.locator(".result").inner_text()

    await page.click('nav a:has-text("审计日志")')
    table = await page.inner_text("table.audit")
    assert "王管理" in table and "管理后台" in table and "太长的欢迎语" not in table
    await page.click("#undo")
    await page.locator("#undo-result").filter(has_text="撤销").wait_for()
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    assert (await AuditLog(redis, keys).latest(1))[0].summary.startswith("撤销：")
    await shoot(page, "console-audit-entries-1280.png", tmp_path)
    assert page.errors == []


async def test_a_member_is_refused_and_a_forged_token_saves_nothing(
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
) -> None:
    page = await open_console(chromium, console_settings, live_sandbox, "member1", NARROW)
    assert "管理后台只对管理员开放" in await page.inner_text("body")
    assert await fits(page, NARROW)

    page = await open_console(chromium, console_settings, live_sandbox, "admin1", NARROW, "f/word")
    status = await page.evaluate(
        """async () => (await fetch("api/run", {method: "POST",
             headers: {"Content-Type": "application/json", "X-CSRF-Token": "forged-token-0000000000"},
             body: JSON.stringify({key: "word.add", values: {category: "竞品", words: "乙品牌"}})})).status"""
    )
    assert status == 403
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    assert await WordLibrary(redis, keys).categories(["乙品牌"]) == {}


@pytest.mark.parametrize("width", [WIDE, NARROW])
async def test_a_channel_code_is_created_and_its_qr_code_shown_for_print(
    width: int,
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
) -> None:
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", width, "channels")
    assert "还没有渠道活码" in await page.inner_text("main")
    form = page.locator('form[data-post="api/channels/save"]').first
    await form.locator('input[name="name"]').fill("门店海报")
    await form.locator('input[name="users"]').fill("nobody")
    await form.locator('button[type="submit"]').click()
    await form.locator(".result.refused").wait_for()  # a member WeCom doesn't have
    await form.locator('input[name="users"]').fill("zhangsan lisi")
    await form.locator('input[name="daily_limit"]').fill("30")
    await form.locator('button[type="submit"]').click()
    await page.locator("section.channel img.qr").wait_for()  # the page reloaded with it
    loaded = await page.eval_on_selector("img.qr", "img => img.complete && img.naturalWidth")
    assert loaded and loaded > 0
    text = await page.inner_text("section.channel")
    assert "张三（zhangsan）、李四（lisi）" in text and "每人上限 30" in text
    async with page.expect_download() as download:
        await page.click("text=下载二维码 PNG")
    saved = tmp_path / "qr.png"
    await (await download.value).save_as(str(saved))
    assert saved.read_bytes().startswith(b"\x89PNG")
    # a weekend rotation slot, added in the edit form
    card = page.locator("section.channel")
    await card.locator("summary").click()
    edit = card.locator("form.json-form")
    await edit.locator(".add-slot").click()
    await edit.locator('[name="slot_users"]').fill("lisi")
    await edit.locator('[name="slot_weekday"][value="6"]').check()
    await edit.locator('button[type="submit"]').click()
    await page.locator("section.channel").filter(has_text="轮值时段 1 个").wait_for()
    assert await fits(page, width)
    await shoot(page, f"console-channels-{width}.png", tmp_path)
    assert page.errors == []


async def test_the_welcome_form_previews_the_bubble_as_the_admin_types(
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
) -> None:
    page = await open_console(
        chromium, console_settings, live_sandbox, "admin1", NARROW, "f/welcome"
    )
    form = page.locator('form[data-key="welcome.add"]')
    await form.locator('textarea[name="text"]').fill(
        "{{ customer_name }}您好！我是{{ staff_name }}"
    )
    bubble = form.locator(".preview .bubble")
    await bubble.filter(has_text="王小明您好！我是王管理").wait_for()
    await form.locator('textarea[name="text"]').fill("{{ customer_name ")
    await form.locator(".preview.bad .problem").wait_for()
    assert await fits(page, NARROW)
    await form.locator('textarea[name="text"]').fill(
        "{{ customer_name }}您好！我是{{ staff_name }}"
    )
    await bubble.filter(has_text="王小明您好").wait_for()
    await shoot(page, "console-welcome-360.png", tmp_path)
    assert page.errors == []


async def test_a_word_file_is_imported_with_its_hygiene_report(
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
) -> None:
    words = WordLibrary(redis, RedisKeys(console_settings.corp_id, console_settings.key_prefix))
    source = tmp_path / "words.txt"
    source.write_text("甲品牌\n苹果\n乙品牌\n", encoding="utf-8")
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", NARROW, "words")
    await page.set_input_files("#import-file", str(source))
    await page.click('#word-import button[type="submit"]')
    await page.locator("#word-import .result").filter(has_text="新增 2 个").wait_for()
    assert "第 2 行「苹果」" in await page.inner_text("#word-import .report")
    assert set(await words.categories(["甲品牌", "乙品牌", "苹果"])) == {"甲品牌", "乙品牌"}
    await page.select_option("#act-competitor", "flag")
    await page.locator("#action-result").filter(has_text="仅提醒管理员").wait_for()
    assert (await words.snapshot()).actions["competitor"] == "flag"
    assert await fits(page, NARROW)
    await shoot(page, "console-wordlist-360.png", tmp_path)
    assert page.errors == []


@pytest.mark.parametrize("width", [WIDE, NARROW])
async def test_a_sop_is_built_step_by_step_and_a_negative_offset_is_refused(
    width: int,
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
) -> None:
    from bot.appkeys import HANDLER_CONTEXT

    store = console_bot.app[HANDLER_CONTEXT].services.sops
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", width, "sops")
    builder = page.locator("#sop-builder")
    await builder.locator('[name="name"]').fill("新客关怀")
    await builder.locator('.step [name="text"]').first.fill("问候{{ customer_name }}")
    first = builder.locator(".step").first
    await first.locator(".step-link-url").fill("https://shop.example.com/care")
    await first.locator(".step-link-title").fill("护理指南")
    await first.locator(".add-step-link").click()
    await first.locator(".step-attachments").filter(has_text="护理指南").wait_for()
    await page.click("#add-step")
    second = builder.locator(".step").nth(1)
    await second.locator('[name="days"]').fill("-1")
    await second.locator('[name="text"]').fill("回访")
    await builder.locator('button[type="submit"]').click()
    await builder.locator(".result.refused").filter(has_text="第 2 步的时间偏移无效").wait_for()
    assert await store.all() == []
    await second.locator('[name="days"]').fill("3")
    await builder.locator('button[type="submit"]').click()
    await builder.locator(".result:not(.refused)").filter(has_text="共 2 步").wait_for()
    [rule] = await store.all()
    assert [step.days for step in rule.steps] == [1, 3]
    assert rule.steps[0].attachments == [
        {"msgtype": "link", "link": {"title": "护理指南", "url": "https://shop.example.com/care"}}
    ]
    await page.locator("table.sops").filter(has_text="新客关怀").wait_for()  # reloaded
    await page.click("button.edit-sop")
    assert await builder.locator('[name="name"]').input_value() == "新客关怀"
    assert await builder.locator(".step").count() == 2
    assert await fits(page, width)
    await shoot(page, f"console-sop-{width}.png", tmp_path)
    assert page.errors == []


@pytest.mark.parametrize("width", [WIDE, NARROW])
async def test_the_script_library_browses_by_category_and_imports_a_file(
    width: int,
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
) -> None:
    source = tmp_path / "scripts.csv"
    source.write_text(
        "category,title,text\n售后/退货,退货流程,七天无理由退货\n售前/新品,新品介绍,本周上新\n",
        encoding="utf-8",
    )
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", width, "scripts")
    await page.set_input_files("#script-file", str(source))
    await page.click('#script-import button[type="submit"]')
    await page.locator("#script-import .result").filter(has_text="新建 2 条").wait_for()
    await page.locator(".tree").filter(has_text="退货（1）").wait_for()  # reloaded
    await page.click('.tree a:has-text("售后")')
    await page.locator(".results").filter(has_text="退货流程").wait_for()
    assert "新品介绍" not in await page.inner_text(".results")
    await page.click('.results a:has-text("退货流程")')
    await page.locator("h1").filter(has_text="退货流程").wait_for()
    assert "七天无理由退货" in await page.inner_text(".bubble")
    assert await fits(page, width)
    await shoot(page, f"console-script-{width}.png", tmp_path)
    assert page.errors == []


@pytest.mark.parametrize("width", [WIDE, NARROW])
async def test_a_welcome_is_built_with_a_link_and_a_weekend_slot(
    width: int,
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
) -> None:
    from bot.appkeys import HANDLER_CONTEXT

    store = console_bot.app[HANDLER_CONTEXT].services.welcomes
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", width, "welcomes")
    await page.click("text=新建欢迎语")
    editor = page.locator("#welcome-editor")
    await editor.locator('[name="scope"]').select_option("staff")
    await editor.locator('[name="target"]').fill("lisi")
    await editor.locator('[name="name"]').fill("李四的欢迎语")
    await editor.locator('[name="text"]').fill("{{ customer_name }}您好，我是李四")
    await editor.locator(".preview .bubble").filter(has_text="王小明您好，我是李四").wait_for()
    await page.fill("#w-link-title", "本周新品")
    await page.fill("#w-link-url", "https://shop.example.com/new")
    await page.click("#add-link")
    await editor.locator(".preview .cards").filter(has_text="本周新品").wait_for()
    await page.click("#add-slot")
    await editor.locator('.slots [name="weekday"][value="6"]').check()
    await editor.locator('.slots [name="text"]').fill("周末好！我是李四")
    await editor.locator('button[type="submit"]').click()
    await editor.locator(".result.refused").filter(has_text="不含姓名的版本").wait_for()
    await page.fill("#w-noname", "您好，我是李四")
    await editor.locator('button[type="submit"]').click()
    await page.wait_for_url("**/console/welcomes/*")
    await page.locator("h1").filter(has_text="李四的欢迎语").wait_for()
    [template] = [t for t in await store.list() if t.name == "李四的欢迎语"]
    assert template.slots[0].weekdays == [6] and template.attachments[0]["msgtype"] == "link"
    assert await fits(page, width)
    await shoot(page, f"console-welcome-editor-{width}.png", tmp_path)
    assert page.errors == []


async def test_a_group_welcome_is_made_with_a_link(
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
) -> None:
    from bot.appkeys import HANDLER_CONTEXT

    store = console_bot.app[HANDLER_CONTEXT].services.group_welcomes
    page = await open_console(
        chromium, console_settings, live_sandbox, "admin1", NARROW, "group-welcomes"
    )
    await page.fill("#gw-name", "新群欢迎")
    await page.fill("#gw-text", "欢迎 {{ name }}")
    await page.click('#gw-editor button[type="submit"]')
    await page.locator("#gw-editor .result.refused").filter(has_text="%NICKNAME%").wait_for()
    await page.fill("#gw-text", "欢迎 %NICKNAME% 入群！")
    await page.select_option("#gw-kind", "link")
    await page.fill("#gw-link-title", "入群福利")
    await page.fill("#gw-link-url", "https://shop.example.com/gift")
    await page.click('#gw-editor button[type="submit"]')
    await page.locator("table").filter(has_text="新群欢迎").wait_for()  # reloaded
    [saved] = await store.list()
    assert saved.attachment is not None and saved.attachment["link"]["title"] == "入群福利"
    await page.click("button.edit-gw")
    assert await page.input_value("#gw-link-url") == "https://shop.example.com/gift"
    assert await fits(page, NARROW)
    await shoot(page, "console-group-welcomes-360.png", tmp_path)
    assert page.errors == []


PAGES = [
    "",
    "welcomes",
    "welcomes/new",
    "group-welcomes",
    "channels",
    "group-codes",
    "stores",
    "fission",
    "links",
    "words",
    "scripts",
    "products",
    "sops",
    "f/script",
    "f/word",
    "f/tagrule",
    "f/welcome",
    "f/groupcode",
    "f/sop",
    "audit",
    "system",
]


SHOWN_ELSEWHERE = frozenset(  # pictured with data in them by the tests above
    {"", "welcomes/new", "group-welcomes", "channels", "words", "scripts", "sops"}
    | {"f/word", "f/welcome"}
)


@pytest.mark.parametrize("width", [WIDE, NARROW])
async def test_every_page_fits_and_runs_without_errors(
    width: int,
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
) -> None:
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", width)
    for path in PAGES:
        answer = await page.goto(f"{console_settings.public_url}/console/{path}")
        assert answer is not None and answer.status == 200, path
        assert await page.locator("h1").count() == 1, path
        assert await fits(page, width), path
        # every control can be reached by keyboard: nothing focusable is hidden from tabbing
        untabbable = await page.evaluate(
            "[...document.querySelectorAll('a, button, input, select, textarea')]"
            ".filter(e => e.tabIndex < 0 && e.type !== 'hidden').length"
        )
        assert untabbable == 0, path
        name = (path or "dashboard").replace("/", "-")
        # pages another test pictures with data in them are pictured there
        document = path not in SHOWN_ELSEWHERE
        await shoot(page, f"console-{name}-{width}.png", tmp_path, document=document)
    assert page.errors == []


async def test_a_product_card_is_made_and_a_bad_link_refused(
    tmp_path: Path,
    chromium: Any,  # noqa: F811
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
) -> None:
    from bot.appkeys import HANDLER_CONTEXT

    store = console_bot.app[HANDLER_CONTEXT].services.products
    page = await open_console(
        chromium, console_settings, live_sandbox, "admin1", NARROW, "products"
    )
    await page.fill("#p-name", "尺码指南")
    await page.fill("#p-url", "javascript:alert(1)")
    await page.click('#product-editor button[type="submit"]')
    await page.locator("#product-editor .result.refused").filter(has_text="http(s)://").wait_for()
    assert await store.list() == []
    await page.fill("#p-url", "https://shop.example.com/size")
    await page.fill("#p-price", "0")
    await page.click('#product-editor button[type="submit"]')
    await page.locator("section.product").filter(has_text="尺码指南").wait_for()  # reloaded
    [product] = await store.list()
    assert product.url == "https://shop.example.com/size"
    assert await fits(page, NARROW)
    assert page.errors == []
