"""docs/architecture.md stays a true map: every feature of bot/features.py, every folder under
bot/ and every handler module is named there."""

from __future__ import annotations

from pathlib import Path

from bot.features import FEATURES

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_feature_is_in_the_map() -> None:
    missing = [f.name for f in FEATURES if f"| `{f.name}` |" not in DOC]
    assert missing == []


def test_every_folder_and_handler_module_is_in_the_map() -> None:
    folders = [f"bot/{p.name}/" for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()]
    handlers = [f"handlers/{p.name}" for p in (ROOT / "handlers").glob("*.py") if p.stem[0] != "_"]
    missing = [path for path in [*folders, *handlers] if f"`{path}" not in DOC]
    assert missing == []
