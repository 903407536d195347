"""The sandbox and the demo are developer tools: nothing that runs in production imports them
(only the `demo` command does, when it is run). Checked in a fresh interpreter that imports every
production module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVELOPER_TOOLS = ("bot.sandbox", "bot.demo")

PROBE = """
import importlib, pkgutil, sys
tools = {tools!r}

def walk(package):  # walk_packages would import the tools' packages itself to look inside
    module = importlib.import_module(package)
    for found in pkgutil.iter_modules(module.__path__, package + "."):
        if found.name.startswith(tools) or found.name.endswith("__main__"):
            continue
        importlib.import_module(found.name)
        if found.ispkg:
            walk(found.name)

for package in ("bot", "handlers", "sidebar_web", "scripts_library"):
    walk(package)
print("\\n".join(sorted(name for name in sys.modules if name.startswith(tools))))
"""


def test_no_production_module_imports_the_sandbox_or_the_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(tools=DEVELOPER_TOOLS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == []
