"""The `scrm-bot` command line: `run` parses and runs one command; `output`
prints results and reports refusals; `audit` records the changes commands make. Each feature's
commands live in its own folder (`bot/sop/cli.py`…) and are listed by its feature record.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: imported lazily, so a feature's CLI module may import `bot.cli.output`
    without importing every other feature first."""
    from bot.cli.run import main as run

    return run(argv)
