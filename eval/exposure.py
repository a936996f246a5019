"""Exposure in the evaluation: `matcher eval` reports it next to quality, `matcher exposure` tunes
the community-group floor (matcher.fair) on the dev split and writes eval/EXPOSURE.md.

The tuning picks, on the dev split only, the FA*IR significance `alpha` and score `margin` that
give the protected groups (matcher.fair.COMMUNITY_KINDS) the most exposure while costing at most
`DEV_BUDGET` nDCG@10 there (half the 0.01 allowed on test, so a setting that only just fits on
dev has room to vary); then the test split is measured once with that setting, and the BEIR
benchmarks check that the re-ranking leaves collections without innovator kinds untouched.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer

from matcher.cli.common import handle_errors, resolve_settings
from matcher.config import RetrievalConfig
from matcher.corpora import PROJECT_ROOT
from matcher.exposure import BrowsingModel, ExposureReport, measure_exposure
from matcher.fair import COMMUNITY_KINDS

from eval.datasets import EvalDataset

REPORT = PROJECT_ROOT / "eval" / "EXPOSURE.md"
README = PROJECT_ROOT / "README.md"
DEV_BUDGET = 0.005
TEST_BUDGET = 0.01
ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5)
MARGINS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
ATTRIBUTES = ("kind", "language")


def attributes_of(dataset: EvalDataset) -> dict[str, dict[str, str | None]] | None:
    """Innovator kind and language of every document, or None when no document has a kind."""
    kinds = {d.key: d.facets.get("kind") for d in dataset.docs}
    if not any(kinds.values()):
        return None
    return {"kind": kinds, "language": {d.key: d.lang for d in dataset.docs}}


def rankings_of(run: Mapping[str, Mapping[str, float]]) -> dict[str, list[str]]:
    return {qid: [d for d, _ in sorted(docs.items(), key=lambda kv: -kv[1])] for qid, docs in run.items()}


def run_exposure(dataset: EvalDataset, run: Mapping[str, Mapping[str, float]],
                 model: BrowsingModel = BrowsingModel()) -> ExposureReport | None:
    attributes = attributes_of(dataset)
    if attributes is None:
        return None
    return measure_exposure(rankings_of(run), dataset.qrels, [d.key for d in dataset.docs], attributes, model)


@dataclass
class FairnessComparison:
    """Quality and exposure of one configuration with the community-group floor off and on."""

    dataset: str
    ndcg_off: float
    ndcg_on: float
    off: ExposureReport
    on: ExposureReport
    alpha: float
    margin: float

    @property
    def cost(self) -> float:
        """nDCG@10 lost by switching the floor on (negative: it gained)."""
        return self.ndcg_off - self.ndcg_on

    def community_share(self, report: ExposureReport) -> float:
        return report.share("kind", COMMUNITY_KINDS)

    def summary(self) -> dict[str, Any]:
        """The few figures `matcher eval` prints: (off, on) pairs and the cost."""
        return {"ndcg@10_cost": round(self.cost, 4), "gini": [round(self.off.gini, 3), round(self.on.gini, 3)],
                "community_share": [round(self.community_share(r), 3) for r in (self.off, self.on)],
                "community_target_share": round(self.off.target("kind", COMMUNITY_KINDS), 3)}

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "protected_kinds": sorted(COMMUNITY_KINDS), "fair_alpha": self.alpha,
                "fair_margin": self.margin, "ndcg@10_off": self.ndcg_off, "ndcg@10_on": self.ndcg_on,
                "ndcg@10_cost": self.cost, "community_exposure_share_off": self.community_share(self.off),
                "community_exposure_share_on": self.community_share(self.on),
                "community_target_share": self.off.target("kind", COMMUNITY_KINDS),
                "off": self.off.to_dict(), "on": self.on.to_dict()}

    def to_markdown(self, heading: str = "##") -> str:
        off, on = self.off, self.on
        lines = [f"{heading} Fair exposure ({self.dataset}; top-{off.model.depth}, weights {off.model.name})", "",
                 f"Community-group floor (matcher.fair, protected: {', '.join(sorted(COMMUNITY_KINDS))}; "
                 f"alpha {self.alpha}, margin {self.margin} standard deviations).", "",
                 "| measure | floor off | floor on |", "|---|---:|---:|",
                 f"| nDCG@10 | {self.ndcg_off:.4f} | {self.ndcg_on:.4f} |",
                 f"| Gini of exposure over innovators (ideal ranking: {off.target_gini:.3f}) | {off.gini:.3f} | {on.gini:.3f} |",
                 f"| community groups' share of exposure (target {off.target('kind', COMMUNITY_KINDS):.3f}) | "
                 f"{self.community_share(off):.3f} | {self.community_share(on):.3f} |", ""]
        for attribute in ATTRIBUTES:
            lines += [f"| {attribute} | share of candidates | share of relevant | target share | exposure off "
                      "| exposure on | off / target | on / target |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
            after = {g.group: g for g in on.groups.get(attribute, [])}
            for g in off.groups.get(attribute, []):
                a = after[g.group]
                lines.append(f"| {g.group} | {g.candidate_share:.3f} | {g.relevant_share:.3f} | {g.target_share:.3f} | "
                             f"{g.exposure_share:.3f} | {a.exposure_share:.3f} | {g.ratio:.2f} | {a.ratio:.2f} |")
            lines.append("")
        lines.append(f"nDCG@10 cost of the floor: {self.cost:+.4f} (bound {TEST_BUDGET}).")
        return "\n".join(lines)


def toggled(config: RetrievalConfig) -> RetrievalConfig:
    return config.model_copy(update={"fair_exposure": not config.fair_exposure})


def counterpart_name(config: RetrievalConfig) -> str:
    return f"evaluated, fair exposure {'off' if config.fair_exposure else 'on'}"


def with_counterpart(configs: dict[str, Any], dataset: EvalDataset, main: str = "evaluated") -> dict[str, Any]:
    """`configs` plus the main configuration with the floor toggled, when the documents have kinds."""
    config = configs.get(main)
    if config is None or attributes_of(dataset) is None:
        return configs
    return {**configs, counterpart_name(config): toggled(config)}


def compare_fairness(evaluation, main: str = "evaluated") -> FairnessComparison | None:
    """From an `Evaluation` holding the main configuration and its counterpart."""
    config = evaluation.results[main].config if main in evaluation.results else None
    other = counterpart_name(config) if config is not None else None
    if other not in evaluation.results:
        return None
    ds = evaluation.dataset
    off, on = (evaluation.results[other], evaluation.results[main]) if config.fair_exposure else \
        (evaluation.results[main], evaluation.results[other])
    off_report, on_report = run_exposure(ds, off.run), run_exposure(ds, on.run)
    if off_report is None or on_report is None:
        return None
    return FairnessComparison(ds.name, float(off.metrics["ndcg@10"]), float(on.metrics["ndcg@10"]), off_report,
                              on_report, config.fair_alpha, config.fair_margin)


# --- tuning and the report -------------------------------------------------------------------

@dataclass
class TuningRow:
    alpha: float
    margin: float
    ndcg: float
    cost: float
    community_share: float
    changed_queries: int


@dataclass
class Tuning:
    """The dev-split grid and the setting it chose."""

    baseline_ndcg: float
    baseline_share: float
    rows: list[TuningRow] = field(default_factory=list)

    @property
    def chosen(self) -> TuningRow | None:
        fitting = [r for r in self.rows if r.cost <= DEV_BUDGET]
        return max(fitting, key=lambda r: (round(r.community_share, 6), -r.alpha, -r.margin)) if fitting else None

    def to_markdown(self) -> str:
        lines = [f"Without the floor: nDCG@10 {self.baseline_ndcg:.4f}, community groups' exposure share "
                 f"{self.baseline_share:.3f}.", "",
                 "| alpha | margin (sd) | nDCG@10 | cost | community exposure share | queries changed |",
                 "|---:|---:|---:|---:|---:|---:|"]
        chosen = self.chosen
        for r in self.rows:
            mark = " **chosen**" if r is chosen else ""
            lines.append(f"| {r.alpha} | {r.margin} | {r.ndcg:.4f} | {r.cost:+.4f} | {r.community_share:.3f} | "
                         f"{r.changed_queries}{mark} |")
        return "\n".join(lines)


def _ndcg(dataset: EvalDataset, run: Mapping[str, Mapping[str, float]]) -> float:
    from eval.metrics import ranx_scores

    return float(ranx_scores(dataset.qrels, run, ["ndcg@10"])["ndcg@10"])


def _top(run: Mapping[str, Mapping[str, float]], depth: int = 10) -> dict[str, list[str]]:
    return {q: ranked[:depth] for q, ranked in rankings_of(run).items()}


def tune(dataset: EvalDataset, base: RetrievalConfig, cache_dir: Path | None, show_progress: bool | None) -> Tuning:
    """Rank the dev split once per grid point (the index is built once)."""
    from tqdm.auto import tqdm

    from matcher.encoders.base import show_progress_default

    from eval.evaluation import index_dataset

    indexed = index_dataset(dataset, base.encoder_ids, cache_dir, show_progress)
    indexed.use_hubness(base.hubness_k)

    def rank(config: RetrievalConfig) -> dict[str, dict[str, float]]:
        return {eq.id: {h.key: h.score for h in indexed.collection.search(q, 100, config, explain=False)}
                for eq, q in zip(dataset.queries, indexed.queries)}

    off = base.model_copy(update={"fair_exposure": False})
    baseline = rank(off)
    baseline_top = _top(baseline)
    report = run_exposure(dataset, baseline)
    tuning = Tuning(_ndcg(dataset, baseline), report.share("kind", COMMUNITY_KINDS) if report else float("nan"))
    grid = [(a, m) for a in ALPHAS for m in MARGINS]
    for alpha, margin in tqdm(grid, desc="tune fair exposure [dev]", disable=not show_progress_default(show_progress)):
        run = rank(off.model_copy(update={"fair_exposure": True, "fair_alpha": alpha, "fair_margin": margin}))
        ndcg = _ndcg(dataset, run)
        exposure = run_exposure(dataset, run)
        changed = sum(1 for q, top in _top(run).items() if top != baseline_top[q])
        tuning.rows.append(TuningRow(alpha, margin, ndcg, tuning.baseline_ndcg - ndcg,
                                     exposure.share("kind", COMMUNITY_KINDS) if exposure else float("nan"), changed))
    return tuning


@dataclass
class BenchmarkCheck:
    name: str
    ndcg_off: float
    ndcg_on: float
    identical: bool


def check_benchmarks(root: Path, config: RetrievalConfig, cache_dir: Path | None,
                     show_progress: bool | None) -> list[BenchmarkCheck]:
    """The floor on BEIR folders (no innovator kinds): same runs with it on and off."""
    from eval.datasets import from_beir
    from eval.evaluation import evaluate
    from eval.results import beir_folders

    checks = []
    for folder in beir_folders(root) if root.is_dir() else []:
        dataset = from_beir(folder)
        evaluation = evaluate(dataset, {"off": config.model_copy(update={"fair_exposure": False}),
                                        "on": config.model_copy(update={"fair_exposure": True})},
                              cache_dir, 100, show_progress, compare=False)
        off, on = evaluation.results["off"], evaluation.results["on"]
        checks.append(BenchmarkCheck(folder.name, off.metrics["ndcg@10"], on.metrics["ndcg@10"], off.run == on.run))
    return checks


def render_report(tuning: Tuning, comparison: FairnessComparison, checks: list[BenchmarkCheck],
                  header: Mapping[str, str], shipped: RetrievalConfig) -> tuple[str, str]:
    """(eval/EXPOSURE.md, the README block)."""
    chosen = tuning.chosen
    within = comparison.cost <= TEST_BUDGET
    agrees = shipped.fair_exposure == within and chosen is not None and \
        (shipped.fair_alpha, shipped.fair_margin) == (chosen.alpha, chosen.margin)
    verdict = (f"The test cost {comparison.cost:+.4f} is {'within' if within else 'over'} the {TEST_BUDGET} bound, so "
               f"the floor {'is' if within else 'is not'} meant to be on by default. The shipped default "
               f"(`RetrievalConfig().fair_exposure = {shipped.fair_exposure}`, alpha {shipped.fair_alpha}, "
               f"margin {shipped.fair_margin}) {'agrees with' if agrees else 'DISAGREES with'} this measurement.")
    lines = ["# Fair exposure", "", "Generated by `matcher exposure`; do not edit by hand.", ""]
    lines += [f"- {k}: {v}" for k, v in header.items()]
    lines += ["", "Exposure is the attention a position-based reader gives each place of the top-10 "
              "(1/log2(1+rank), the nDCG discount), summed over the split's challenges; the *target* is what the "
              "ideal stochastic ranking (judged grade tiers, shuffled within a tier) would give. A ratio above 1 "
              "is exposure the judgments do not justify. Gini is over all 1,260 innovators (never shown = 0).", "",
              f"## Tuning on the dev split (budget {DEV_BUDGET} nDCG@10)", "", tuning.to_markdown(), ""]
    if chosen is None:
        lines += ["No setting fits the dev budget.", ""]
    lines += [comparison.to_markdown("##"), "", verdict, ""]
    if checks:
        lines += ["## BEIR benchmarks (no innovator kinds: the floor must be a no-op)", "",
                  "| benchmark | nDCG@10 off | nDCG@10 on | identical runs |", "|---|---:|---:|---|"]
        lines += [f"| {c.name} | {c.ndcg_off:.4f} | {c.ndcg_on:.4f} | {'yes' if c.identical else 'NO'} |" for c in checks]
        lines.append("")
    off, on = comparison.off, comparison.on
    block = [f"Measured by `matcher exposure` ({header.get('date', '')}, commit {header.get('commit', '')}); "
             f"details in `eval/EXPOSURE.md`. BIC test split, top-10:", "",
             "| measure | floor off | floor on |", "|---|---:|---:|",
             f"| nDCG@10 | {comparison.ndcg_off:.4f} | {comparison.ndcg_on:.4f} |",
             f"| Gini of exposure over innovators | {off.gini:.3f} | {on.gini:.3f} |",
             f"| community groups' exposure share (target {off.target('kind', COMMUNITY_KINDS):.3f}) | "
             f"{comparison.community_share(off):.3f} | {comparison.community_share(on):.3f} |", ""]
    block += ["| kind | target share | exposure off | exposure on |", "|---|---:|---:|---:|"]
    after = {g.group: g for g in on.groups["kind"]}
    block += [f"| {g.group} | {g.target_share:.3f} | {g.exposure_share:.3f} | {after[g.group].exposure_share:.3f} |"
              for g in off.groups["kind"]]
    block += ["", f"Tuned on dev: alpha {chosen.alpha if chosen else '-'}, margin {chosen.margin if chosen else '-'}. "
              + verdict]
    if checks:
        block.append("BEIR benchmarks: " + ("identical runs with the floor on and off on all "
                                            f"{len(checks)}." if all(c.identical for c in checks)
                                            else "runs DIFFER on " + ", ".join(c.name for c in checks if not c.identical)))
    return "\n".join(lines) + "\n", "\n".join(block)


@handle_errors
def exposure(
    benchmarks: Path = typer.Option(PROJECT_ROOT.parent / "shared" / "benchmarks", help="BEIR folders to check (no-op)"),
    skip_benchmarks: bool = typer.Option(False, "--skip-benchmarks", help="Do not run the BEIR no-op check"),
    out: Path = typer.Option(REPORT, help="Report file"),
    readme: bool = typer.Option(True, "--readme/--no-readme", help="Update the README's exposure block"),
    progress: bool = typer.Option(None, "--progress/--no-progress"),
    data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (embedding cache)"),
) -> None:
    """Tune the community-group floor on dev, measure exposure and quality on test -> eval/EXPOSURE.md."""
    from eval.cli import git_commit, machine_description
    from eval.datasets import load_dataset
    from eval.evaluation import evaluate
    from eval.markers import update_file

    started = time.perf_counter()
    settings = resolve_settings(data_dir)
    shipped = RetrievalConfig()
    tuning = tune(load_dataset("dev"), shipped, settings.cache_dir, progress)
    chosen = tuning.chosen
    tuned = shipped.model_copy(update={"fair_exposure": True, **({"fair_alpha": chosen.alpha, "fair_margin": chosen.margin}
                                                                 if chosen else {})})
    test = load_dataset("test")
    evaluation = evaluate(test, {"evaluated": tuned, counterpart_name(tuned): toggled(tuned)}, settings.cache_dir,
                          100, progress, compare=False)
    comparison = compare_fairness(evaluation)
    checks = [] if skip_benchmarks else check_benchmarks(benchmarks, tuned, settings.cache_dir, progress)
    header = {"date": datetime.now(timezone.utc).date().isoformat(), "commit": git_commit(),
              "machine": machine_description(), "minutes": f"{(time.perf_counter() - started) / 60:.1f}"}
    text, block = render_report(tuning, comparison, checks, header, shipped)
    out.write_text(text, encoding="utf-8")
    if readme:
        update_file(README, "exposure", block)
    typer.echo(f"wrote {out}: test nDCG@10 cost {comparison.cost:+.4f}, community exposure share "
               f"{comparison.community_share(comparison.off):.3f} -> {comparison.community_share(comparison.on):.3f}, "
               f"Gini {comparison.off.gini:.3f} -> {comparison.on.gini:.3f}")
