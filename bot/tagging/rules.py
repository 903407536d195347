"""Tag rules and the matcher that says which rules a message fires.

A rule lists keywords (any or all must appear), optional exclusions (a message containing one
doesn't count), a word-boundary option (jieba segmentation decides, so 苹果 does not fire
inside 苹果醋), a threshold (hits within a time window, counted per customer by the caller),
a scope (staff, channels) and the target tag by group and name. Matching reuses the
sensitive-word engine: the same normaliser and Aho-Corasick automaton, so 苹果 also matches
蘋果 and full-width or spaced-out spellings.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field

import jieba

from bot.errors import UserError
from bot.text.filter import Hit, SensitiveFilter
from bot.text.lexicon import word_problem
from bot.text.normalize import normalize

MODES = ("any", "all")
MAX_KEYWORDS = 100  # per rule, and as many exclusions
# Every serving process builds one matcher over all of a corp's rules, in time and memory
# linear in their words' total length. At these bounds it builds in 0.25 s at most and holds under
# 20 MB whatever the words (random CJK without shared prefixes is the worst), and a build in a
# thread stalls the event loop for ~50 ms at most: the automaton's make holds the GIL
# (benchmarks/tag_rules_build.py). Real rule sets are far below: 1,000 rules of 20
# three-character keywords are ~60,000 characters.
MAX_RULES = 1_000  # per corp
MAX_TOTAL_CHARS = 100_000  # keywords and exclusions of all of a corp's rules together
_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class RuleError(UserError, ValueError):
    """A rule that can't be saved; the message says why, in Chinese."""


@dataclass
class TagRule:
    """Tag customers whose messages contain these keywords."""

    id: str
    name: str
    keywords: list[str]
    tag_group: str
    tag_name: str
    mode: str = "any"
    word_boundary: bool = False
    threshold: int = 1  # messages that must match…
    window_hours: float = 0.0  # …within this many hours (0 = any time)
    exclusions: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)  # empty = every staff member
    channels: list[str] = field(default_factory=list)  # channel ids; empty = any or none
    enabled: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> TagRule:
        return cls(**json.loads(data))

    def applies_to(self, staff: str, channel: str) -> bool:
        if self.staff and staff not in self.staff:
            return False
        return not self.channels or channel in self.channels


def validate(rule: TagRule) -> None:
    """Raise `RuleError` naming the first problem."""
    if rule.id and not _ID.match(rule.id):
        raise RuleError("规则编号只能由 1–32 个字母、数字、- 或 _ 组成")
    if not rule.name.strip():
        raise RuleError("规则需要名称")
    if not rule.keywords or len(rule.keywords) > MAX_KEYWORDS:
        raise RuleError(f"关键词需要 1–{MAX_KEYWORDS} 个")
    if len(rule.exclusions) > MAX_KEYWORDS:
        raise RuleError(f"排除词最多 {MAX_KEYWORDS} 个")
    for kind, words in (("关键词", rule.keywords), ("排除词", rule.exclusions)):
        for word in words:
            problem = word_problem(word)
            if problem:
                raise RuleError(f"{kind}「{_quoted(word)}」{problem}")
    if rule.mode not in MODES:
        raise RuleError("匹配方式只能是 any（任一）或 all（全部）")
    if not 1 <= rule.threshold <= 1000:
        raise RuleError("触发次数应在 1–1000 之间")
    if rule.window_hours < 0 or (rule.threshold > 1 and rule.window_hours == 0):
        raise RuleError("触发次数大于 1 时需要时间窗口（小时）")
    if not rule.tag_group.strip() or not rule.tag_name.strip():
        raise RuleError("需要目标标签的标签组和名称")
    if len(rule.tag_name) > 30 or len(rule.tag_group) > 30:
        raise RuleError("标签组和标签名称不超过 30 个字")


def rule_set_problem(rules: Collection[TagRule]) -> str | None:
    """Why one corp can't hold all of `rules` at once (in Chinese), or None when it can."""
    if len(rules) > MAX_RULES:
        return f"每个企业最多 {MAX_RULES} 条标签规则（将有 {len(rules)} 条）"
    chars = sum(len(word) for rule in rules for word in (*rule.keywords, *rule.exclusions))
    if chars > MAX_TOTAL_CHARS:
        return (
            f"所有标签规则的关键词和排除词合计不超过 {MAX_TOTAL_CHARS} 个字（将有 {chars} 个），"
            "请合并或删除一些规则"
        )
    return None


def _quoted(word: str) -> str:
    """`word` short enough to repeat in a message: a refused word may be very long."""
    return word if len(word) <= 20 else f"{word[:20]}…"


def new_rule_id() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True, slots=True)
class Match:
    """A rule a message fired, with the keywords that did it."""

    rule: TagRule
    keywords: tuple[str, ...]


class RuleMatcher:
    """All enabled rules of a corp, compiled into one automaton.

    Building is linear in the total length of the words: 0.25 s at most at the bounds above
    (`rule_set_problem`), which a serving process still spends off the event loop
    (`MatcherCache`)."""

    def __init__(self, rules: Iterable[TagRule]) -> None:
        self.rules = [r for r in rules if r.enabled]
        # words are compared by their folded form: the automaton keeps one spelling of each
        # (蘋果 and 苹果 are one word to it), and either must fire a rule listing the other
        self._form = {w: normalize(w) for r in self.rules for w in (*r.keywords, *r.exclusions)}
        # one category for every word: hits are looked up by word, the category is unused
        self._filter = SensitiveFilter.from_words(
            ((w, "tag") for w in sorted(self._form)), actions={"tag": "flag"}
        )
        # only rules listing a word that was found are looked at: a message is checked against
        # the handful of rules it concerns, not all of them
        self._by_form: dict[str, list[int]] = defaultdict(list)
        for position, rule in enumerate(self.rules):
            for form in dict.fromkeys(self._form[w] for w in rule.keywords):
                self._by_form[form].append(position)

    def match(self, text: str, staff: str | None = None, channel: str = "") -> list[Match]:
        """The rules `text` fires for a customer of `staff` who came through `channel`
        (`staff` None: scope is left to the caller, who checks it per follower), in rule order."""
        # every listed word, also one inside a longer listed word (苹果 in 苹果醋): whether a
        # rule fires must not depend on the words other rules list
        hits = self._filter.scan(text, overlapping=True)
        if not hits:
            return []
        found = {self._form[hit.word] for hit in hits}
        candidates = sorted({i for form in found for i in self._by_form.get(form, ())})
        bounded: set[str] | None = None
        matches = []
        for position in candidates:
            rule = self.rules[position]
            if staff is not None and not rule.applies_to(staff, channel):
                continue
            if any(self._form[word] in found for word in rule.exclusions):
                continue
            forms = found
            if rule.word_boundary:
                if bounded is None:
                    bounded = {self._form[hit.word] for hit in _standalone(text, hits)}
                forms = bounded
            present = tuple(word for word in rule.keywords if self._form[word] in forms)
            if present and (rule.mode == "any" or len(present) == len(rule.keywords)):
                matches.append(Match(rule, present))
        return matches


def _standalone(text: str, hits: list[Hit]) -> list[Hit]:
    """The hits that start and end on jieba word boundaries of `text`."""
    starts, ends = set(), set()
    for _word, start, end in jieba.tokenize(text, HMM=False):
        starts.add(start)
        ends.add(end)
    return [hit for hit in hits if hit.start in starts and hit.end in ends]
