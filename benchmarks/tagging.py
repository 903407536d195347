"""Keyword auto-tagging: messages per second through 1,000 rules with 20,000 keywords.

    python benchmarks/tagging.py [--messages 100000] [--profile]

One process, one core, inputs from fixed seeds:
- 1,000 rules holding 20,000 distinct keywords (distinct after normalisation): 19,000 random
  2-4 character CJK words over the same 3,700 code points as sensitive_filter.py plus 1,000
  ASCII words of 4-8 letters. 30 rules are mode "all" with 2 keywords each; the other 970 are
  mode "any" with 20 or 21 keywords; every tenth rule also has 1-2 exclusion words (~150
  more words in the automaton). No staff or channel scope: production calls `match(text)`
  and checks scope per follower afterwards.
- 100,000 short messages of 10-40 filler characters; one in five carries one keyword of a
  random rule, or (three times in ten) two keywords of it, and a third of those whose rule
  has exclusions also carries one of them.

Measured after a warm-up over the first 5,000 messages: `RuleMatcher.match(text)` with every
rule word_boundary=False, then with every rule word_boundary=True (jieba's dictionary loaded
beforehand, as a serving process has it; jieba runs only for messages that hit a word), and
as baselines `SensitiveFilter.scan` alone (the automaton the matcher builds, i.e. the cost
below the rule loop) and raw pyahocorasick `iter()` over the same words with no
normalisation. Matcher build time is timed too. `--profile` adds a cProfile of each matcher
run (the 15 most expensive functions by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import platform
import pstats
import random
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ahocorasick  # noqa: E402
import jieba  # noqa: E402

from bot.tagging.rules import RuleMatcher, TagRule, validate  # noqa: E402
from bot.text.filter import Hit  # noqa: E402
from bot.text.normalize import normalize  # noqa: E402

COMMON = [chr(c) for c in range(0x4E00, 0x4E00 + 3700)]
FILLER = "的了是在有我他这个们来到时大地为子中你说生国年着就那和要她出也得里后自以会"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
RULES = 1_000
KEYWORDS = 20_000
ASCII_KEYWORDS = 1_000
ALL_RULES = 30  # mode "all", 2 keywords each
WARMUP = 5_000
TARGETS = {False: 20_000, True: 5_000}  # messages/s per core, from the issue


def make_words(count: int, ascii_count: int, taken: set[str], rng: random.Random) -> list[str]:
    """`count` words, `ascii_count` of them ASCII, none folding to a form in `taken`."""
    words: list[str] = []

    def add(word: str) -> None:
        # two spellings folding to one form are one word to the automaton: keep the count true
        folded = normalize(word)
        if folded not in taken:
            taken.add(folded)
            words.append(word)

    while len(words) < count - ascii_count:
        add("".join(rng.choice(COMMON) for _ in range(rng.randint(2, 4))))
    while len(words) < count:
        add("".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 8))))
    return words


def make_rules(seed: int = 1) -> list[TagRule]:
    rng = random.Random(seed)
    taken: set[str] = set()
    keywords = make_words(KEYWORDS, ASCII_KEYWORDS, taken, rng)
    rng.shuffle(keywords)
    sizes = [2] * ALL_RULES
    rest = KEYWORDS - 2 * ALL_RULES
    others = RULES - ALL_RULES
    sizes += [rest // others + (1 if n < rest % others else 0) for n in range(others)]
    rules = []
    cut = 0
    for n, size in enumerate(sizes):
        exclusions = make_words(rng.randint(1, 2), 0, taken, rng) if n % 10 == 0 else []
        rules.append(
            TagRule(
                id=f"r{n}",
                name=f"规则{n}",
                keywords=keywords[cut : cut + size],
                tag_group="意向",
                tag_name=f"标签{n}",
                mode="all" if n < ALL_RULES else "any",
                exclusions=exclusions,
            )
        )
        cut += size
    assert cut == KEYWORDS
    for rule in rules:
        validate(rule)
    return rules


def make_messages(rules: list[TagRule], count: int, seed: int = 2) -> list[str]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        length = rng.randint(10, 40)
        inserts: list[str] = []
        if n % 5 == 0:
            rule = rng.choice(rules)
            inserts = rng.sample(rule.keywords, 2 if rng.random() < 0.3 else 1)
            if rule.exclusions and rng.random() < 1 / 3:
                inserts.append(rng.choice(rule.exclusions))
        filler = [rng.choice(FILLER) for _ in range(max(length - sum(map(len, inserts)), 2))]
        # insert from the right so earlier cut positions stay valid and no word splits another
        cuts = sorted((rng.randint(0, len(filler)) for _ in inserts), reverse=True)
        for word, cut in zip(inserts, cuts, strict=True):
            filler[cut:cut] = [word]
        out.append("".join(filler))
    return out


def timed(fn: Callable[[str], int], messages: list[str]) -> tuple[float, int]:
    """Messages/s and the summed result of `fn` over `messages`, after a warm-up."""
    for text in messages[:WARMUP]:
        fn(text)
    start = time.perf_counter()
    total = sum(fn(text) for text in messages)
    return len(messages) / (time.perf_counter() - start), total


def profile(fn: Callable[[str], int], messages: list[str], title: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for text in messages:
        fn(text)
    profiler.disable()
    print(f"\n--- cProfile: {title} (own time, top 15) ---")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    rules = make_rules()
    messages = make_messages(rules, args.messages)
    words = sorted({w for r in rules for w in (*r.keywords, *r.exclusions)})
    print(
        f"{len(rules)} rules, {sum(len(r.keywords) for r in rules)} keywords "
        f"(+{len(words) - KEYWORDS} exclusions), {len(messages)} messages, "
        f"{sum(map(len, messages)) / len(messages):.1f} chars on average",
        file=sys.stderr,
    )
    jieba.setLogLevel(60)  # its "Building prefix dict" lines on stderr say nothing here
    jieba.initialize()  # a serving process has the dictionary loaded before messages arrive

    rows: list[tuple[str, float, int, str]] = []
    builds: dict[bool, float] = {}
    hit_messages = 0
    for bounded in (False, True):
        variant = [dataclasses.replace(r, word_boundary=bounded) for r in rules]
        start = time.perf_counter()
        matcher = RuleMatcher(variant)
        builds[bounded] = time.perf_counter() - start

        def fire(text: str, matcher: RuleMatcher = matcher) -> int:
            return len(matcher.match(text))

        rate, fired = timed(fire, messages)
        assert fired > 0, "the benchmark matched nothing: the inputs are broken"
        target = TARGETS[bounded]
        verdict = f"≥ {target:,} {'✓' if rate >= target else '✗ not met'}"
        name = f"RuleMatcher.match, word_boundary={bounded}"
        rows.append((name, rate, fired, verdict))
        print(f"done {name}: build {builds[bounded]:.2f} s", file=sys.stderr)
        if args.profile:
            profile(fire, messages, name)
        if not bounded:
            # the engine underneath, on the automaton just built: what the rule loop adds
            scan = matcher._filter.scan

            def hits_of(text: str, scan: Callable[[str], list[Hit]] = scan) -> int:
                return len(scan(text))

            hit_messages = sum(1 for text in messages if scan(text))
            rate, hits = timed(hits_of, messages)
            rows.append(("SensitiveFilter.scan alone (same automaton)", rate, hits, "—"))

    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    rate, hits = timed(lambda text: sum(1 for _ in automaton.iter(text)), messages)
    rows.append(("raw pyahocorasick iter (no normalisation)", rate, hits, "—"))

    raw_rate = rows[-1][1]
    print(
        f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pyahocorasick {version('pyahocorasick')}, "
        f"jieba {version('jieba')}, date {time.strftime('%Y-%m-%d')}"
    )
    print(
        f"{hit_messages:,} of {len(messages):,} messages hit a listed word "
        "(and so reach the rule loop and, with word boundaries, jieba)"
    )
    print(
        "| matcher | messages/s (one core) | ratio to raw pyahocorasick | rules fired / hits "
        "| target |"
    )
    print("|---|---|---|---|---|")
    for name, rate, count, verdict in rows:
        print(f"| {name} | {rate:,.0f} | {rate / raw_rate:.2f} | {count:,} | {verdict} |")
    print(
        f"\nbuild {len(rules):,} rules / {len(words):,} words: "
        f"{builds[False]:.2f} s (word_boundary=False), {builds[True]:.2f} s (True)"
    )


if __name__ == "__main__":
    main()
