"""`matcher consortium-eval`: proposed teams against single innovators on the multi-part challenges
of the BIC corpus, judged per part -> eval/CONSORTIUM.md (and the README block).

The judges named, for every relevant pair of a multi-part challenge, which of the author's parts
(`meta.jsonl` `parts`, numbered from 1 in the judging packets) the innovator addresses
(`parts.tsv`). A set of innovators covers the parts any of them addresses; coverage is covered
parts / parts. An innovator nobody judged for the challenge (the pool held each system's top-10
for the whole text) covers nothing here, so teams that reach beyond the judged pool are
under-credited; the report counts such members. One setting is chosen here, on the train and dev
challenges only: how deep in the challenge's own ranking team members may come from (`POOLS`);
the splitter's and the greedy search's other constants are fixed in matcher/consortium.py.

Compared, per challenge:
- the proposed team (the first of `consortia_for`; the best single innovator when no team adds enough),
- the matcher's top-1 innovator for the whole text, and the best single among its top-10 (what a
  reader of the list could pick at best),
- the plain top-n of the ranking, n the team's size (a team without the set cover),
- the best single innovator and the best team of up to 3 among all judged ones (upper bounds).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import typer

from matcher.cli.common import handle_errors, resolve_settings
from matcher.corpora import MAIN_DIR, PROJECT_ROOT

REPORT = PROJECT_ROOT / "eval" / "CONSORTIUM.md"
README = PROJECT_ROOT / "README.md"
POOLS = (10, 20, 30, 50)
TUNING_SPLITS = ("train", "dev")


@dataclass
class PartJudgments:
    """The author's parts of one challenge and the parts each judged innovator addresses (1-based)."""

    challenge_id: str
    split: str
    parts: list[str]
    addresses: dict[str, set[int]]

    def coverage(self, innovators: Sequence[str]) -> float:
        covered = set().union(*(self.addresses.get(i, set()) for i in innovators)) if innovators else set()
        return len(covered & set(range(1, len(self.parts) + 1))) / len(self.parts)

    def best_single(self) -> float:
        return max((self.coverage([i]) for i in self.addresses), default=0.0)

    def best_team(self, size: int = 3) -> float:
        judged = list(self.addresses)
        return max((self.coverage(list(t)) for n in range(1, size + 1) for t in itertools.combinations(judged, n)),
                   default=0.0)


