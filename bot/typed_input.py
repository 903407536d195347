"""Input that people hand the bot as JSON or YAML, checked against the stores' own dataclasses.

The one place such input becomes a dataclass: `scrm-bot import`'s items and the JSON files of
`sop set`, `welcome set`, `channels create/update` and `tags set` alike. JSON and YAML hand us
plain dicts, lists and scalars; every field is checked against the type its dataclass declares
(str, int, float, bool, lists, dicts, nested dataclasses, `X | None`), and every wrong one is
named with its path — `steps[1].days：应是整数，而不是文本 "3"` — instead of being coerced (or
reaching a comparison as a TypeError). Unknown fields are refused, naming the field it probably
meant; fields without a default are required. Objects are then built with the dataclasses
themselves, so the files and the stores can't drift apart.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import types
import typing
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import UserError

T = TypeVar("T")
SHOWN_PROBLEMS = 5  # on the one line a command prints; the rest are counted
MAX_JSON_BYTES = 1 << 20  # a rule or template file; attachments are files beside it, not inline

TYPE_NAMES: dict[Any, str] = {
    str: "文本",
    int: "整数",
    float: "数字",
    bool: "true/false",
    list: "列表",
    dict: "对象（键: 值）",
    type(None): "空值",
}


def type_name(value: Any) -> str:
    """How a value from the file is described in a problem: 整数 600, 文本 "3", 列表 …"""
    name = TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, bool | int | float):
        return f"{name} {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:20] + "…"
        return f'{name} "{shown}"'
    return name


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    """A dataclass's field types, resolved once (the files hold thousands of items)."""
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


