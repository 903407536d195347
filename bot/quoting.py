"""Quoting what someone typed back to them, bounded.

A reply that names the input ("「…」不是可选项", "未加入：「…」") must not hand a 10,000-character
paste back whole: WeCom takes 2,048 bytes of text a message, and a wall of one's own text hides
the answer. Every echo of input goes through `echo`: one line, at most `limit` characters, and
the full length said when it was cut.
"""

from __future__ import annotations

ECHO_CHARS = 30


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """`text` on one line, cut to `limit` characters with "…（共 N 字）" when longer."""
    if len(text) <= limit:
        return " ".join(text.split())
    head = " ".join(text[: limit * 2].split())  # only the head is looked at: bounded work
    return f"{head[:limit]}…（共 {len(text)} 字）"
