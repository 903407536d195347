"""What an archived message becomes: text and the text of a mixed message (图文混排) as ChatText,
other kinds as a line with the file kept for later, a chat between members as nothing, and
malformed bodies read as far as they are well-formed."""

from __future__ import annotations

import json
from typing import Any

from bot.archive.messages import as_chat_text, as_line


def _message(kind: str, body: Any, sender: str = "wmX1", to: str = "zhangsan") -> dict[str, Any]:
    return {"msgid": "m1", "action": "send", "from": sender, "tolist": [to], "roomid": "",
            "msgtime": 1_764_900_000_000, "msgtype": kind, kind: body}  # fmt: skip


def test_a_mixed_message_is_chat_text_by_its_text_parts() -> None:
    items = [
        {"type": "text", "content": json.dumps({"content": "这款有货吗"})},
        {"type": "image", "content": json.dumps({"sdkfileid": "f1", "md5sum": "x"})},
        {"type": "text", "content": json.dumps({"content": "要两件"})},
        {"type": "text", "content": "not json"},
    ]
    text = as_chat_text(_message("mixed", {"item": items}))
    assert text is not None and text.text == "这款有货吗\n要两件"
    assert (text.sender, text.external_userid, text.staff_userid) == (
        "customer",
        "wmX1",
        "zhangsan",
    )
    only_images = {"item": [items[1]]}
    assert as_chat_text(_message("mixed", only_images)) is None
    line = as_line(_message("mixed", only_images))
    assert line is not None and line.text == "[图文混排消息]"


def test_other_kinds_as_lines_and_what_is_not_kept() -> None:
    file = as_line(_message("file", {"sdkfileid": "f" * 50, "filename": "报价.pdf", "filesize": 9}))
    assert file is not None and file.text == "[文件] 报价.pdf"
    assert file.media is not None and (file.media.kind, file.media.size) == ("file", 9)
    too_long_id = as_line(_message("image", {"sdkfileid": "f" * 2001}))
    assert too_long_id is not None and too_long_id.media is None  # the line, without the file
    assert as_line(_message("weird_new_kind", "not a dict")).text == "[其他消息：weird_new_kind]"  # type: ignore[union-attr]
    assert as_line(_message("image", {}, sender="zhangsan", to="lisi")) is None  # members only
    assert as_chat_text(_message("text", {"content": "hi"}, sender="zhangsan", to="lisi")) is None
    assert as_chat_text(_message("text", "not a dict")) is None
