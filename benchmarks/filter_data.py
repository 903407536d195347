"""Build the real-data inputs of `sensitive_filter.py` from pinned commits of public repos.

    python benchmarks/filter_data.py LEXICON_GIT CORPUS_GIT DRCD_GIT SECOND_LEXICON_GIT

Each argument is a git directory (a clone or a mirror) of, in order:
- konsheng/Sensitive-lexicon (MIT) at `LEXICON_COMMIT`: every `Vocabulary/*.txt` except the
  URL list, one word per line, the file name as the category (~51k distinct words);
- SophonPlus/ChineseNlpCorpus at `CORPUS_COMMIT`: online-shopping reviews in ten categories,
  take-away reviews and hotel reviews (Simplified Chinese, written by customers);
- DRCKnowledgeTeam/DRCD at `DRCD_COMMIT`: questions people wrote and the sentences of the
  passages (Traditional Chinese, Taiwan), so ~16 % of the messages are Traditional.
- houbb/sensitive-word (Apache-2.0) at `SECOND_COMMIT`: its 65k-word dictionary, which with
  the first list gives ~100k distinct words to time a build of that size on.
Reviews longer than a chat message are cut at sentence ends into pieces of at most 120
characters. Writes `benchmarks/data/words.tsv` (word, category), `words_100k.tsv` (both
lists) and `messages.txt` (one per line); nothing is downloaded, and the outputs are not
committed (`.gitignore`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

LEXICON_COMMIT = "5a8da94"
CORPUS_COMMIT = "a0b781d"
DRCD_COMMIT = "b944790"
SECOND_COMMIT = "b86249d"
SECOND_DICT = "src/test/resources/dict_v20240407.txt"
OUT = Path(__file__).resolve().parent / "data"
MAX_CHARS = 120
SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def show(git_dir: str, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
    ).stdout


def git_dir(path: str) -> str:
    return path if path.endswith(".git") or Path(path, "HEAD").exists() else f"{path}/.git"


def lexicon(repo: str) -> list[tuple[str, str]]:
    names = subprocess.run(
        ["git", "--git-dir", repo, "ls-tree", "-z", "--name-only", LEXICON_COMMIT, "Vocabulary/"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    words: dict[str, str] = {}
    for name in sorted(filter(None, names.split("\0"))):
        if "网址" in name:  # URLs: a different problem (the url detector)
            continue
        category = Path(name).stem
        for line in show(repo, LEXICON_COMMIT, name).decode("utf-8", "replace").splitlines():
            word = line.strip().replace("\t", " ")
            if word and len(word) <= 64:
                words.setdefault(word, category)
    return sorted(words.items())


def pieces(text: str) -> list[str]:
    """A review as chat-length messages: whole sentences, at most MAX_CHARS each."""
    out: list[str] = []
    current = ""
    for sentence in SENTENCE_END.split(" ".join(text.split())):
        if len(current) + len(sentence) > MAX_CHARS and current:
            out.append(current)
            current = ""
        current += sentence[:MAX_CHARS]
    if current.strip():
        out.append(current)
    return out


def reviews(repo: str) -> list[str]:
    tables = []
    shop = show(repo, CORPUS_COMMIT, "datasets/online_shopping_10_cats/online_shopping_10_cats.zip")
    with zipfile.ZipFile(io.BytesIO(shop)) as archive:
        tables.append(archive.read(archive.namelist()[0]))
    tables.append(show(repo, CORPUS_COMMIT, "datasets/waimai_10k/waimai_10k.csv"))
    tables.append(
        show(repo, CORPUS_COMMIT, "datasets/ChnSentiCorp_htl_all/ChnSentiCorp_htl_all.csv")
    )
    out: list[str] = []
    for table in tables:
        for row in csv.DictReader(io.StringIO(table.decode("utf-8-sig"))):
            out.extend(pieces(row.get("review") or ""))
    return out


def drcd(repo: str) -> list[str]:
    out: list[str] = []
    for name in ("DRCD_dev.json", "DRCD_test.json"):
        for article in json.loads(show(repo, DRCD_COMMIT, name))["data"]:
            for paragraph in article["paragraphs"]:
                out.extend(pieces(paragraph["context"]))
                out.extend(qa["question"] for qa in paragraph["qas"])
    return out


def main(argv: list[str]) -> None:
    lexicon_repo, corpus_repo, drcd_repo, second_repo = (git_dir(arg) for arg in argv)
    OUT.mkdir(exist_ok=True)
    words = lexicon(lexicon_repo)
    union = dict(words)
    for line in show(second_repo, SECOND_COMMIT, SECOND_DICT).decode("utf-8").splitlines():
        word = line.strip()
        if word and len(word) <= 64:
            union.setdefault(word, "houbb")
    (OUT / "words_100k.tsv").write_text("".join(f"{w}\t{c}\n" for w, c in union.items()), "utf-8")
    simplified, traditional = reviews(corpus_repo), drcd(drcd_repo)
    messages = [
        m.replace("\n", " ").replace("\ufeff", "") for m in simplified + traditional if m.strip()
    ]
    (OUT / "words.tsv").write_text("".join(f"{w}\t{c}\n" for w, c in words), "utf-8")
    (OUT / "messages.txt").write_text("\n".join(messages) + "\n", "utf-8")
    print(
        f"{len(words)} words ({len(union)} with the second list); {len(messages)} messages "
        f"({len(traditional)} Traditional, {len(traditional) / len(messages):.0%}) in {OUT}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
