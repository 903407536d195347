"""Every POST of the sidebar API reads its body through one strict reader: a lone surrogate,
deep nesting, NaN or a non-object is a 400 in Chinese, never a 500, and nothing is done."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from sidebar_web.app import create_sidebar_app
from tests.sidebar.conftest import Browser, Library

POSTS = sorted(
    route.resource.canonical
    for route in create_sidebar_app().router.routes()
    if route.method == "POST" and route.resource is not None
)
assert "/api/text/check" in POSTS and "/api/sop/tasks/{id}/done" in POSTS
NESTED = b'{"a": ' + b"[" * 4000 + b"]" * 4000 + b"}"  # deeper than the JSON parser's recursion

BAD_BODIES = [
    (b'{"text": "\\ud800"}', "不成对的 UTF-16 代理项"),
    (b'{"\\udfff": "key"}', "不成对的 UTF-16 代理项"),
    (b'{"text": "ok", "more": ["a", {"b": "x\\udc00y"}]}', "不成对的 UTF-16 代理项"),
    (b'{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}', "嵌套过深"),
    (NESTED, "不是有效的 JSON"),
    (b'{"text": NaN}', "不是有效的 JSON"),
    (b'["text"]', "应为 JSON 对象"),
    (b'"\\ud800"', "应为 JSON 对象"),
]


async def test_bad_json_is_a_400_on_every_post(
    browser: Browser, library: Library, redis: Redis, sidebar_settings: Settings
) -> None:
    await browser.sign_in("zhangsan")
    keys = RedisKeys(sidebar_settings.corp_id, sidebar_settings.key_prefix)
    for body, message in BAD_BODIES:
        for route in POSTS:
            path = route.replace("{id}", library.returns if "scripts" in route else "0" * 20)
            status, answer = await post(browser, path, body)
            assert status == 400 and message in answer["error"], (path, body[:60], answer)
    assert not await redis.exists(keys.script_sends)  # no send was counted

    # a surrogate pair is one character, and a POST that takes no body works without one
    status, answer = await post(browser, "/api/text/check", b'{"text": "\\u597d\\ud83d\\ude00"}')
    assert (status, answer["message"]["text"]["content"]) == (200, "好😀")
    assert (await browser.post(f"api/scripts/{library.returns}/sent"))[0] == 200


async def post(browser: Browser, path: str, body: bytes) -> tuple[int, Any]:
    async with browser.http.post(
        f"{browser.base}/sidebar{path}",
        data=body,
        headers={"X-CSRF-Token": browser.csrf, "Content-Type": "application/json"},
    ) as answer:
        return answer.status, await answer.json()
