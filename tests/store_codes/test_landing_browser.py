"""The store-code landing page in Chromium with a faked position: the nearest store's code
inside the radius, the backup outside it, and the backup with the stores by city when the
visitor refuses to share a position — at a phone's width, without script errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from tests.sidebar.test_browser import chromium  # noqa: F401  (the shared browser fixture)
from tests.store_codes.conftest import VISITOR, Arranged

PHONE = {"width": 375, "height": 740}


async def _open(chromium: Any, url: str, **context: Any) -> tuple[Any, Any, list[str]]:  # noqa: F811
    browser = await chromium.new_context(viewport=PHONE, locale="zh-CN", **context)
    browser.set_default_timeout(10_000)
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(url)
    return browser, page, errors


async def test_nearest_store_backup_and_list(
    sandbox_bot: TestServer,
    arranged: Arranged,
    chromium: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    url = str(sandbox_bot.make_url(f"/s/{arranged.campaign.id}"))
    here = {"latitude": VISITOR[0], "longitude": VISITOR[1]}
    browser, page, errors = await _open(
        chromium, url, geolocation=here, permissions=["geolocation"]
    )
    await page.wait_for_selector("#code:not([hidden])")
    assert await page.text_content("#code-title") == "静安店"  # not the decoy 500 m off
    assert "南京西路 1 号" in (await page.text_content("#code-where") or "")
    await page.wait_for_function("document.getElementById('code-image').naturalWidth > 0")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=str(tmp_path / "store-nearest.png"))
    assert errors == []
    await browser.close()

    far = {"latitude": 22.54, "longitude": 114.06}  # Shenzhen: no store within 3 km
    browser, page, errors = await _open(chromium, url, geolocation=far, permissions=["geolocation"])
    await page.wait_for_selector("#code:not([hidden])")
    assert await page.text_content("#code-title") == "春季<门店>海报"
    said = await page.text_content("#status") or ""
    assert said.startswith("您附近 3.0 公里内没有门店（最近的一家距您约 1211.") and "公里）" in said
    assert errors == []
    await browser.close()

    browser, page, errors = await _open(chromium, url)  # the visitor doesn't allow it
    await page.wait_for_selector("#cities:not([hidden])")
    assert "没有允许获取位置" in (await page.text_content("#status") or "")
    assert await page.text_content("#code-title") == "春季<门店>海报"
    cities = await page.locator("#city-list summary").all_text_contents()
    assert cities == ["上海（2 家）", "北京（1 家）"]
    await page.locator("#city-list summary").nth(1).click()
    await page.get_by_role("button", name="王府井店").click()
    assert await page.text_content("#code-title") == "王府井店"
    assert "加入门店福利群" in (await page.text_content("#code-hint") or "")
    assert errors == []
    await browser.close()
