"""Fine-tuning data and a tiny real fine-tuning run; tuning grid; report rendering."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.corpora import SMALL_DIR, load_corpus


def test_triplets_use_train_split_only_with_relevant_positives_and_non_relevant_negatives():
    from eval.train import build_triplets

    corpus = load_corpus(SMALL_DIR)
    text_of = {i.search_text(): i.id for i in corpus.innovators}
    challenge_of = {c.search_text(): c.id for c in corpus.challenges}
    grades = {(p.challenge_id, p.innovator_id): (p.grade, p.split) for p in corpus.pairs}
    triplets = build_triplets(None, seed=1, directory=SMALL_DIR)
    assert len(triplets) > 500
    for anchor, positive, negative in triplets[:200]:
        cid = challenge_of[anchor]
        grade, split = grades[(cid, text_of[positive])]
        assert grade > 0 and split == "train"
        assert grades.get((cid, text_of[negative]), (0, split))[0] == 0  # judged non-relevant, or unjudged
    assert build_triplets(None, seed=1, directory=SMALL_DIR) == triplets  # deterministic


def test_feedback_pairs_join_the_training_data(tmp_path):
    from eval.train import build_triplets

    corpus = load_corpus(SMALL_DIR)
    test_challenge = next(p.challenge_id for p in corpus.pairs if p.split == "test")
    feedback = tmp_path / "feedback.tsv"
    feedback.write_text("challenge_id\tinnovator_id\tgrade\tsplit\n"
                        f"{test_challenge}\tin-001\t2\ttrain\n{test_challenge}\tin-002\t0\ttrain\n", encoding="utf-8")
    base = build_triplets(None, seed=1, directory=SMALL_DIR)
    more = build_triplets(feedback, seed=1, directory=SMALL_DIR)
    assert len(more) == len(base) + 1


def test_verdict_keeps_the_base_unless_the_gain_is_significant_and_tatoeba_holds():
    from eval.train import verdict

    good = {"base": {"test ndcg@10": 0.4, "tatoeba-th2en recall@1": 0.9},
            "fine-tuned": {"test ndcg@10": 0.5, "tatoeba-th2en recall@1": 0.895}, "p_value_ndcg@10": 0.01}
    assert verdict(good).startswith("The fine-tuned model beats")
    assert "NOT" in verdict({**good, "p_value_ndcg@10": 0.2})
    worse_tatoeba = {**good, "fine-tuned": {"test ndcg@10": 0.5, "tatoeba-th2en recall@1": 0.85}}
    assert "drops" in verdict(worse_tatoeba)


def test_tiny_fine_tuning_run_saves_a_loadable_model(tmp_path):
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("datasets")
    from eval.train import build_triplets, fine_tune
    from matcher.encoders import get_encoder
    from matcher.export import export_sentence_transformer

    base = export_sentence_transformer(tmp_path / "base")
    triplets = build_triplets(None, seed=3, directory=SMALL_DIR)[:8]
    stats = fine_tune(base, tmp_path / "tuned", triplets, epochs=1, batch_size=4, learning_rate=2e-5, seed=3,
                      max_seq_length=64)
    assert stats["steps"] == 2 and np.isfinite(stats["train_loss"])
    tuned = get_encoder(f"st:{tmp_path / 'tuned'}")
    before = get_encoder(f"st:{base}").encode_documents([triplets[0][1]])
    after = tuned.encode_documents([triplets[0][1]])
    assert after.shape == (1, 384) and not np.allclose(before, after)  # the weights really moved


def test_tuning_grid_never_uses_test_and_covers_the_weights():
    from eval.tune import LEXICAL_WEIGHTS, RRF_KS, SECOND_ENCODER_WEIGHTS, grid

    configs = grid()
    assert len(configs) == len(LEXICAL_WEIGHTS) * len(SECOND_ENCODER_WEIGHTS) + len(RRF_KS)
    assert {c.fusion for c in configs.values()} == {"zscore", "rrf"}


def test_results_render_and_readme_block_replacement():
    from eval.markers import markers, replace_block
    from eval.results import render

    MARK_START, MARK_END = markers("results")

    metrics = {"ndcg@10": 0.5, "mrr@10": 0.4, "recall@10": 0.3, "recall@100": 0.9, "map": 0.2,
               "slices": {"th->en": {"ndcg@10": 0.4, "queries": 3}},
               "language_preference": {"top10_same_language_share": 0.7, "relevant_same_language_share": 0.6}}
    rows = {"default (hybrid)": {"test": metrics}, "bm25": {"test": {**metrics, "ndcg@10": 0.1}}}
    full, short = render(rows, ["test"], {"date": "d", "commit": "c", "machine": "m", "minutes": "1"}, None)
    assert "| default (hybrid) | 0.500 |" in full and "| bm25 | 0.100 |" in full and "th->en" in full
    text = f"intro\n{MARK_START}\nold\n{MARK_END}\nend"
    assert replace_block(text, "results", short).count("0.500") == 1 and "old" not in replace_block(text, "results", short)
    with pytest.raises(ValueError):
        replace_block("no markers", "results", short)