class Checker:
    """Checks raw values against type hints, collecting problems as "path: message"."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}：{message}" if path else message)

    def fields(
        self,
        cls: type[Any],
        raw: Any,
        path: str = "",
        *,
        ignored: frozenset[str] = frozenset(),
        optional: frozenset[str] = frozenset(),
    ) -> dict[str, Any] | None:
        """The item's fields, checked and converted (dates given unquoted become text);
        None when `raw` is not an object at all. `ignored` fields are accepted and dropped,
        `optional` ones may be left out although the dataclass has no default for them."""
        if not isinstance(raw, dict):
            self.problem(path, f"应是对象（键: 值），而不是{type_name(raw)}")
            return None
        hints = _hints(cls)
        declared = {f.name: f for f in dataclasses.fields(cls)}
        unknown = [str(k) for k in raw if k not in declared and k not in ignored]
        if unknown:
            self.problem(path, f"未知字段 {', '.join(_meant(sorted(unknown), declared))}")
        result: dict[str, Any] = {}
        for name, spec in declared.items():
            where = f"{path}.{name}" if path else name
            if name not in raw or name in ignored:
                required = (
                    spec.default is dataclasses.MISSING
                    and spec.default_factory is dataclasses.MISSING
                )
                if required and name not in optional and name not in ignored:
                    self.problem(path, f"缺少字段 {name}")
                continue
            result[name] = self.value(raw[name], hints[name], where)
        return result

    def value(self, value: Any, hint: Any, path: str) -> Any:
        """`value` checked against `hint` (and converted where lossless); problems recorded."""
        origin = typing.get_origin(hint)
        if hint is Any:
            return self._plain(value, path)
        if origin in (typing.Union, types.UnionType):
            options = typing.get_args(hint)
            if value is None and type(None) in options:
                return None
            (inner,) = [option for option in options if option is not type(None)]
            return self.value(value, inner, path)
        if origin is list:
            if not isinstance(value, list):
                return self._wrong(value, list, path)
            (inner,) = typing.get_args(hint)
            return [self.value(item, inner, f"{path}[{n}]") for n, item in enumerate(value)]
        if origin is dict:
            if not isinstance(value, dict):
                return self._wrong(value, dict, path)
            key_hint, value_hint = typing.get_args(hint)
            return {
                self.value(k, key_hint, path): self.value(v, value_hint, f"{path}.{k}")
                for k, v in value.items()
            }
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            before = len(self.problems)
            checked = self.fields(hint, value, path)
            if checked is None or len(self.problems) > before:
                return None
            return hint(**checked)
        return self._scalar(value, hint, path)

    def _scalar(self, value: Any, hint: Any, path: str) -> Any:
        if hint is str and isinstance(value, date):
            return value.isoformat()  # 2026-12-25 written without quotes
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if hint is float and isinstance(value, float) and not math.isfinite(value):
            self.problem(path, "应是有限的数字")
            return value
        if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
            return value
        return self._wrong(value, hint, path)

    def _wrong(self, value: Any, expected: Any, path: str) -> Any:
        hint = ""
        if expected is str and isinstance(value, int | float) and not isinstance(value, bool):
            hint = '（时间、编号等请加引号，例如 "10:00"）'
        self.problem(
            path, f"应是{TYPE_NAMES.get(expected, str(expected))}，而不是{type_name(value)}{hint}"
        )
        return value

    def _plain(self, value: Any, path: str) -> Any:
        """Free-form data (attachments): what JSON can hold, dates as text."""
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(path, "应是有限的数字")
        if value is None or isinstance(value, str | int | float | bool):
            return value
        if isinstance(value, list):
            return [self._plain(item, f"{path}[{n}]") for n, item in enumerate(value)]
        if isinstance(value, dict):
            result = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    self.problem(path, f"键应是文本，而不是{type_name(key)}")
                result[str(key)] = self._plain(item, f"{path}.{key}")
            return result
        self.problem(path, f"不支持的值（{type_name(value)}）")
        return value


def _meant(unknown: list[str], declared: Collection[str]) -> list[str]:
    """Unknown field names, each with the declared one it is closest to: "dayz（应为 days？）"."""
    names = []
    for name in unknown:
        shown = name if len(name) <= 40 else name[:40] + "…"
        close = difflib.get_close_matches(name[:40], declared, n=1, cutoff=0.75)
        names.append(f"{shown}（应为 {close[0]}？）" if close else shown)
    return names


class InputProblems(UserError, ValueError):
    """Input that doesn't fit its dataclass; every problem names its field's path."""

    def __init__(self, problems: list[str], what: str = "") -> None:
        self.problems = problems
        shown = "；".join(problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        if more > 0:
            shown += f"；……另有 {more} 处"
        super().__init__(f"{what}{shown}")


def build(
    cls: type[T],
    raw: Any,
    *,
    what: str = "",
    defaults: dict[str, Any] | None = None,
    ignored: frozenset[str] = frozenset(),
) -> T:
    """`raw` as a `cls` (a dataclass), checked field by field (see `Checker.fields`);
    `InputProblems` naming every wrong field, prefixed by `what` (e.g. "rule.json：").
    `defaults` fill fields the dataclass requires but the input may leave out (a new item's
    id); `ignored` fields are accepted and dropped (bookkeeping the store sets itself)."""
    defaults = defaults or {}
    checker = Checker()
    checked = checker.fields(cls, raw, optional=frozenset(defaults), ignored=ignored)
    if checked is None or checker.problems:
        raise InputProblems(checker.problems, what)
    return cls(**(defaults | checked))


def read_json(path: Path) -> Any:
    """A JSON file's value; `InputProblems` in Chinese when it can't be read or parsed."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise InputProblems([f"{path} 超过 {MAX_JSON_BYTES >> 20} MiB"])
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputProblems([f"找不到文件 {path}"]) from None
    except IsADirectoryError:
        raise InputProblems([f"{path} 是一个目录，不是文件"]) from None
    except PermissionError:
        raise InputProblems([f"没有读取 {path} 的权限"]) from None
    except OSError as exc:
        raise InputProblems([f"无法读取 {path}（错误号 {exc.errno}）"]) from None
    except UnicodeDecodeError:
        raise InputProblems([f"{path} 不是 UTF-8 文本"]) from None
    except json.JSONDecodeError as exc:
        at = f"第 {exc.lineno} 行第 {exc.colno} 列"
        raise InputProblems([f"{path} {at}不是有效的 JSON（请检查引号、逗号和括号）"]) from None
    except RecursionError:
        raise InputProblems([f"{path} 嵌套过深"]) from None


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON file that must hold one object; `InputProblems` in Chinese otherwise."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputProblems([f"{path} 应是一个 JSON 对象（{{…}}），而不是{type_name(data)}"])
    return data
