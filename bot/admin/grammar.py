"""The admin command grammar: `<名词> <动词> <参数…>`, Chinese words with English aliases.

Parsing is pure (no Redis, no clock) and total: any text gives a `Parsed` command, a `Usage`
hint or `NotCommand`, never an exception — so only a complete command can ever change state.
A noun alone (`话术`) or a near miss (`话述 新增`) gets a hint naming the right words; nothing is
guessed. Arguments are either words separated by spaces, the last one taking the rest of the
text (multi-line content included), or fields separated by `|` (`｜` too).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from bot.quoting import echo

MAX_COMMAND_CHARS = 20_000  # text beyond this is refused before it is parsed

_PIPE = re.compile(r"\s*[|｜]\s*")


@dataclass(frozen=True, slots=True)
class Spec:
    """One command: its words, its arguments, and how it is written.

    `args` names the arguments; with `pipe` they are `|` fields, else words where the last
    takes the rest of the text. `optional` trailing arguments may be left out. `destructive`
    commands are confirmed with a code before they run; `changes` ones are audited and undoable.
    """

    noun: str
    verb: str
    words: tuple[str, ...]
    args: tuple[str, ...] = ()
    usage: str = ""
    help: str = ""
    pipe: bool = False
    optional: int = 0
    changes: bool = False
    destructive: bool = False
    choices: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.noun}.{self.verb}" if self.verb else self.noun


@dataclass(frozen=True, slots=True)
class Noun:
    """A family of commands (话术, 敏感词…) and the words that name it."""

    name: str
    words: tuple[str, ...]
    title: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """A complete command: the spec and its argument values by name."""

    spec: Spec
    values: dict[str, str]
    text: str

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass(frozen=True, slots=True)
class Usage:
    """Not a complete command: what to send instead. `near_miss`: the command word itself was
    not recognised (only a close one), so the text may not be meant for us at all."""

    message: str
    near_miss: bool = False


@dataclass(frozen=True, slots=True)
class NotCommand:
    """Ordinary text, not addressed to the command layer."""


ParseResult = Parsed | Usage | NotCommand


class Grammar:
    """The nouns and command specs, and the parser over them."""

    def __init__(self, nouns: list[Noun], specs: list[Spec]) -> None:
        self.nouns = {n.name: n for n in nouns}
        self._noun_words = {w.lower(): n.name for n in nouns for w in n.words}
        self.specs: dict[str, list[Spec]] = {n.name: [] for n in nouns}
        for spec in specs:
            if spec.noun not in self.specs:
                raise ValueError(f"spec {spec.key} names an unknown noun")
            self.specs[spec.noun].append(spec)

    def spec(self, key: str) -> Spec:
        noun, _, verb = key.partition(".")
        for spec in self.specs[noun]:
            if spec.verb == verb:
                return spec
        raise KeyError(key)

    def noun_of(self, word: str) -> Noun | None:
        name = self._noun_words.get(word.strip().lower())
        return self.nouns[name] if name else None

    def parse(self, text: str) -> ParseResult:
        stripped = text.strip()
        if not stripped:
            return NotCommand()
        if len(stripped) > MAX_COMMAND_CHARS:
            return Usage(f"命令太长（超过 {MAX_COMMAND_CHARS} 个字），请分几次发送。")
        head, rest = _split_word(stripped)
        noun = self._noun_words.get(head.lower())
        if noun is None:
            return self._near_miss(head, rest)
        specs = self.specs[noun]
        bare = [s for s in specs if not s.verb]
        if bare:  # a command without verbs (帮助, 撤销, 统计…)
            return _bind(bare[0], rest, stripped)
        verb_word, after = _split_word(rest)
        for spec in specs:
            if verb_word.lower() in (w.lower() for w in spec.words):
                return _bind(spec, after, stripped)
        title = self.nouns[noun].title
        listed = "、".join(s.words[0] for s in specs)
        if not verb_word:
            return Usage(f"「{title}」后面要跟操作：{listed}。例如：{specs[0].usage}")
        return Usage(
            f"「{title}」没有「{verb_word}」这个操作，可用：{listed}。发送「帮助 {head}」看用法。"
        )

    def _near_miss(self, head: str, rest: str) -> ParseResult:
        """A hint for a misspelt command word — only when what follows reads as one of that
        command's operations (or nothing follows), so ordinary text is left alone."""
        close = difflib.get_close_matches(head.lower(), list(self._noun_words), n=1, cutoff=0.5)
        if not close:
            return NotCommand()
        noun = self.nouns[self._noun_words[close[0]]]
        verb = _split_word(rest)[0].lower()
        verbs = {w.lower() for spec in self.specs[noun.name] for w in spec.words if spec.verb}
        if verb not in verbs and (rest or verbs):
            return NotCommand()
        return Usage(
            f"没有「{head}」这个命令。您是不是想用「{noun.words[0]}」？发送「帮助」看全部命令。",
            near_miss=True,
        )


def _split_word(text: str) -> tuple[str, str]:
    """The first word, and the rest with its line breaks kept."""
    text = text.lstrip(" \t\u3000\r\n")
    match = re.search(r"[ \t\u3000\r\n]", text)
    if match is None:
        return text, ""
    return text[: match.start()], text[match.end() :].strip(" \t\u3000")


def _bind(spec: Spec, rest: str, text: str) -> ParseResult:
    values = _fields(spec, rest.strip())
    required = len(spec.args) - spec.optional
    missing = len(values) < required or not all(values[:required])
    if missing or len(values) > len(spec.args):
        return Usage(f"格式不对。用法：{spec.usage}")
    bound = dict(zip(spec.args, values, strict=False))
    for index, allowed in spec.choices.items():
        value = bound.get(spec.args[index], "")
        if value and value not in allowed:
            return Usage(f"「{echo(value)}」不是可选项（{'、'.join(allowed)}）。用法：{spec.usage}")
    return Parsed(spec, bound, text)


def _fields(spec: Spec, rest: str) -> list[str]:
    if not spec.args:
        return [rest] if rest else []  # anything after a bare command is too much
    if not rest:
        return []
    if spec.pipe:
        return [part.strip() for part in _PIPE.split(rest, maxsplit=len(spec.args) - 1)]
    values: list[str] = []
    while rest and len(values) < len(spec.args) - 1:
        word, rest = _split_word(rest)
        values.append(word)
    if rest:
        values.append(rest.strip())
    return values
