"""Baselines outside the matcher library: a scikit-learn TF-IDF character n-gram retriever.

Character n-grams need no word segmentation, which makes them the classic robust baseline for
Thai; they still cannot cross languages.
"""

from __future__ import annotations

import numpy as np

from matcher.text import normalize

from eval.datasets import EvalDataset


def tfidf_char_run(dataset: EvalDataset, k: int = 100) -> dict[str, dict[str, float]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
    doc_matrix = vectorizer.fit_transform([normalize(d.text).lower() for d in dataset.docs])
    query_matrix = vectorizer.transform([normalize(q.text).lower() for q in dataset.queries])
    scores = (query_matrix @ doc_matrix.T).toarray()
    keys = [d.key for d in dataset.docs]
    run = {}
    for qi, query in enumerate(dataset.queries):
        top = np.argsort(-scores[qi], kind="stable")[:k]
        run[query.id] = {keys[i]: float(scores[qi, i]) for i in top}
    return run
