"""What every section of a configuration file is made of: items, problems, line numbers.

An `Item` is one configured thing (a script, a word, a channel …) with a key unique in its
section, a name for people, its `data` in the form the file holds it (what the diff compares),
and the store's own model object (what the import writes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml


class ConfigProblems(ValueError):
    """Everything wrong with a configuration file, one line each; nothing was changed."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:200]
        if len(self.problems) > len(shown):
            shown.append(f"……另有 {len(self.problems) - len(shown)} 处")
        super().__init__("配置文件有错误，未做任何改动：\n" + "\n".join(shown))


class ConfigChanged(RuntimeError):
    """The stored configuration changed between the plan and its application."""

    def __init__(self, detail: str = "") -> None:
        message = (
            "导入期间配置被其他人修改，未写入任何内容；请重新运行导入（先用 --dry-run 查看差异）"
        )
        super().__init__(message + (f"。{detail}" if detail else ""))


@dataclass
class Item:
    """One configured thing: key, display name, file form (`data`) and store model."""

    key: str
    name: str
    data: Any
    model: Any = None
    where: str = ""  # how problems name it: scripts[3] (id abc, 第 42 行)

    def ref(self) -> dict[str, str]:
        return {"id": self.key, "name": self.name}


class LineIndex:
    """Line numbers of the file's nodes, so problems can say where an item starts."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    def line(self, *path: str | int) -> int:
        """The 1-based line of the node at `path` (section name, list index or key…), or 0."""
        node = self._root
        for step in path:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                node = next((v for k, v in node.value if k.value == step), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                node = node.value[step] if 0 <= step < len(node.value) else None
            else:
                node = None
            if node is None:
                return 0
        return node.start_mark.line + 1 if node is not None else 0


def where(section: str, index: int, key: str, line: int) -> str:
    """scripts[3] (id abc, 第 42 行) — how a problem names an item of a list section."""
    details = [f"id {key}"] if key else ["新建"]
    if line:
        details.append(f"第 {line} 行")
    return f"{section}[{index}] ({', '.join(details)})"
