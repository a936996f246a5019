"""`matcher train`: fine-tune an encoder on labeled pairs with sentence-transformers.

Starts from the exported bundled multilingual-e5-small (see `matcher export-model`), trains with a
multiple-negatives ranking loss on (challenge, matching innovator, hard negative) triplets: hard
negatives are same-theme innovators judged not relevant and innovators rejected in the service's
feedback. Then compares base and fine-tuned model on the demo test split (nDCG@10, paired t-test)
and on tatoeba-th2en (Recall@1), and writes a model card. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer

from matcher.cli.common import handle_errors, resolve_settings
from matcher.corpora import MAIN_DIR, PROJECT_ROOT, load_corpus, load_pairs

from eval.markers import update_file

DEFAULT_BASE = PROJECT_ROOT / "models" / "multilingual-e5-small"
DEFAULT_OUT = PROJECT_ROOT / "models" / "e5-small-bic"
TATOEBA = PROJECT_ROOT.parent / "shared" / "benchmarks" / "tatoeba-th2en"
RESULTS = PROJECT_ROOT / "eval" / "RESULTS.md"
PROMPTS = {"anchor": "query: ", "positive": "passage: ", "negative": "passage: "}


def build_triplets(feedback_tsv: Path | None, seed: int, directory: Path = MAIN_DIR) -> list[tuple[str, str, str]]:
    """(challenge text, relevant innovator text, hard negative text) from the train split and feedback."""
    corpus = load_corpus(directory)
    challenge_text = {c.id: c.search_text() for c in corpus.challenges}
    innovator_text = {i.id: i.search_text() for i in corpus.innovators}
    pairs = [p for p in corpus.pairs if p.split == "train"]
    if feedback_tsv is not None:
        pairs += [p for p in load_pairs(feedback_tsv) if p.challenge_id in challenge_text and p.innovator_id in innovator_text]
    positives: dict[str, list[str]] = {}
    negatives: dict[str, list[str]] = {}
    for p in pairs:
        (positives if p.grade > 0 else negatives).setdefault(p.challenge_id, []).append(p.innovator_id)
    rng = random.Random(seed)
    all_innovators = sorted(innovator_text)
    triplets = []
    for cid in sorted(positives):
        relevant = set(positives[cid])
        pool = sorted(set(negatives.get(cid, []))) or [i for i in all_innovators if i not in relevant]
        for iid in sorted(relevant):
            triplets.append((challenge_text[cid], innovator_text[iid], innovator_text[rng.choice(pool)]))
    rng.shuffle(triplets)
    return triplets


def fine_tune(base: Path, out: Path, triplets: list[tuple[str, str, str]], epochs: int, batch_size: int,
              learning_rate: float, seed: int, max_seq_length: int) -> dict[str, Any]:
    try:
        from datasets import Dataset
        from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
        try:
            from sentence_transformers.sentence_transformer.training_args import BatchSamplers
        except ImportError:  # sentence-transformers < 6
            from sentence_transformers.training_args import BatchSamplers
    except ImportError as exc:
        raise ImportError(f"training needs the [st] extra: pip install torch==2.13.0 'bic-matcher[st]' ({exc})") from exc
    import tempfile

    import torch
    from transformers import set_seed

    set_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SentenceTransformer(str(base), device=device)
    model.max_seq_length = max_seq_length
    data = Dataset.from_dict({"anchor": [t[0] for t in triplets], "positive": [t[1] for t in triplets],
                              "negative": [t[2] for t in triplets]})
    with tempfile.TemporaryDirectory() as tmp:
        args = SentenceTransformerTrainingArguments(
            output_dir=tmp, num_train_epochs=epochs, per_device_train_batch_size=batch_size,
            learning_rate=learning_rate, warmup_ratio=0.1, seed=seed, data_seed=seed,
            batch_sampler=BatchSamplers.NO_DUPLICATES, prompts=PROMPTS, save_strategy="no", report_to=[],
            logging_steps=10, use_cpu=device == "cpu")
        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data,
                                             loss=MultipleNegativesRankingLoss(model))
        started = time.perf_counter()
        output = trainer.train()
    model.max_seq_length = 512
    model.save(str(out))
    return {"device": device, "seconds": round(time.perf_counter() - started, 1), "train_loss": round(output.training_loss, 4),
            "steps": output.global_step}


def compare_models(base: Path, tuned: Path, cache_dir: Path | None) -> dict[str, Any]:
    """nDCG@10 on the demo test split with a paired t-test, and Recall@1 on tatoeba-th2en."""
    from matcher.config import DenseComponent, RetrievalConfig

    from eval.datasets import load_dataset
    from eval.metrics import ranx_scores, compare_runs
    from eval.runner import retrieve

    out: dict[str, Any] = {}
    configs = {name: RetrievalConfig(mode="dense", dense=[DenseComponent(encoder=f"st:{path}")])
               for name, path in (("base", base), ("fine-tuned", tuned))}
    test = load_dataset("test")
    runs = {name: retrieve(test, cfg, 100, cache_dir, False) for name, cfg in configs.items()}
    for name, run in runs.items():
        out[name] = {"test ndcg@10": ranx_scores(test.qrels, run, ["ndcg@10"])["ndcg@10"]}
    comparison = compare_runs(test.qrels, runs, ["ndcg@10"])
    p_value = comparison.get("fine-tuned", {}).get("comparisons", {}).get("base", {}).get("ndcg@10")
    out["p_value_ndcg@10"] = p_value
    if TATOEBA.exists():
        tatoeba = load_dataset(str(TATOEBA))
        for name, cfg in configs.items():
            run = retrieve(tatoeba, cfg, 10, cache_dir, False)
            out[name]["tatoeba-th2en recall@1"] = ranx_scores(tatoeba.qrels, run, ["recall@1"])["recall@1"]
    return out


def verdict(metrics: dict[str, Any]) -> str:
    base, tuned = metrics["base"], metrics["fine-tuned"]
    gain = tuned["test ndcg@10"] - base["test ndcg@10"]
    p = metrics.get("p_value_ndcg@10")
    significant = p is not None and p < 0.05
    drop = base.get("tatoeba-th2en recall@1", 0) - tuned.get("tatoeba-th2en recall@1", 0)
    if gain > 0 and significant and drop <= 0.01:
        return (f"The fine-tuned model beats its base on the demo test split (nDCG@10 +{gain:.3f}, p={p:.3g}) and loses "
                f"{max(drop, 0) * 100:.1f} points of tatoeba-th2en Recall@1 (limit 1).")
    reasons = []
    if gain <= 0 or not significant:
        reasons.append(f"nDCG@10 change {gain:+.3f} (p={p if p is not None else 'n/a'}) is not a significant gain")
    if drop > 0.01:
        reasons.append(f"tatoeba-th2en Recall@1 drops {drop * 100:.1f} points (limit 1)")
    return "The fine-tuned model does NOT meet the bar: " + "; ".join(reasons) + ". The base stays the default."


def model_card(out: Path, settings: dict[str, Any], stats: dict[str, Any], metrics: dict[str, Any], summary: str) -> None:
    rows = ["| model | demo test nDCG@10 | tatoeba-th2en Recall@1 |", "|---|---:|---:|"]
    for name in ("base", "fine-tuned"):
        m = metrics[name]
        rows.append(f"| {name} | {m['test ndcg@10']:.3f} | {m.get('tatoeba-th2en recall@1', float('nan')):.3f} |")
    text = "\n".join([
        "# e5-small fine-tuned for Bangkok Innovation Center matching", "",
        "Fine-tuned by `matcher train` from the exported bundled multilingual-e5-small.", "",
        "## Data", "", f"- {stats['triplets']} (challenge, relevant innovator, hard negative) triplets from the demo corpus "
        "train split (grades 1-2 positive; same-theme grade-0 innovators and rejected feedback as hard negatives)"
        + (f", plus feedback from {settings['feedback']}" if settings.get("feedback") else "") + ".", "",
        "## Settings", "", "```json", json.dumps(settings, indent=2, default=str), "```", "",
        "## Training", "", "```json", json.dumps(stats, indent=2), "```", "",
        "## Evaluation (dense retrieval with this model alone, no centering)", "", *rows, "",
        f"Paired t-test on per-query nDCG@10 (demo test split): p = {metrics.get('p_value_ndcg@10')}.", "",
        summary, "", "Use it with `--encoder st:<this directory>`; prompts `query: ` / `passage: `.", ""])
    (out / "README.md").write_text(text, encoding="utf-8")


@handle_errors
def train(base: Path = typer.Option(DEFAULT_BASE, help="Base sentence-transformers directory (exported if missing)"),
          out: Path = typer.Option(DEFAULT_OUT, help="Where to save the fine-tuned model"),
          feedback: Path = typer.Option(None, help="Feedback pairs TSV exported by the service (GET /v1/feedback/export)"),
          epochs: int = typer.Option(1, min=1), batch_size: int = typer.Option(16, min=2),
          learning_rate: float = typer.Option(2e-5), seed: int = typer.Option(42),
          max_seq_length: int = typer.Option(256, min=32, max=512),
          evaluate: bool = typer.Option(True, "--evaluate/--no-evaluate"),
          data_dir: Path = typer.Option(None, "--data-dir")) -> None:
    """Fine-tune e5-small on the labeled pairs (and service feedback), then compare with the base."""
    from eval.cli import git_commit, machine_description
    from matcher.export import export_sentence_transformer

    cache = resolve_settings(data_dir).cache_dir
    if not (base / "modules.json").exists():
        typer.echo(f"exporting the bundled e5-small to {base}", err=True)
        export_sentence_transformer(base)
    triplets = build_triplets(feedback, seed)
    settings = {"base": str(base), "feedback": str(feedback) if feedback else None, "epochs": epochs,
                "batch_size": batch_size, "learning_rate": learning_rate, "seed": seed, "max_seq_length": max_seq_length,
                "loss": "MultipleNegativesRankingLoss", "batch_sampler": "no_duplicates"}
    stats = {"triplets": len(triplets), **fine_tune(base, out, triplets, epochs, batch_size, learning_rate, seed,
                                                     max_seq_length)}
    typer.echo(json.dumps(stats), err=True)
    if not evaluate:
        return
    metrics = compare_models(base, out, cache)
    summary = verdict(metrics)
    model_card(out, settings, stats, metrics, summary)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    block = "\n".join([
        "## Fine-tuning (`matcher train`)", "",
        f"{date}, commit {git_commit()}, {machine_description()}, {stats['device']}, {stats['seconds']} s, "
        f"{stats['triplets']} triplets, seed {seed}.", "",
        "| model (dense alone) | demo test nDCG@10 | tatoeba-th2en Recall@1 |", "|---|---:|---:|",
        *[f"| {n} | {metrics[n]['test ndcg@10']:.3f} | {metrics[n].get('tatoeba-th2en recall@1', float('nan')):.3f} |"
          for n in ("base", "fine-tuned")],
        "", f"Paired t-test p = {metrics.get('p_value_ndcg@10')}. {summary}"])
    update_file(RESULTS, "training", block, append_if_missing=True)
    typer.echo(block)
