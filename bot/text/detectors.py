"""Detectors for contact details brands often forbid in customer chats.

Each returns (start, end) spans in the original text. Phone and QQ numbers are read from the
normalised text, so `①③⑧-1234 5678`, full-width digits and digits split by symbols are still
numbers; WeChat ids, URLs and e-mail addresses keep their own symbols, so they are read from
the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.text.normalize import OffsetMap

Span = tuple[int, int]
Detector = Callable[[str, str, OffsetMap], Iterator[Span]]

_PHONE = re.compile(r"(?<![0-9])(?:\+?86)?1[3-9][0-9]{9}(?![0-9])")
_QQ = re.compile(r"(?:qq|扣扣|企鹅)号?(?:码|是|为)?[1-9][0-9]{4,11}(?![0-9])")
_WECHAT = re.compile(
    r"(?i)(?:wxid_[a-z0-9]{6,24}"
    r"|(?:微信|威信|薇信|徽信|v信|weixin|wechat|vx|wx)\s*(?:号|id)?\s*[:：是为]?\s*"
    r"[a-z][-_a-z0-9]{5,19})(?![-_a-z0-9])"
)
_URL = re.compile(
    r"(?i)(?:https?://|www\.)[^\s，。！？、；“”\"'<>]+"
    r"|(?<![@\w.])[a-z0-9][-a-z0-9]{0,62}\.(?:com|cn|net|org|top|xyz|vip|shop|cc|io|me|info)"
    r"(?:/[^\s，。！？、；“”\"'<>]*)?(?![\w.])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _on_normalised(pattern: re.Pattern[str]) -> Detector:
    def detect(text: str, norm: str, mapping: OffsetMap) -> Iterator[Span]:
        for match in pattern.finditer(norm):
            yield mapping.span(match.start(), match.end())

    return detect


def _on_original(pattern: re.Pattern[str]) -> Detector:
    def detect(text: str, norm: str, mapping: OffsetMap) -> Iterator[Span]:
        for match in pattern.finditer(text):
            yield match.span()

    return detect


DETECTORS: dict[str, Detector] = {
    "phone": _on_normalised(_PHONE),
    "qq": _on_normalised(_QQ),
    "wechat": _on_original(_WECHAT),
    "url": _on_original(_URL),
    "email": _on_original(_EMAIL),
}