def load_part_judgments(directory: Path = MAIN_DIR) -> list[PartJudgments]:
    """Multi-part challenges (parts in meta.jsonl) with their per-part judgments."""
    import json

    meta = [json.loads(line) for line in (directory / "meta.jsonl").read_text(encoding="utf-8").splitlines() if line]
    split_of: dict[str, str] = {}
    for line in (directory / "pairs.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cid, _iid, _grade, split = line.split("\t")
        split_of[cid] = split
    addresses: dict[str, dict[str, set[int]]] = defaultdict(dict)
    for line in (directory / "parts.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cid, iid, parts = line.split("\t")
        addresses[cid][iid] = {int(p) for p in parts.split(",") if p.strip()}
    return [PartJudgments(m["id"], split_of.get(m["id"], "?"), list(m["parts"]), addresses.get(m["id"], {}))
            for m in meta if m.get("side") == "challenges" and m.get("parts")]


@dataclass
class ChallengeOutcome:
    challenge_id: str
    split: str
    parts: int
    needs: int
    team_size: int
    team: float
    top1: float
    best_of_top10: float
    plain_top_n: float
    oracle_single: float
    oracle_team: float
    unjudged_members: int


@dataclass
class ConsortiumEvaluation:
    outcomes: list[ChallengeOutcome] = field(default_factory=list)

    def mean(self, attribute: str, split: str | None = None) -> float:
        rows = [o for o in self.outcomes if split is None or o.split == split]
        return sum(getattr(o, attribute) for o in rows) / len(rows) if rows else float("nan")

    def wins(self, baseline: str) -> tuple[int, int, int]:
        """(team better, equal, worse) against a baseline, counted over challenges."""
        better = sum(o.team > getattr(o, baseline) + 1e-9 for o in self.outcomes)
        worse = sum(o.team < getattr(o, baseline) - 1e-9 for o in self.outcomes)
        return better, len(self.outcomes) - better - worse, worse

    COLUMNS = (("team", "proposed team"), ("top1", "top-1 single"), ("best_of_top10", "best single of the top-10"),
               ("plain_top_n", "plain top-n (n = team size)"), ("oracle_single", "best judged single (bound)"),
               ("oracle_team", "best judged team of <= 3 (bound)"))

    def to_markdown(self) -> str:
        splits = sorted({o.split for o in self.outcomes})
        lines = ["| coverage of the judged parts | all | " + " | ".join(splits) + " |",
                 "|---|---:|" + "---:|" * len(splits)]
        counts = {s: sum(o.split == s for o in self.outcomes) for s in splits}
        lines.append(f"| challenges | {len(self.outcomes)} | " + " | ".join(str(counts[s]) for s in splits) + " |")
        for attribute, label in self.COLUMNS:
            lines.append(f"| {label} | {self.mean(attribute):.3f} | "
                         + " | ".join(f"{self.mean(attribute, s):.3f}" for s in splits) + " |")
        lines += ["", "| team against | better | equal | worse |", "|---|---:|---:|---:|"]
        for attribute, label in self.COLUMNS[1:4]:
            b, e, w = self.wins(attribute)
            lines.append(f"| {label} | {b} | {e} | {w} |")
        sizes = defaultdict(int)
        for o in self.outcomes:
            sizes[o.team_size] += 1
        members = sum(o.team_size for o in self.outcomes)
        unjudged = sum(o.unjudged_members for o in self.outcomes)
        lines += ["", f"Team sizes: {', '.join(f'{n} members x {c}' for n, c in sorted(sizes.items()))}; "
                      f"needs found by the splitter per challenge: {self.mean('needs'):.1f} (author parts: "
                      f"{self.mean('parts'):.1f}); members never judged for their challenge: {unjudged} of {members} "
                      "(they count as covering nothing)."]
        return "\n".join(lines)


def evaluate_consortia(engine, judgments: Sequence[PartJudgments], pool: int,
                       ranked: Mapping[str, list[str]]) -> ConsortiumEvaluation:
    """Each challenge's first proposed team (candidates: its top `pool`) against the baselines;
    `ranked`: each challenge's top-10 for the whole text."""
    from matcher.consortium import consortia_for

    result = ConsortiumEvaluation()
    for pj in judgments:
        suggestion = consortia_for(engine, pj.challenge_id, n_teams=1, pool=pool)
        top = ranked[pj.challenge_id]
        team = suggestion.teams[0].ids if suggestion.teams else \
            ([suggestion.best_single.innovator_id] if suggestion.best_single else [])
        result.outcomes.append(ChallengeOutcome(
            pj.challenge_id, pj.split, len(pj.parts), len(suggestion.needs), len(team), pj.coverage(team),
            pj.coverage(top[:1]), max((pj.coverage([i]) for i in top), default=0.0),
            pj.coverage(top[:max(1, len(team))]), pj.best_single(), pj.best_team(),
            sum(1 for i in team if i not in pj.addresses)))
    return result


def corpus_engine(cache_dir: Path | None, show_progress: bool | None = None):
    """The BIC corpus in an in-memory engine (the same build path as `matcher index`, not saved)."""
    from matcher.corpora import load_corpus
    from matcher.documents import challenge_doc, innovator_doc
    from matcher.engine import MatchEngine

    corpus = load_corpus(MAIN_DIR)
    engine = MatchEngine(cache_dir=cache_dir)
    engine.build("challenges", [challenge_doc(c) for c in corpus.challenges], show_progress)
    engine.build("innovators", [innovator_doc(i) for i in corpus.innovators], show_progress)
    engine.refresh_hubness()
    return engine


def render(evaluation: ConsortiumEvaluation, sweep: Mapping[int, ConsortiumEvaluation], chosen: int,
           shipped: int, header: Mapping[str, str]) -> tuple[str, str]:
    """(eval/CONSORTIUM.md, README block)."""
    b, e, w = evaluation.wins("best_of_top10")
    verdict = (f"The proposed team covers {evaluation.mean('team'):.3f} of the judged parts on average, the best "
               f"single innovator of the matcher's top-10 {evaluation.mean('best_of_top10'):.3f} and its top-1 "
               f"{evaluation.mean('top1'):.3f}; the team beats the best single of the top-10 on {b} of "
               f"{len(evaluation.outcomes)} challenges, ties on {e}, loses on {w}.")
    agrees = "agrees with" if shipped == chosen else "DISAGREES with"
    text = ["# Consortium suggestions", "", "Generated by `matcher consortium-eval`; do not edit by hand.", ""]
    text += [f"- {k}: {v}" for k, v in header.items()]
    text += ["", "Multi-part challenges of the BIC corpus, coverage = judged parts covered / author parts "
             "(`corpora/bic/parts.tsv`).", "",
             f"## Candidate depth, chosen on the {' and '.join(TUNING_SPLITS)} challenges", "",
             "| members from the top | team coverage (" + "+".join(TUNING_SPLITS) + ") | team coverage (test) |",
             "|---:|---:|---:|"]
    for pool, ev in sweep.items():
        tuning = [o for o in ev.outcomes if o.split in TUNING_SPLITS]
        mark = " **chosen**" if pool == chosen else ""
        text.append(f"| {pool}{mark} | {sum(o.team for o in tuning) / max(1, len(tuning)):.3f} | "
                    f"{ev.mean('team', 'test'):.3f} |")
    text += ["", f"Shipped `matcher.consortium.POOL = {shipped}` {agrees} this choice.", "",
             f"## With members from the top {chosen}", "", evaluation.to_markdown(), "", verdict, "",
             "## Per challenge", "", "| challenge | split | parts | needs | team size | team | top-1 | best of top-10 | "
             "plain top-n | judged single | judged team |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    text += [f"| {o.challenge_id} | {o.split} | {o.parts} | {o.needs} | {o.team_size} | {o.team:.2f} | {o.top1:.2f} | "
             f"{o.best_of_top10:.2f} | {o.plain_top_n:.2f} | {o.oracle_single:.2f} | {o.oracle_team:.2f} |"
             for o in evaluation.outcomes]
    block = [f"Measured by `matcher consortium-eval` ({header.get('date', '')}, commit {header.get('commit', '')}) on "
             f"the {len(evaluation.outcomes)} multi-part challenges, members from each challenge's top {chosen} "
             f"(chosen on {' and '.join(TUNING_SPLITS)}; details in `eval/CONSORTIUM.md`):", "",
             evaluation.to_markdown(), "", verdict]
    return "\n".join(text) + "\n", "\n".join(block)


@handle_errors
def consortium_eval(
    out: Path = typer.Option(REPORT, help="Report file"),
    readme: bool = typer.Option(True, "--readme/--no-readme", help="Update the README's consortium block"),
    progress: bool = typer.Option(None, "--progress/--no-progress"),
    data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (embedding cache)"),
) -> None:
    """Teams against single innovators on the judged multi-part challenges -> eval/CONSORTIUM.md."""
    from tqdm.auto import tqdm

    from matcher.consortium import POOL
    from matcher.encoders.base import show_progress_default

    from eval.cli import git_commit, machine_description
    from eval.markers import update_file

    started = time.perf_counter()
    settings = resolve_settings(data_dir)
    engine = corpus_engine(settings.cache_dir, progress)
    judgments = load_part_judgments()
    ranked = {pj.challenge_id: [h.key for h in engine.match_challenge(pj.challenge_id, 10, floor=False)]
              for pj in judgments}
    sweep = {pool: evaluate_consortia(engine, judgments, pool, ranked)
             for pool in tqdm(POOLS, desc="consortia", disable=not show_progress_default(progress))}

    def tuning_score(pool: int) -> float:
        rows = [o.team for o in sweep[pool].outcomes if o.split in TUNING_SPLITS]
        return sum(rows) / max(1, len(rows))

    chosen = max(POOLS, key=lambda p: (round(tuning_score(p), 6), -p))
    evaluation = sweep[chosen]
    header = {"date": datetime.now(timezone.utc).date().isoformat(), "commit": git_commit(),
              "machine": machine_description(), "minutes": f"{(time.perf_counter() - started) / 60:.1f}"}
    text, block = render(evaluation, sweep, chosen, POOL, header)
    out.write_text(text, encoding="utf-8")
    if readme:
        update_file(README, "consortium", block)
    typer.echo(f"wrote {out}: members from the top {chosen}; team {evaluation.mean('team'):.3f}, best single of the "
               f"top-10 {evaluation.mean('best_of_top10'):.3f}, top-1 {evaluation.mean('top1'):.3f}")
