"""The sensitive-word filter on a real public word list and real chat, against its peers.

    pip install -e '.[bench]'
    python benchmarks/filter_data.py LEXICON_GIT CORPUS_GIT DRCD_GIT   # once: the real inputs
    python benchmarks/sensitive_filter.py [--before OLD_CHECKOUT]

Inputs (built by `filter_data.py` from pinned commits; sources in its docstring): ~51k words
of konsheng/Sensitive-lexicon and ~114k chat-length messages, customer reviews in Simplified
Chinese plus ~15 % Traditional. Two lists: *full*, every word our library accepts, and
*pruned*, the words `bot.text.hygiene` does not flag. One process, one core, the same words
and messages for every engine. Ours runs with every normalisation on (case, width,
traditional → simplified, number styles, invisible characters and fillers, whole-word ASCII,
longest match, offsets mapped back to the original); the others match the raw text and return
every overlapping match. `--before` adds a row for ours from another checkout (run in a child
process). The generated inputs of the first round stay as a secondary row. Build time for
~100k real words (both public lists), reload from a pickle and RSS are measured in fresh
processes.
"""

from __future__ import annotations

import argparse
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
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
Scan = Callable[[str], int]


def load() -> tuple[list[tuple[str, str]], list[str]]:
    if not (DATA / "words.tsv").exists():
        sys.exit("no benchmarks/data: run benchmarks/filter_data.py first (see its docstring)")
    rows = (line.split("\t") for line in (DATA / "words.tsv").read_text("utf-8").splitlines())
    words = [(word, category) for word, category in rows]
    return words, (DATA / "messages.txt").read_text("utf-8").splitlines()


