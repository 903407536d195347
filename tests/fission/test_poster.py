"""The personal poster: the participant's own QR code on the activity's background, bounded in
what it decodes; backgrounds that are not PNG/JPEG or too large refused in Chinese."""

from __future__ import annotations

import io

import pytest
from aiohttp.test_utils import TestServer
from PIL import Image, ImageChops, ImageStat
from redis.asyncio import Redis

from bot.config import Settings
from bot.fission.codes import personal_poster
from bot.fission.model import Activity, FissionError
from bot.fission.poster import QR_SIDE, WIDTH, check_background
from bot.fission.store import FissionStore
from bot.keys import RedisKeys
from bot.media import MediaLibrary
from bot.sandbox import Sandbox
from bot.sandbox.routes_client import code_png
from bot.wecom import WeComClient
from tests.fission.test_fission import _activity


def _png(width: int, height: int, color: str = "#f6c") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


async def test_the_poster_carries_the_participant_s_own_code(
    sandbox_bot: TestServer,
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    media = MediaLibrary(redis, keys, sandbox_wecom.media)
    store = FissionStore(redis, keys)
    background = await media.add("image", "bg.png", _png(1080, 1920))
    activity: Activity = await store.save(
        await _activity(redis, keys, sandbox_wecom, poster_ref=background), None
    )
    png = await personal_poster(store, activity, "wmPosterOne", sandbox_wecom, media, "林小北" * 20)
    poster = Image.open(io.BytesIO(png))
    assert poster.format == "PNG" and poster.width == WIDTH and poster.height == 1333
    code = (await store.participant(activity.id, "wmPosterOne")) or {}
    expected = Image.open(io.BytesIO(code_png(str(code["config_id"])))).convert("RGB")
    expected = expected.resize((QR_SIDE, QR_SIDE))
    left, top = (WIDTH - QR_SIDE - 40) // 2 + 20, poster.height - QR_SIDE - 120 + 20
    pasted = poster.convert("RGB").crop((left, top, left + QR_SIDE, top + QR_SIDE))
    difference = ImageStat.Stat(ImageChops.difference(pasted, expected)).mean
    assert max(difference) < 1  # the participant's own code, where it belongs
    # the background shows around it
    assert poster.convert("RGB").getpixel((5, 5)) == (255, 102, 204)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"not an image", "不是可读的 PNG 或 JPEG"),
        (_png(6000, 6000), "太大（6000×6000 像素）"),
    ],
)
def test_bad_backgrounds_are_refused(content: bytes, said: str) -> None:
    with pytest.raises(FissionError, match=said):
        check_background(content)  # a large one is refused from its header, never decoded


def test_a_gif_is_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(FissionError, match="应是 PNG 或 JPEG"):
        check_background(out.getvalue())
