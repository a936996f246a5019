"""Evaluation datasets in one shape: documents, queries, graded qrels, plus slice metadata.

A BEIR folder and a split of the demo corpus both become an `EvalDataset`, so the rest of the
evaluation never cares where the labels came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from matcher.collection import IndexDoc
from matcher.documents import innovator_doc
from matcher.corpora import MAIN_DIR, SPLITS, beir_doc_text, load_beir, load_corpus
from matcher.text import detect_language


@dataclass
class EvalQuery:
    id: str
    text: str
    lang: str
    sectors: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)


@dataclass
class EvalDataset:
    name: str
    docs: list[IndexDoc]
    queries: list[EvalQuery]
    qrels: dict[str, dict[str, int]]

    @property
    def doc_lang(self) -> dict[str, str]:
        return {d.key: d.lang for d in self.docs}


def from_beir(folder: Path) -> EvalDataset:
    data = load_beir(folder)
    docs = [IndexDoc(did, beir_doc_text(d), str(d.get("title") or ""), "",
                     d["metadata"] if isinstance(d.get("metadata"), dict) else {})
            for did, d in data.corpus.items()]
    queries = [EvalQuery(qid, str(q["text"]), detect_language(str(q["text"]))) for qid, q in data.queries.items()]
    return EvalDataset(Path(folder).name, docs, queries, data.qrels)


def from_demo_split(split: str, directory: Path = MAIN_DIR) -> EvalDataset:
    """Challenges of one split as queries against every innovator; grades 1 and 2 are relevant."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    corpus = load_corpus(directory)
    by_id = {c.id: c for c in corpus.challenges}
    qrels: dict[str, dict[str, int]] = {}
    for pair in corpus.pairs:
        if pair.split == split:
            qrels.setdefault(pair.challenge_id, {})[pair.innovator_id] = pair.grade
    qrels = {q: rel for q, rel in qrels.items() if any(g > 0 for g in rel.values())}
    queries = [EvalQuery(cid, by_id[cid].search_text(), by_id[cid].language or detect_language(by_id[cid].search_text()),
                         by_id[cid].sectors, by_id[cid].themes) for cid in sorted(qrels)]
    docs = [innovator_doc(i) for i in corpus.innovators]
    return EvalDataset(f"demo-{split}", docs, queries, qrels)


def load_dataset(spec: str, split: str = "test") -> EvalDataset:
    """A demo split name (train/dev/test), a BEIR folder, or a folder in the project's own format
    (challenges.jsonl + innovators.jsonl + pairs.tsv, as in corpora/demo) evaluated on `split`."""
    if spec in SPLITS:
        return from_demo_split(spec)
    if spec.startswith("demo-") and spec[5:] in SPLITS:
        return from_demo_split(spec[5:])
    path = Path(spec)
    if not path.is_dir():
        raise FileNotFoundError(f"{spec!r} is neither a split ({', '.join(SPLITS)}) nor a folder")
    if (path / "pairs.tsv").exists() and (path / "challenges.jsonl").exists():
        dataset = from_demo_split(split, path)
        dataset.name = f"{path.name}-{split}"
        return dataset
    return from_beir(path)
