"""Building the tag-rule matcher at the per-corp bounds: time, event-loop stall, memory.

    python benchmarks/tag_rules_build.py [--beyond-bounds] [--old]

Every shape is 1,000 rules (MAX_RULES) holding 100,000 keyword characters (MAX_TOTAL_CHARS),
100 per rule, no word over 64 characters (MAX_WORD_CHARS), checked with `validate` and
`rule_set_problem`; inputs from fixed seeds:
- max-length random CJK: per rule one 64-character and one 36-character word over the 3,700
  code points of sensitive_filter.py (no shared prefixes: the most trie nodes per character);
- 8-character random CJK over all 20,902 unified ideographs (the shape whose automaton make,
  the one step holding the GIL, was slowest per character in trials);
- short random CJK: 2-4 character words, ~33 per rule;
- realistic words: words of jieba's dictionary (2-6 characters, frequency >= 10), ~40 per
  rule, so many listed words lie inside others (苹果 in 苹果醋);
- nested: per rule a 64-character word and 36 characters of words cut from the next rule's,
  so every short word is inside a longer listed word.
Each shape runs in a fresh process: `RuleMatcher(rules)` timed on its own, then again through
`asyncio.to_thread` (as `MatcherCache` builds) while a task sleeping 1 ms at a time records the
longest gap the event loop saw; memory is the process's RSS with the matcher minus before.
Every shape is checked to match: a message carrying one rule's long keyword fires that rule.

`--beyond-bounds` adds the shapes the bounds refuse: 1,000 rules x 100 keywords of 64 random
CJK characters (6.4 M characters, ~1 GB) and 1,000 rules x 100 realistic words.
`--old` times the old build's containment table (every substring of every word looked up:
cubic in a word's length), copied from commit b0ada72, on a few small inputs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from bot.tagging.rules import (  # noqa: E402
    MAX_RULES,
    MAX_TOTAL_CHARS,
    RuleMatcher,
    TagRule,
    rule_set_problem,
    validate,
)
from bot.text.lexicon import MAX_WORD_CHARS  # noqa: E402
from bot.text.normalize import normalize, translation_table  # noqa: E402

COMMON = [chr(c) for c in range(0x4E00, 0x4E00 + 3700)]
ALL_CJK = [chr(c) for c in range(0x4E00, 0x9FA6)]
PER_RULE = MAX_TOTAL_CHARS // MAX_RULES  # 100 characters


def random_word(rng: random.Random, length: int, alphabet: list[str]) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def fill(
    rng: random.Random,
    sizes: Callable[[int], int],
    pick: Callable[[int], str],
    budget: int = PER_RULE,
) -> list[str]:
    """Words of `budget` characters in all: `sizes(left)` says how long the next one is."""
    words, left = [], budget
    while left:
        words.append(pick(min(left, sizes(left))))
        left -= len(words[-1])
    return words


def jieba_words(rng: random.Random, min_freq: int) -> dict[int, list[str]]:
    """Words of jieba's dictionary by length (2-6 characters), each list shuffled."""
    path = Path(jieba.__file__).parent / "dict.txt"
    by_length: dict[int, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq, _ = line.split(" ")
        if 2 <= len(word) <= 6 and int(freq) >= min_freq and normalize(word) == word:
            by_length[len(word)].append(word)
    for words in by_length.values():
        rng.shuffle(words)
    return by_length


def realistic(rng: random.Random, per_rule: int | None, min_freq: int) -> list[list[str]]:
    """Per rule `per_rule` dictionary words, or (None) words of `PER_RULE` characters in all;
    lengths as common as in the dictionary, no word used twice."""
    by_length = jieba_words(rng, min_freq)
    unused = {size: iter(words) for size, words in by_length.items()}
    lengths = [size for size, words in by_length.items() for _ in words]
    out = []
    for _ in range(MAX_RULES):
        if per_rule is not None:
            out.append([next(unused[rng.choice(lengths)]) for _ in range(per_rule)])
            continue
        words, room = [], PER_RULE
        while room:
            size = room if room <= 4 else min(rng.choice(lengths), room - 2)
            words.append(next(unused[size]))
            room -= size
        out.append(words)
    return out


def nested(rng: random.Random) -> list[list[str]]:
    longs = [random_word(rng, MAX_WORD_CHARS, COMMON) for _ in range(MAX_RULES)]
    out = []
    for n, long in enumerate(longs):
        source = longs[(n + 1) % MAX_RULES]

        def cut(size: int, source: str = source) -> str:
            start = rng.randrange(MAX_WORD_CHARS - size + 1)
            return source[start : start + size]

        sizes = lambda _left: rng.choice((1, 2, 3, 5, 8, 13))  # noqa: E731
        out.append([long, *fill(rng, sizes, cut, PER_RULE - MAX_WORD_CHARS)])
    return out


def shape(name: str) -> list[list[str]]:
    """The keywords of each rule for the shape `name`."""
    rng = random.Random(7)
    if name == "max-length random CJK (64 + 36 chars)":
        return [[random_word(rng, 64, COMMON), random_word(rng, 36, COMMON)] for _ in range(1000)]
    if name == "8-char random CJK (all ideographs)":
        return [fill(rng, lambda _: 8, lambda n: random_word(rng, n, ALL_CJK)) for _ in range(1000)]
    if name == "short random CJK (2-4 chars)":
        sizes = lambda left: rng.randint(2, 4) if left > 5 else left  # noqa: E731
        return [fill(rng, sizes, lambda n: random_word(rng, n, COMMON)) for _ in range(1000)]
    if name == "realistic words (jieba dictionary)":
        return realistic(rng, None, 10)
    if name == "nested (short words inside others' 64-char words)":
        return nested(rng)
    if name == "beyond: 1,000 x 100 random CJK of 64 chars":
        return [[random_word(rng, 64, COMMON) for _ in range(100)] for _ in range(1000)]
    if name == "beyond: 1,000 x 100 realistic words":
        return realistic(rng, 100, 1)
    raise ValueError(name)


SHAPES = [
    "max-length random CJK (64 + 36 chars)",
    "8-char random CJK (all ideographs)",
    "short random CJK (2-4 chars)",
    "realistic words (jieba dictionary)",
    "nested (short words inside others' 64-char words)",
]
BEYOND = ["beyond: 1,000 x 100 random CJK of 64 chars", "beyond: 1,000 x 100 realistic words"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no /proc/self/status")


async def longest_stall(build: Callable[[], object]) -> float:
    """Seconds of the longest gap a 1 ms sleeper saw while `build` ran in a thread."""
    done = False
    longest = 0.0

    async def tick() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    ticker = asyncio.create_task(tick())
    await asyncio.to_thread(build)
    done = True
    await ticker
    return longest


def child(name: str) -> None:
    """In a fresh process: build the shape's matcher, check it, report JSON."""
    translation_table()  # built once per process at start-up in production too
    keywords = shape(name)
    rules = [
        TagRule(f"r{n}", f"规则{n}", words, "意向", f"标签{n}") for n, words in enumerate(keywords)
    ]
    within = not name.startswith("beyond")
    if within:
        for rule in rules:
            validate(rule)
        assert rule_set_problem(rules) is None, rule_set_problem(rules)
    chars = sum(len(w) for r in rules for w in r.keywords)
    base = rss_mb()
    start = time.perf_counter()
    matcher = RuleMatcher(rules)
    seconds = time.perf_counter() - start
    held = rss_mb() - base
    for rule in rules[:: len(rules) // 20]:
        longest = max(rule.keywords, key=len)
        fired = {m.rule.id for m in matcher.match(f"您好，{longest}怎么卖")}
        assert rule.id in fired, (rule.id, longest)
    del matcher
    stall = asyncio.run(longest_stall(lambda: RuleMatcher(rules)))
    words = len({w for r in rules for w in r.keywords})
    print(
        json.dumps(
            {"seconds": seconds, "stall": stall, "held_mb": held, "chars": chars, "words": words}
        )
    )


def old_contained_words(words: set[str]) -> dict[str, set[str]]:
    """The old build's containment table, as it was (bot/tagging/rules.py at b0ada72)."""
    by_form: dict[str, set[str]] = defaultdict(set)
    folded = {w: normalize(w) for w in words}
    for word, form in folded.items():
        by_form[form].add(word)
    inside: dict[str, set[str]] = {}
    for word, form in folded.items():
        pieces = {form[i:j] for i in range(len(form)) for j in range(i + 1, len(form) + 1)}
        inside[word] = {v for piece in pieces for v in by_form.get(piece, ()) if v != word}
    return inside


def old_rows() -> list[tuple[str, float, float]]:
    """(input, old table seconds, new build seconds) on inputs the old build can finish."""
    rng = random.Random(3)
    inputs = {
        "10 rules x 1 keyword of 200 random CJK chars": [
            [random_word(rng, 200, COMMON)] for _ in range(10)
        ],
        "1 rule x 1 keyword of 1,000 random CJK chars": [[random_word(rng, 1000, COMMON)]],
        "max-length random CJK at the bounds (as above)": shape(SHAPES[0]),
    }
    rows = []
    for label, keywords in inputs.items():
        words = {w for ws in keywords for w in ws}
        start = time.perf_counter()
        old_contained_words(words)
        old = time.perf_counter() - start
        rules = [TagRule(f"r{n}", "r", ws, "g", "t") for n, ws in enumerate(keywords)]
        start = time.perf_counter()
        RuleMatcher(rules)
        rows.append((label, old, time.perf_counter() - start))
        print(f"done old: {label}", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beyond-bounds", action="store_true")
    parser.add_argument("--old", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    results = {}
    for name in SHAPES + (BEYOND if args.beyond_bounds else []):
        out = subprocess.check_output([sys.executable, __file__, "--child", name])
        results[name] = json.loads(out)
        print(f"done {name}: {results[name]}", file=sys.stderr)

    print(
        f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pyahocorasick {version('pyahocorasick')}, "
        f"date {time.strftime('%Y-%m-%d')}"
    )
    print(
        "| shape | distinct words | characters | build (s) "
        "| longest loop stall, built in a thread (ms) | memory held (MB) |"
    )
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['words']:,} | {r['chars']:,} | {r['seconds']:.3f} "
            f"| {r['stall'] * 1000:.0f} | {r['held_mb']:.0f} |"
        )
    if args.old:
        print("\n| input | old containment table alone (s) | new build, whole matcher (s) |")
        print("|---|---|---|")
        for label, old, new in old_rows():
            print(f"| {label} | {old:.2f} | {new:.3f} |")


if __name__ == "__main__":
    main()
