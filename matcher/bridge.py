"""A model-free Thai <-> English lexical bridge from Thai WordNet and Princeton WordNet 3.0.

Thai WordNet (bundled with pythainlp, CC BY-SA) maps Thai lemmas to Princeton WordNet 3.0
synsets; Princeton WordNet (Debian `wordnet-base`, WordNet 3.0 licence) gives the English lemmas
of those synsets. Joined once by `matcher build-bridge` into `matcher/data/bridge-th-en.tsv.gz`
(shipped, so nothing is read from the system at run time). A query's tokens in one language are
mapped to weighted tokens of the other (weight 1/number of translations, so a word with many
senses spreads thin), which BM25 then scores against documents in that other language: a small
cross-language signal, and readable reasons ("น้ำท่วม ↔ flood").
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "bridge-th-en.tsv.gz"
WORDNET_DIR = Path("/usr/share/wordnet")
MAX_TRANSLATIONS = 8
_THAI = re.compile(r"[\u0E00-\u0E7F]")


class Bridge:
    """Token-level translations in both directions, in the lexical index's token space."""

    def __init__(self, th_to_en: dict[str, list[str]]):
        self.th_to_en = th_to_en
        en_to_th: dict[str, list[str]] = defaultdict(list)
        for th, ens in th_to_en.items():
            for en in ens:
                if th not in en_to_th[en]:
                    en_to_th[en].append(th)
        self.en_to_th = dict(en_to_th)

    def __len__(self) -> int:
        return len(self.th_to_en)

    def translate(self, tokens: Sequence[str]) -> dict[str, float]:
        """Weighted tokens of the other language for a query's tokens (each script maps across)."""
        out: dict[str, float] = defaultdict(float)
        for token in tokens:
            table = self.th_to_en if _THAI.search(token) else self.en_to_th
            targets = table.get(token)
            if not targets:
                continue
            targets = targets[:MAX_TRANSLATIONS]
            for target in targets:
                out[target] += 1.0 / len(targets)
        return dict(out)

    def pairs(self, query_terms: dict[str, str], doc_tokens: Iterable[str], limit: int = 5) -> list[tuple[str, str]]:
        """(query surface form, document token) pairs that translate into each other, for reasons."""
        doc = set(doc_tokens)
        out = []
        for token, surface in query_terms.items():
            table = self.th_to_en if _THAI.search(token) else self.en_to_th
            for target in table.get(token, [])[:MAX_TRANSLATIONS]:
                if target in doc:
                    out.append((surface, target))
                    break
            if len(out) >= limit:
                break
        return out


@cache
def load_bridge(path: Path = DATA_FILE) -> Bridge | None:
    """The shipped dictionary, or None when it is absent (the signal is then simply off)."""
    if not path.exists():
        return None
    table: dict[str, list[str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            th, _, ens = line.rstrip("\n").partition("\t")
            if th and ens:
                table[th] = ens.split("|")
    return Bridge(table)


def build_dictionary(wordnet_dir: Path = WORDNET_DIR, out: Path = DATA_FILE) -> int:
    """Join Thai WordNet with Princeton WordNet's data files into the shipped TSV; returns entries.

    Thai lemmas are newmm-tokenised and English lemmas stemmed exactly as the lexical index does,
    so a translation lands on index tokens. Only single-token Thai lemmas are kept (a multi-token
    lemma would never be one query token)."""
    import sqlite3

    import pythainlp

    from matcher.text import tokenize

    synset_lemmas: dict[str, list[str]] = {}
    for pos, suffix in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        path = wordnet_dir / f"data.{pos}"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found; install Debian's wordnet-base (apt-get install wordnet-base)")
        for line in path.read_text(encoding="latin-1").splitlines():
            if not line or line.startswith(" "):
                continue
            fields = line.split(" ")
            offset, count = fields[0], int(fields[3], 16)
            lemmas = [fields[4 + 2 * i].lower().replace("_", " ") for i in range(count)]
            synset_lemmas[f"{offset}-{suffix}"] = lemmas
            if suffix == "a":
                synset_lemmas[f"{offset}-s"] = lemmas
    db = Path(pythainlp.__file__).resolve().parent / "corpus" / "wordnet_th.db"
    table: dict[str, list[str]] = defaultdict(list)
    with sqlite3.connect(db) as conn:
        for synset, lemma in conn.execute("SELECT synsetid, li FROM word_synset"):
            th_tokens = tokenize(lemma)
            if len(th_tokens) != 1:
                continue
            for english in synset_lemmas.get(synset, []):
                en_tokens = tokenize(english)
                for token in en_tokens:
                    if token not in table[th_tokens[0]]:
                        table[th_tokens[0]].append(token)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as fh:
        for th in sorted(table):
            fh.write(f"{th}\t{'|'.join(table[th])}\n")
    return len(table)
