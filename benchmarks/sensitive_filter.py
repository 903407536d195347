"""The sensitive-word filter against raw pyahocorasick, flashtext and a plain-Python trie.

    python benchmarks/sensitive_filter.py   (needs the bench extra: pip install -e '.[bench]')

One run, one core, the same inputs for every engine:
- a 100,000-word list: random 2-4 character CJK words over the 3,700 most used code points
  plus 2,000 ASCII words (no public list is shipped on this machine);
- 100,000 messages of 30 characters, one in five carrying a listed word;
- a 10 MB text of the same kind.
Ours runs with every normalisation on (and pays for it); the others match the raw text.
Build time, reload from a pickle and peak RSS are measured in fresh processes.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMON = [chr(c) for c in range(0x4E00, 0x4E00 + 3700)]
FILLER = "的了是在有我他这个们来到时大地为子中你说生国年着就那和要她出也得里后自以会"


def make_words(seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < 98_000:
        words.add("".join(rng.choice(COMMON) for _ in range(rng.randint(2, 4))))
    ascii_words: set[str] = set()
    while len(ascii_words) < 2_000:
        ascii_words.add(
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 8)))
        )
    return [(w, "custom") for w in sorted(words)] + [(w, "custom") for w in sorted(ascii_words)]


def make_messages(
    words: list[tuple[str, str]], count: int, length: int, seed: int = 2
) -> list[str]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        text = "".join(rng.choice(FILLER) for _ in range(length))
        if n % 5 == 0:
            word = rng.choice(words)[0]
            cut = rng.randint(0, length - len(word))
            text = text[:cut] + word + text[cut + len(word) :]
        out.append(text[:length])
    return out


def ours(words: list[tuple[str, str]]) -> Callable[[str], int]:
    from bot.text.filter import SensitiveFilter

    f = SensitiveFilter.from_words(words)
    return lambda text: len(f.scan(text))


def raw_ahocorasick(words: list[tuple[str, str]]) -> Callable[[str], int]:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word, category in words:
        automaton.add_word(word, (word, category))
    automaton.make_automaton()
    return lambda text: sum(1 for _ in automaton.iter(text))


def flashtext(words: list[tuple[str, str]]) -> Callable[[str], int]:
    from flashtext import KeywordProcessor

    processor = KeywordProcessor()
    for word, _ in words:
        processor.add_keyword(word)
    return lambda text: len(processor.extract_keywords(text, span_info=True))


def dict_trie(words: list[tuple[str, str]]) -> Callable[[str], int]:
    root: dict[str, dict] = {}
    for word, _ in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def scan(text: str) -> int:
        hits = 0
        for i in range(len(text)):
            node = root
            for ch in text[i:]:
                node = node.get(ch)  # type: ignore[assignment]
                if node is None:
                    break
                if "" in node:
                    hits += 1
        return hits

    return scan


ENGINES = {
    "scrm-bot SensitiveFilter (all normalisations)": ours,
    "raw pyahocorasick iter (no normalisation)": raw_ahocorasick,
    "flashtext": flashtext,
    "plain-Python dict trie": dict_trie,
}


def rss_mb(field: str = "VmRSS") -> float:
    """This process's RSS now (VmRSS) or at its peak (VmHWM). Not ru_maxrss: Linux keeps the
    parent's peak in it across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no /proc/self/status")


def child(kind: str, workdir: str) -> None:
    """Run in a fresh process: build or reload ours; report seconds and memory."""
    from bot.text.filter import SensitiveFilter
    from bot.text.lexicon import release_build_memory
    from bot.text.normalize import translation_table

    translation_table()  # built once per process, at start-up, in production too
    base = rss_mb()
    if kind == "build":
        words = [tuple(w) for w in json.loads(Path(workdir, "words.json").read_text())]
        start = time.perf_counter()
        f = SensitiveFilter.from_words(words)
        seconds = time.perf_counter() - start
        data = pickle.dumps(f, protocol=pickle.HIGHEST_PROTOCOL)
        Path(workdir, "filter.pickle").write_bytes(data)
        del words, data
        release_build_memory()  # what the reloader does after each build
    else:
        data = Path(workdir, "filter.pickle").read_bytes()
        start = time.perf_counter()
        f = pickle.loads(data)
        seconds = time.perf_counter() - start
        del data
    f.scan("你好")
    gc.collect()
    print(
        json.dumps(
            {"seconds": seconds, "rss_mb": rss_mb(), "base_mb": base, "peak_mb": rss_mb("VmHWM")}
        )
    )


def main() -> None:
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
        return
    words = make_words()
    messages = make_messages(words, 100_000, 30)
    big = "\n".join(make_messages(words, 350_000, 30, seed=3))[: 10 * 1024 * 1024 // 3]
    print(
        f"{len(words)} words, {len(messages)} messages of 30 chars, big text {len(big):,} chars",
        file=sys.stderr,
    )

    rows = []
    for name, factory in ENGINES.items():
        scan = factory(words)
        sample = messages if "trie" not in name else messages[:20_000]  # it is that slow
        start = time.perf_counter()
        hits = sum(scan(m) for m in sample)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        scan(big)
        big_seconds = time.perf_counter() - start
        rows.append((name, len(sample) / seconds, len(big) / big_seconds, hits, len(sample)))
        print(f"done {name}", file=sys.stderr)

    with tempfile.TemporaryDirectory() as workdir:
        Path(workdir, "words.json").write_text(json.dumps(words))

        def in_child(kind: str) -> dict[str, float]:
            out = subprocess.check_output([sys.executable, __file__, kind, workdir])
            return dict(json.loads(out))

        build, reload = in_child("build"), in_child("reload")

    raw_rate = rows[1][1]
    print(
        f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, date {time.strftime('%Y-%m-%d')}"
    )
    print(
        "| engine | messages/s (30 chars) | ratio to raw pyahocorasick | chars/s (10 MB text) "
        "| hits in messages |"
    )
    print("|---|---|---|---|---|")
    for name, rate, chars, hits, count in rows:
        print(
            f"| {name} | {rate:,.0f} | {rate / raw_rate:.2f} | {chars / 1e6:.2f} M "
            f"| {hits} in {count:,} |"
        )
    print(f"\nbuild 100k words: {build['seconds']:.3f} s; from a pickle: {reload['seconds']:.3f} s")
    print(
        f"RSS with the filter loaded: {reload['rss_mb']:.0f} MB after a reload "
        f"({reload['base_mb']:.0f} MB before it: interpreter, modules, table), "
        f"{build['rss_mb']:.0f} MB after a build (peak {build['peak_mb']:.0f} MB while building)"
    )


if __name__ == "__main__":
    main()
