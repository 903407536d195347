"""The text engine: one normaliser and one Aho-Corasick matcher for every feature."""

from bot.text.categories import DEFAULT_ACTIONS
from bot.text.filter import ACTIONS, Hit, SensitiveFilter
from bot.text.lexicon import word_problem
from bot.text.normalize import OffsetMap, normalize

__all__ = [
    "ACTIONS",
    "DEFAULT_ACTIONS",
    "Hit",
    "OffsetMap",
    "SensitiveFilter",
    "normalize",
    "word_problem",
]
