"""What the admin CLI commands share: JSON on stdout, one Chinese line on stderr for errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable

from bot.text.library import LibraryError
from bot.wecom import WeComError
from bot.welcome.templates import TemplateError


def print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


async def reporting(work: Awaitable[int]) -> int:
    """Run a command; refused input exits 2, a WeCom error 1, each with one readable line."""
    try:
        return await work
    except (LibraryError, TemplateError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except WeComError as exc:
        print(f"企业微信接口错误 {exc.errcode}（{exc.path}）：{exc.explanation}", file=sys.stderr)
        return 1
