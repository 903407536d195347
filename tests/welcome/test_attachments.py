"""Attachment rules at save time, products and their cards, and media file checks."""

from __future__ import annotations

from typing import Any

import pytest

from bot.attachments import AttachmentError, check, references
from bot.media import MediaError, check_file
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import TemplateError, WelcomeTemplate
from scripts_library.products import Product, ProductError, validate

LINK = {"msgtype": "link", "link": {"title": "新品", "url": "https://e.com"}}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"msgtype": "voice", "voice": {}}, "第 1 个附件类型无效"),
        ({"msgtype": "image"}, "第 1 个附件类型无效"),
        ({"msgtype": "image", "image": {}}, "缺少图片文件或图片链接"),
        ({"msgtype": "video", "video": {"pic_url": "x"}}, "缺少视频文件"),
        ({"msgtype": "link", "link": {"title": "t"}}, "缺少url"),
        (
            {"msgtype": "link", "link": {"title": "长" * 43, "url": "u"}},
            "title 共 129 字节，上限 128",
        ),
        ({"msgtype": "miniprogram", "miniprogram": {"title": "t"}}, "缺少 appid, page, 封面图片"),
        ({"msgtype": "product", "product": {}}, "缺少商品编号"),
    ],
)
def test_bad_attachments_are_named(item: dict[str, Any], message: str) -> None:
    with pytest.raises(AttachmentError, match=message):
        check("模板", [item], 9)


def test_at_most_nine() -> None:
    check("模板", [LINK] * 9, 9)
    with pytest.raises(AttachmentError, match="有 10 个附件，企业微信最多 9 个"):
        check("模板", [LINK] * 10, 9)


def test_references_collects_files_and_products() -> None:
    items = [
        {"msgtype": "image", "image": {"media_ref": "image-a"}},
        {"msgtype": "miniprogram", "miniprogram": {"pic_media_ref": "image-b"}},
        {"msgtype": "product", "product": {"id": "p1"}},
        LINK,
    ]
    assert references(items) == ({"image-a", "image-b"}, {"p1"})


async def test_ten_attachments_refused_when_saving_a_template(redis: Any, settings: Any) -> None:
    from bot.keys import RedisKeys

    store = WelcomeStore(redis, RedisKeys(settings.corp_id, settings.key_prefix))
    with pytest.raises(TemplateError, match="企业微信最多 9 个"):
        await store.save(WelcomeTemplate("", "x", "default", "", "hi", [LINK] * 10), None)
    assert await store.list() == []


@pytest.mark.parametrize(
    ("product", "message"),
    [
        (Product("a b", "x", url="https://e.com"), "商品编号"),
        (Product("p", " ", url="https://e.com"), "需要名称"),
        (Product("p", "x", "九块九", url="https://e.com"), "不是数字"),
        (Product("p", "x", "-1", url="https://e.com"), "不能为负数"),
        (Product("p", "x"), "需要小程序"),
        (Product("p", "x", appid="wx1", page="p"), "封面图片"),
        (Product("p", "长" * 21, "1", image_ref="i", appid="wx1", page="p"), "上限 64 字节"),
        (Product("p", "x", description="长" * 171, url="https://e.com"), "上限 512 字节"),
    ],
)
def test_bad_products_are_refused(product: Product, message: str) -> None:
    with pytest.raises(ProductError, match=message):
        validate(product, None)


def test_cards() -> None:
    mini = Product("p", "保湿霜", "199", image_ref="i", appid="wx1", page="pages/p")
    assert mini.card("MEDIA")["miniprogram"] == {
        "title": "保湿霜 ¥199",
        "pic_media_id": "MEDIA",
        "appid": "wx1",
        "page": "pages/p",
    }
    link = Product("q", "会员卡", image_url="https://e.com/c.png", url="https://e.com")
    assert link.card() == {
        "msgtype": "link",
        "link": {
            "title": "会员卡",
            "url": "https://e.com",
            "desc": "",
            "picurl": "https://e.com/c.png",
        },
    }


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("voice", b"#!AMR123456", "附件类型只能是"),
        ("image", b"\x89PNG", "太小"),
        ("image", b"GIF89a-----", "不是 JPG 或 PNG"),
        ("video", b"\0\0\0\0moov----", "不是 MP4"),
        ("image", b"\x89PNG" + bytes(10 * 1024 * 1024), "超过企业微信 image 的 10 MB 上限"),
    ],
)
def test_files_are_checked_before_upload(kind: str, content: bytes, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        check_file(kind, "f", content)
