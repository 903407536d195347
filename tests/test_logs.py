"""SCRM_LOG_FORMAT and the context fields: request ids, and event ids from callback to handler."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot import logs
from bot.callback.crypto import CallbackCrypto
from bot.config import ConfigError, Settings, settings_from_mapping
from bot.keys import RedisKeys
from bot.logs import REQUEST_ID_HEADER, JsonFormatter, log_context
from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN
from tests.helpers import contact_event_xml, signed_post
from tests.pipeline_support import wait_until

BASE = {
    "SCRM_CORP_ID": VECTOR_CORP_ID,
    "SCRM_TOKEN": VECTOR_TOKEN,
    "SCRM_AES_KEY": VECTOR_AES_KEY,
    "SCRM_AGENT_ID": "1",
    "SCRM_AGENT_SECRET": "s",
}


class JsonLines(logging.Handler):
    """Keeps every record as the JSON line the json format writes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def records(self) -> list[dict[str, Any]]:
        assert all("\n" not in line for line in self.lines)  # one object per line
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def json_log() -> Iterator[JsonLines]:
    root = logging.getLogger()
    handler, level = JsonLines(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_json_line_has_base_fields_context_extras_and_traceback() -> None:
    log = logging.getLogger("tests.logs")
    record: dict[str, Any] = {}
    handler = JsonLines()
    log.addHandler(handler)
    try:
        with log_context(request_id="r1", empty=""), log_context(event_id="1-0"):
            try:
                raise ValueError("boom")
            except ValueError:
                log.exception("failed 客户 %s", "wm1", extra={"level": "x", "n": 3})
        log.warning("after")
    finally:
        log.removeHandler(handler)
    record, after = handler.records()
    assert record["level"] == "ERROR" and record["logger"] == "tests.logs"  # not overwritten
    assert record["message"] == "failed 客户 wm1"
    assert record["time"].endswith("+00:00") and "T" in record["time"]
    assert record["request_id"] == "r1" and record["event_id"] == "1-0" and record["n"] == 3
    assert "empty" not in record
    assert record["exc_info"].startswith("Traceback") and "ValueError: boom" in record["exc_info"]
    assert set(after) == {"time", "level", "logger", "message"}  # the context ended


def test_configure_text_then_json_and_leaves_foreign_handlers_alone() -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    for handler in saved:
        root.removeHandler(handler)
    stream = io.StringIO()
    try:
        logs.configure("info", "text", stream)
        logging.getLogger("scrm").info("plain")
        logs.set_format("json")
        logging.getLogger("scrm").info("structured")
        logging.getLogger("scrm").debug("not at info")
        [handler] = root.handlers
        root.addHandler(foreign := logging.NullHandler())
        logs.configure("debug", "json", io.StringIO())  # someone else's handler: ours goes
        assert root.handlers == [foreign]
        root.removeHandler(foreign)
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
    text_line, json_line = stream.getvalue().splitlines()
    assert text_line.endswith(" INFO scrm: plain")  # today's format
    assert json.loads(json_line)["message"] == "structured"


def test_log_format_setting() -> None:
    assert settings_from_mapping(BASE).log_format == "text"
    assert settings_from_mapping(BASE | {"SCRM_LOG_FORMAT": " JSON "}).log_format == "json"
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(BASE | {"SCRM_LOG_FORMAT": "xml"})
    assert caught.value.key == "SCRM_LOG_FORMAT"


def test_cli_writes_json_lines_when_the_config_file_says_so(tmp_path: Path) -> None:
    config = tmp_path / "scrm.toml"
    lines = [f'{key} = "{value}"' for key, value in BASE.items() if key != "SCRM_AGENT_ID"]
    lines += ["SCRM_AGENT_ID = 1", 'SCRM_REDIS_URL = "redis://127.0.0.1:1/0"']
    config.write_text("\n".join([*lines, 'SCRM_LOG_FORMAT = "json"']), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRM_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", "0", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1  # Redis is unreachable: the start-up line after the logs
    *logged, failure = done.stderr.strip().splitlines()
    assert "SCRM_REDIS_URL" in failure
    # "starting"; "serving" comes only once Redis answered, which it never does here
    assert [json.loads(line)["message"][:8] for line in logged] == ["starting"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("req-123_abc.def:9", True),
        ("a" * 100, True),
        ("a" * 101, False),
        ("has space", False),
        ("new\\nline", False),
        ("ünïcode", False),
        ("a;b=c", False),
        ("", False),
    ],
)
async def test_request_id_header(
    sandbox_bot: TestServer, json_log: JsonLines, given: str, kept: bool
) -> None:
    async with aiohttp.ClientSession() as session:
        response = await session.get(
            sandbox_bot.make_url("/wecom/callback"), headers={REQUEST_ID_HEADER: given}
        )
    assert response.status == 400  # no parameters
    echoed = response.headers[REQUEST_ID_HEADER]
    if kept:
        assert echoed == given
    else:
        assert echoed != given and len(echoed) == 32 and int(echoed, 16) >= 0
    refused = [r for r in json_log.records() if r["message"].startswith("callback refused")]
    assert [r["request_id"] for r in refused] == [echoed]


async def test_callback_to_handler_carries_request_and_event_ids(
    sandbox_bot: TestServer, sandbox_settings: Settings, json_log: JsonLines, redis: Any
) -> None:
    crypto = CallbackCrypto(
        sandbox_settings.token, sandbox_settings.aes_key, sandbox_settings.corp_id
    )
    xml = contact_event_xml(
        corp_id=sandbox_settings.corp_id, external_userid="wmLogged", state="ch:nope"
    )
    query, body = signed_post(crypto, xml)
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            sandbox_bot.make_url("/wecom/callback"),
            params=query,
            data=body,
            headers={REQUEST_ID_HEADER: "wecom-req-42"},
        )
    assert response.status == 200
    assert response.headers[REQUEST_ID_HEADER] == "wecom-req-42"
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)

    async def drained() -> bool:
        return int(await redis.xlen(keys.events)) == 0

    await wait_until(drained)
    records = json_log.records()
    [stored] = [r for r in records if r["message"].startswith("callback AddExternalContact")]
    assert stored["request_id"] == "wecom-req-42"
    event_id = stored["event_id"]
    assert event_id in stored["message"] and stored["event_type"] == "AddExternalContact"

    handled = [r for r in records if r["logger"] == "scrm.handlers"]
    # the channel handler reports the unknown state, under the event of the callback
    [channel] = [r for r in handled if "unknown channel state ch:nope" in r["message"]]
    assert channel["handler"] == "handlers.channels.customer_came_through_channel"
    assert len(handled) >= 3  # welcome, channels and profiles each wrote one
    assert all(r["event_id"] == event_id for r in handled)
    assert all(r["corp"] == sandbox_settings.corp_id for r in handled)
    assert all(r["event_type"] == "AddExternalContact" and r["attempt"] == 1 for r in handled)
    assert all("request_id" not in r for r in handled)  # the worker's lines are its own
