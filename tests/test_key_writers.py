"""Every Redis key has one writer: the store that owns it (docs/architecture.md, rules).

The production code is read (not run): every call of a Redis write command whose key is built
from `RedisKeys` (`keys.x`, `self._keys.x`, or a local assigned from one) counts as a write
of `x` by that module. Each key must be written by one module, except the event stream's,
which the pipeline package owns as a whole (its consumer, claims and dead letters); and the
event handlers write no key themselves. A write through a helper that receives the key as an
argument is not seen; the stores keep such helpers inside themselves.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scripts_library", "sidebar_web")
DEVELOPER_TOOLS = ("sandbox", "demo")  # not production: they seed and inspect freely
WRITES = frozenset(
    [
        "set",
        "setex",
        "psetex",
        "setnx",
        "getset",
        "getdel",
        "mset",
        "incr",
        "incrby",
        "decr",
        "decrby",
        "delete",
        "unlink",
        "expire",
        "expireat",
        "pexpire",
        "persist",
        "rename",
        "hset",
        "hmset",
        "hsetnx",
        "hdel",
        "hincrby",
        "hincrbyfloat",
        "sadd",
        "srem",
        "spop",
        "smove",
        "zadd",
        "zrem",
        "zincrby",
        "zpopmin",
        "zremrangebyscore",
        "zremrangebyrank",
        "lpush",
        "rpush",
        "lpop",
        "rpop",
        "lrem",
        "ltrim",
        "lset",
        "linsert",
        "xadd",
        "xdel",
        "xtrim",
        "xack",
        "xclaim",
        "xautoclaim",
        "xgroup_create",
        "pfadd",
    ]
)
PACKAGE_OWNED = {  # key -> the one package that writes it
    "events": "bot/pipeline",
    "handlers_done": "bot/pipeline",
    "retry_schedule": "bot/pipeline",
}


def _key_names(node: ast.AST, local: dict[str, set[str]]) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute):
            base = sub.value
            if (isinstance(base, ast.Name) and base.id in ("keys", "_keys")) or (
                isinstance(base, ast.Attribute) and base.attr in ("keys", "_keys")
            ):
                names.add(sub.attr)
        elif isinstance(sub, ast.Name) and sub.id in local:
            names |= local[sub.id]
    return names


def _writes_in(function: ast.AST) -> set[str]:
    local: dict[str, set[str]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found = _key_names(node.value, local)
                if found:
                    local[target.id] = found
    written: set[str] = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and node.args
        ):
            written |= _key_names(node.args[0], local)
    return written


def parse(source: str) -> ast.Module:
    """`ast.parse`, again when CPython reports an AST recursion-depth mismatch: in 3.11.7 the
    depth counter can be disturbed by another thread compiling at the same moment (CPython
    gh-106905; a background thread of an earlier test importing a module). The source is fine."""
    for _ in range(5):
        try:
            return ast.parse(source)
        except SystemError:
            continue
    return ast.parse(source)


def key_writers() -> dict[str, set[str]]:
    """Key name -> the modules (paths from the repository root) that write it."""
    writers: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if any(part in DEVELOPER_TOOLS for part in relative.parts):
                continue
            tree = parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    for key in _writes_in(node):
                        writers[key].add(relative.as_posix())
    return writers


def test_the_scan_sees_the_stores_writes() -> None:
    writers = key_writers()
    # a few writes the scan must see, or it proves nothing
    assert writers["scripts"] == {"scripts_library/scripts.py"}
    assert writers["welcome_scopes"] == {"bot/welcome/store.py"}
    assert writers["words_seeded"] == {"bot/text/library.py"}
    assert writers["admin_seen"] == {"bot/admin/marks.py"}
    assert len(writers) >= 60


def test_every_key_has_one_writer() -> None:
    shared = {}
    for key, modules in key_writers().items():
        owner = PACKAGE_OWNED.get(key)
        if owner is not None:
            outside = {m for m in modules if not m.startswith(owner + "/")}
            if outside:
                shared[key] = sorted(outside)
        elif len(modules) > 1:
            shared[key] = sorted(modules)
    assert shared == {}


def test_handlers_write_no_key_themselves() -> None:
    written = {
        key: sorted(m for m in modules if m.startswith("handlers/"))
        for key, modules in key_writers().items()
    }
    assert {key: modules for key, modules in written.items() if modules} == {}
