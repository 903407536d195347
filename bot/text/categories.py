"""Every category of the sensitive-word library and of the contact detectors, in one table: its
key (stored in Redis and config files), the one label people read, what a hit does by default,
why it is blocked (as staff who hit it are told), and what admins may type for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    """One category: `key` as stored, `label` as shown, the default `action` of a hit."""

    key: str
    label: str
    action: str  # block / mask / flag
    reason: str
    aliases: tuple[str, ...] = ()  # what admins may type besides the key and the label
    detector: bool = False  # a contact detector (phone, wechat…), not a word list


CONTACT = "不在消息里留联系方式"
CATEGORIES = (
    Category("competitor", "竞品", "block", "对客户的消息里不提竞品"),
    Category("insult", "辱骂", "block", "辱骂用语"),
    Category(
        "ad_law",
        "广告法极限词",
        "block",
        "《广告法》第九条禁止绝对化用语，请换成不绝对的说法（如「很受欢迎」）",
        ("广告法", "极限词"),
    ),
    Category("uncivil", "不文明用语", "mask", "不文明用语", ("不文明",)),
    Category("political", "政治敏感", "block", "政治敏感内容", ("政治",)),
    Category("superstition", "封建迷信", "block", "封建迷信内容", ("迷信",)),
    Category("industry", "行业敏感", "flag", "行业监管不允许的说法", ("行业",)),
    Category("custom", "自定义", "block", "管理员设定的禁用词"),
    Category("phone", "手机号", "flag", CONTACT, detector=True),
    Category("wechat", "微信号", "flag", CONTACT, detector=True),
    Category("qq", "QQ 号", "flag", CONTACT, detector=True),
    Category("url", "网址", "flag", "不在消息里发外部网址", detector=True),
    Category("email", "邮箱", "flag", CONTACT, detector=True),
)
WORD_CATEGORIES = tuple(c.key for c in CATEGORIES if not c.detector)
DEFAULT_ACTIONS = {c.key: c.action for c in CATEGORIES}
CATEGORY_NAMES = {c.key: c.label for c in CATEGORIES}
CATEGORY_REASONS = {c.key: c.reason for c in CATEGORIES}
# what admins may type for a word category: its label or an alias (the English key works too)
CATEGORY_ALIASES = {
    name: c.key for c in CATEGORIES if not c.detector for name in (c.label, *c.aliases)
}


def label(key: str) -> str:
    """The category as people read it (an unknown key as it is)."""
    return CATEGORY_NAMES.get(key, key)
