"""WeCom's documented size limits for message content (docs 92599, 92135, 92366, 90236)."""

from __future__ import annotations

WELCOME_TEXT_BYTES = 4000  # send_welcome_msg text.content
GROUP_WELCOME_TEXT_BYTES = 3000  # group_welcome_template text.content (doc 92366)
MAX_WELCOME_ATTACHMENTS = 9
LINK_TITLE_BYTES = 128
LINK_DESC_BYTES = 512
MINIPROGRAM_TITLE_BYTES = 64
