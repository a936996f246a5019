"""Traffy Fondue routing: the zero-shot matcher against a supervised scikit-learn baseline.

The supervised baseline (TF-IDF character n-grams + one-vs-rest logistic regression) is trained on
a seeded 50% of the complaints in traffy-types and both are scored on the other half, so the two
numbers are on the same queries.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from eval.datasets import EvalDataset, from_beir

SEED = 0
TRAIN_SHARE = 0.5


def split_dataset(dataset: EvalDataset, seed: int = SEED) -> tuple[list[str], list[str]]:
    ids = sorted(q.id for q in dataset.queries)
    random.Random(seed).shuffle(ids)
    cut = int(len(ids) * TRAIN_SHARE)
    return ids[:cut], ids[cut:]


def held_out(dataset: EvalDataset, test_ids: list[str]) -> EvalDataset:
    keep = set(test_ids)
    return EvalDataset(dataset.name + "-heldout", dataset.docs, [q for q in dataset.queries if q.id in keep],
                       {q: r for q, r in dataset.qrels.items() if q in keep})


def supervised_run(dataset: EvalDataset, train_ids: list[str], test_ids: list[str]) -> dict[str, dict[str, float]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    from matcher.text import normalize

    text = {q.id: normalize(q.text).lower() for q in dataset.queries}
    labels = [d.key for d in dataset.docs]
    binarizer = MultiLabelBinarizer(classes=labels)
    y = binarizer.fit_transform([[d for d, g in dataset.qrels[q].items() if g > 0] for q in train_ids])
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)
    x_train = vectorizer.fit_transform([text[q] for q in train_ids])
    model = OneVsRestClassifier(LogisticRegression(max_iter=2000, C=4.0, random_state=SEED))
    model.fit(x_train, y)
    probabilities = model.predict_proba(vectorizer.transform([text[q] for q in test_ids]))
    return {q: {labels[j]: float(probabilities[i, j]) for j in np.argsort(-probabilities[i])}
            for i, q in enumerate(test_ids)}


def traffy_comparison(folder: Path, cache_dir: Path | None, show_progress: bool | None = None) -> dict[str, dict]:
    """Metrics of the default matcher (zero-shot) and the supervised baseline on the held-out half."""
    from matcher.config import RetrievalConfig

    from eval.metrics import compute_metrics
    from eval.runner import retrieve

    dataset = from_beir(folder)
    train_ids, test_ids = split_dataset(dataset)
    test = held_out(dataset, test_ids)
    query_lang = {q.id: q.lang for q in test.queries}
    runs = {"default matcher (zero-shot)": retrieve(test, RetrievalConfig(), 20, cache_dir, show_progress),
            "TF-IDF + logistic regression (supervised, 50% train)": supervised_run(dataset, train_ids, test_ids)}
    metrics = ["ndcg@10", "mrr@10", "recall@3", "recall@5"]
    return {name: compute_metrics(test.qrels, run, query_lang, test.doc_lang, metrics=metrics) for name, run in runs.items()}
