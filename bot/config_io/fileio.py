"""The configuration file itself: reading it safely, and writing it stably.

Reading: at most `MAX_FILE_BYTES`, UTF-8, YAML without aliases (`bot.yaml_input`: a few
lines of aliases can stand for billions of items), a mapping with `version: 1` and known
sections only; a syntax error is named with its line and column. Writing: sections in a fixed
order, items sorted by id, fields in the stores' order, multi-line texts as literal blocks,
Chinese as is, and a comment header with the export time (the only line that differs between
two exports of the same configuration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.clock import CORP_TIME
from bot.config_io.items import ConfigProblems, LineIndex
from bot.config_io.sections import section_order
from bot.typed_input import type_name
from bot.yaml_input import YamlRefused, load_yaml

FORMAT_VERSION = 1
MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass
class ConfigFile:
    """A parsed file: its sections' raw values (only those present) and where nodes start."""

    sections: dict[str, Any]
    lines: LineIndex


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # the emitter falls back to a quoted style when a block can't hold the text exactly
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


# the safe dumper (libyaml's emitter when there is one: the same text, faster), with
# multi-line texts as literal blocks
_Dumper: Any = type("_Dumper", (getattr(yaml, "CSafeDumper", yaml.SafeDumper),), {})
_Dumper.add_representer(str, _text)


def read_file(path: Path) -> ConfigFile:
    """Read and parse `path`; `ConfigProblems` names what is wrong with it."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigProblems([f"无法读取 {path}：{exc.strerror or exc}"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigProblems([f"{path} 超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 的上限"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigProblems([f"{path} 不是 UTF-8 文本（第 {exc.start} 字节）"]) from None
    return parse_text(text)


def parse_text(text: str) -> ConfigFile:
    """Parse a file's text: YAML, then the top level (version, known sections)."""
    try:
        root, data = load_yaml(text)
    except YamlRefused as exc:
        raise ConfigProblems([str(exc)]) from None
    if not isinstance(data, dict):
        raise ConfigProblems([f"文件应是一个对象（version: 1 和各部分），而不是{type_name(data)}"])
    problems = []
    version = data.get("version")
    if version != FORMAT_VERSION:
        shown = "缺少 version" if version is None else f"version 是 {version!r}"
        problems.append(f"{shown}；这个版本的 scrm-bot 只读 version: {FORMAT_VERSION} 的文件")
    order = section_order()  # what others refer to comes first
    unknown = sorted(str(k) for k in data if k != "version" and k not in order)
    if unknown:
        problems.append(f"未知的部分 {', '.join(unknown)}；可用：{', '.join(order)}")
    if problems:
        raise ConfigProblems(problems)
    sections = {name: data[name] for name in order if name in data}
    return ConfigFile(sections, LineIndex(root))


def dump_text(sections: dict[str, Any], now: datetime | None = None) -> str:
    """The file for `sections` (name -> value in file form), with its header."""
    moment = (now or datetime.now(CORP_TIME)).astimezone(CORP_TIME)
    header = (
        f"# scrm-bot configuration, exported {moment:%Y-%m-%d %H:%M:%S} (Asia/Shanghai)\n"
        "# `scrm-bot import FILE --dry-run` shows what importing it changes. A section in the\n"
        "# file replaces that whole section (items not listed are removed); sections left out\n"
        "# are not touched. See docs/operator-guide.md, Configuration as code.\n"
    )
    document: dict[str, Any] = {"version": FORMAT_VERSION}
    document.update((name, sections[name]) for name in section_order() if name in sections)
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1 << 20,  # no folding: a text is one line, or a literal block
    )
    return header + body