def lists(words: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    from bot.text.hygiene import check_word
    from bot.text.lexicon import word_problem

    full = [(w, c) for w, c in words if word_problem(w) is None]
    return {"full": full, "pruned": [(w, c) for w, c in full if not check_word(w).risky]}


def ours(words: list[tuple[str, str]]) -> Scan:
    from bot.text.filter import SensitiveFilter

    f = SensitiveFilter.from_words(words)
    return lambda text: len(f.scan(text))


def pyahocorasick(words: list[tuple[str, str]]) -> Scan:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for index, (word, _) in enumerate(words):
        automaton.add_word(word, index)
    automaton.make_automaton()
    return lambda text: len(list(automaton.iter(text)))


def ahocorasick_rs(words: list[tuple[str, str]]) -> Scan:
    import ahocorasick_rs

    automaton = ahocorasick_rs.AhoCorasick(list(dict.fromkeys(w for w, _ in words)))
    return lambda text: len(automaton.find_matches_as_indexes(text, overlapping=True))


def daachorse_raw(words: list[tuple[str, str]]) -> Scan:
    import daachorse

    automaton = daachorse.CharwiseDoubleArrayAhoCorasick(list(dict.fromkeys(w for w, _ in words)))
    return lambda text: len(automaton.find_overlapping(text))


def flashtext(words: list[tuple[str, str]]) -> Scan:
    from flashtext import KeywordProcessor

    processor = KeywordProcessor()
    for word, _ in words:
        processor.add_keyword(word)
    return lambda text: len(processor.extract_keywords(text, span_info=True))


BASELINE = "raw pyahocorasick iter"
ENGINES: dict[str, Callable[[list[tuple[str, str]]], Scan]] = {
    "scrm-bot SensitiveFilter (all normalisations)": ours,
    BASELINE: pyahocorasick,
    "raw ahocorasick_rs (Rust aho-corasick), overlapping": ahocorasick_rs,
    "raw daachorse (the engine ours uses)": daachorse_raw,
    "flashtext": flashtext,
}


def timed(scan: Scan, messages: list[str]) -> tuple[float, list[bool]]:
    gc.collect()
    start = time.perf_counter()
    flags = [scan(m) > 0 for m in messages]
    return len(messages) / (time.perf_counter() - start), flags


def generated() -> tuple[list[tuple[str, str]], list[str]]:
    """The first round's synthetic inputs: random CJK words, filler messages of 30 chars."""
    rng = random.Random(1)
    common = [chr(c) for c in range(0x4E00, 0x4E00 + 3700)]
    filler = "的了是在有我他这个们来到时大地为子中你说生国年着就那和要她出也得里后自以会"
    chosen: set[str] = set()
    while len(chosen) < 100_000:
        chosen.add("".join(rng.choice(common) for _ in range(rng.randint(2, 4))))
    words = [(w, "custom") for w in sorted(chosen)]
    messages = []
    for n in range(100_000):
        text = "".join(rng.choice(filler) for _ in range(30))
        if n % 5 == 0:
            word = rng.choice(words)[0]
            text = text[:10] + word + text[10 + len(word) :]
        messages.append(text)
    return words, messages


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no /proc/self/status")


def child(kind: str, workdir: str) -> None:
    """In a fresh process: build or reload ours, or (`before`) time an older checkout's."""
    from bot.text.filter import SensitiveFilter
    from bot.text.lexicon import release_build_memory
    from bot.text.normalize import translation_table

    translation_table()  # built once per process at start-up, in production too
    base = rss_mb()
    words = [tuple(w) for w in json.loads(Path(workdir, "words.json").read_text())]
    if kind == "before":
        messages = Path(workdir, "messages.txt").read_text("utf-8").splitlines()
        rate, flags = timed(ours(words), messages)
        print(json.dumps({"rate": rate, "flagged": sum(flags)}))
        return
    if kind == "build":
        start = time.perf_counter()
        f = SensitiveFilter.from_words(words)
        seconds = time.perf_counter() - start
        Path(workdir, "filter.pickle").write_bytes(pickle.dumps(f, pickle.HIGHEST_PROTOCOL))
        del words
        release_build_memory()  # what the reloader does after each build
    else:
        del words
        data = Path(workdir, "filter.pickle").read_bytes()
        start = time.perf_counter()
        f = pickle.loads(data)
        seconds = time.perf_counter() - start
        del data
    f.scan("你好")
    gc.collect()
    stats = {"seconds": seconds, "rss_mb": rss_mb(), "base_mb": base, "peak_mb": rss_mb("VmHWM")}
    print(json.dumps(stats))


def in_child(kind: str, workdir: str, tree: Path = ROOT) -> dict[str, float]:
    env = os.environ | {"PYTHONPATH": str(tree)}
    script = [sys.executable, __file__, "--child", kind, workdir]
    return dict(json.loads(subprocess.check_output(script, env=env, cwd=tree)))


def table(
    name: str, words: list[tuple[str, str]], messages: list[str], before: Path | None
) -> None:
    rows: list[tuple[str, float, int, int]] = []  # engine, rate, flagged, missed vs baseline
    results = {}
    for engine, factory in ENGINES.items():
        results[engine] = timed(factory(words), messages)
        print(f"  {name}: {engine} done", file=sys.stderr)
    base_flags = results[BASELINE][1]
    for engine, (rate, flags) in results.items():
        missed = sum(1 for b, f in zip(base_flags, flags, strict=True) if b and not f)
        rows.append((engine, rate, sum(flags), missed))
    if before is not None:
        with tempfile.TemporaryDirectory() as workdir:
            Path(workdir, "words.json").write_text(json.dumps(words))
            Path(workdir, "messages.txt").write_text("\n".join(messages), "utf-8")
            old = in_child("before", workdir, before)
        rows.insert(
            1,
            (
                "scrm-bot before this change (pyahocorasick on bytes)",
                old["rate"],
                int(old["flagged"]),
                -1,
            ),
        )
    base_rate = results[BASELINE][0]
    print(f"\n{name}: {len(words):,} words, {len(messages):,} messages")
    print(
        "| engine | messages/s | ratio to raw pyahocorasick | messages flagged "
        "| raw-flagged ones it misses |"
    )
    print("|---|---|---|---|---|")
    for engine, rate, flagged, missed in rows:
        miss = "—" if missed < 0 else f"{missed:,}"
        print(
            f"| {engine} | {rate:,.0f} | {rate / base_rate:.2f} | "
            f"{flagged:,} ({flagged / len(messages):.1%}) | {miss} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, help="an older checkout to time ours from")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sys.path.insert(0, str(ROOT))
    words, messages = load()
    for name, chosen in lists(words).items():
        table(f"real, {name} list", chosen, messages, args.before)
    table("generated (secondary)", *generated(), None)

    rows = (line.split("\t") for line in (DATA / "words_100k.tsv").read_text("utf-8").splitlines())
    hundred_k = lists([(word, category) for word, category in rows])["full"]
    with tempfile.TemporaryDirectory() as workdir:
        Path(workdir, "words.json").write_text(json.dumps(hundred_k))
        build, reload = in_child("build", workdir), in_child("reload", workdir)
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, daachorse {version('daachorse')}, pyahocorasick "
        f"{version('pyahocorasick')}, ahocorasick_rs {version('ahocorasick_rs')}, "
        f"flashtext {version('flashtext')}, date {time.strftime('%Y-%m-%d')}"
    )
    print(
        f"build, {len(hundred_k):,} real words (both lists): {build['seconds']:.3f} s; "
        f"reload from a pickle: {reload['seconds']:.3f} s"
    )
    print(
        f"RSS with the filter loaded: {reload['rss_mb']:.0f} MB after a reload "
        f"({reload['base_mb']:.0f} MB before it: interpreter, modules, table); "
        f"{build['rss_mb']:.0f} MB after a build (peak {build['peak_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
