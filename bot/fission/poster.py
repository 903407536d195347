"""A participant's personal poster: the activity's background with its text, the participant's
name and their personal QR code, as one PNG to send in a chat or print.

Images come from operators (the background) and WeCom (the QR code), and a name from the
customer: each is bounded before any pixel is decoded (`MAX_PIXELS`, a decompression bomb is
refused), the name is cut short, and the composition runs in a thread so the event loop never
waits on it. Chinese text needs a CJK font: the first of `FONTS` found (Debian's
fonts-wqy-microhei or fonts-noto-cjk); without one the text is drawn in Pillow's own font, which
shows Chinese as boxes (`scrm-bot doctor` says so).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from bot.fission.model import FissionError

WIDTH = 750
MAX_HEIGHT = 1600
MAX_PIXELS = 25_000_000
QR_SIDE = 280
MAX_NAME = 16
FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
FORMATS = ("PNG", "JPEG")
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font_path() -> Path | None:
    """The CJK font posters are drawn with, if the machine has one."""
    return next((path for path in FONTS if path.exists()), None)


def _font(size: int) -> Font:
    path = font_path()
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)


def _open(content: bytes, label: str) -> Image.Image:
    """The image, once its header says it is a PNG or JPEG of at most `MAX_PIXELS`."""
    try:
        image = Image.open(io.BytesIO(content))  # reads the header only
    except (UnidentifiedImageError, OSError):
        raise FissionError(f"{label}不是可读的 PNG 或 JPEG 图片") from None
    if image.format not in FORMATS:
        raise FissionError(f"{label}应是 PNG 或 JPEG 图片")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise FissionError(f"{label}太大（{width}×{height} 像素），请小于 2500 万像素")
    return image


def check_background(content: bytes) -> None:
    """Refuse a background the poster can't be drawn on, before it is saved."""
    _open(content, "海报背景").load()


def _wrapped(text: str, font: Font, width: int) -> list[str]:
    """`text` in lines that fit `width` (breaking anywhere: Chinese has no spaces), at most
    three: a poster's text is a slogan."""
    lines, line = [], ""
    for char in text:
        if char == "\n" or font.getlength(line + char) > width:
            lines.append(line)
            line = "" if char == "\n" else char
        else:
            line += char
    return [*lines, line][:3]


def compose(background: bytes, qr: bytes, name: str, text: str) -> bytes:
    """The poster as PNG bytes (CPU work: run it off the event loop, `poster_png`)."""
    with _open(background, "海报背景") as source:
        scale = WIDTH / source.width
        height = min(int(source.height * scale), MAX_HEIGHT)
        canvas = source.convert("RGB").resize((WIDTH, max(height, QR_SIDE + 200)))
    with _open(qr, "二维码") as code:
        square = code.convert("RGB").resize((QR_SIDE, QR_SIDE))
    draw = ImageDraw.Draw(canvas)
    box_top = canvas.height - QR_SIDE - 120
    left = (WIDTH - QR_SIDE - 40) // 2
    draw.rectangle((left, box_top, left + QR_SIDE + 40, canvas.height - 20), fill="white")
    canvas.paste(square, (left + 20, box_top + 20))
    small, large = _font(26), _font(34)
    label = f"{name[:MAX_NAME]} 邀请您扫码" if name else "扫码添加"
    draw.text((WIDTH // 2, box_top + QR_SIDE + 50), label, fill="#222", font=small, anchor="mm")
    y = 60
    for line in _wrapped(text, large, WIDTH - 80):
        draw.text((WIDTH // 2, y), line, fill="#111", font=large, anchor="mm")
        y += 48
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


async def poster_png(background: bytes, qr: bytes, name: str, text: str) -> bytes:
    """`compose` in a thread."""
    return await asyncio.to_thread(compose, background, qr, name, text)
