"""The one way the bot reads YAML that people hand it: `scrm-bot import` and `scripts import`.

Safe types only, and no aliases: a few lines of `&a [*b, *b, …]` anchors can stand for
billions of items (the "billion laughs"), which PyYAML would build in full. Aliases are found on
the composed node graph, before anything is constructed, so such a file costs only its own size.
"""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (ten times faster on a large library)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ALIAS_REFUSED = "不支持锚点别名（*name），请把内容写全"


class YamlRefused(ValueError):
    """A text that is not YAML we read; the message (Chinese) says where and why."""


def _refuse_aliases(root: yaml.Node) -> None:
    """A node reached twice is an alias (`*name`) of an anchor: refused."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.composer.ComposerError(None, None, ALIAS_REFUSED, node.start_mark)
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)


def load_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node graph (for line numbers) and its value; `YamlRefused` for a syntax
    error (with its line and column), an alias, or nesting too deep to construct."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _refuse_aliases(root)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "未知位置"
        raise YamlRefused(f"YAML 格式错误（{at}）：{exc.problem or exc.context}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise YamlRefused(f"YAML 格式错误：{exc}") from None
    finally:
        loader.dispose()
    return root, data
