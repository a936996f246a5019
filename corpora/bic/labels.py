"""From judgments to labels: second and third judging rounds, agreement, final grades, splits.

    python corpora/bic/labels.py second [--shards 8]   # packets for the second judge
    python corpora/bic/labels.py third                 # packets for the adjudicator (disagreements)
    python corpora/bic/labels.py finalize              # pairs.tsv, parts.tsv, agreement.json

Rounds (TREC-style, see briefs/judge-rubric.md): every pooled pair is judged once (`first-*.tsv`);
a second, independent judge grades a seeded fifth of all pairs plus every pair the first judge
graded 2 (`second-*.tsv`); a third judge grades the pairs on which the two disagree
(`third-*.tsv`). Final grade: the agreed grade, else the adjudicator's, else the lower of the two.
Splits are by challenge, with near-duplicate challenges (cosine >= 0.92 under both bundled
encoders) kept in one split: about 60% train, 20% dev, 20% test.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
JUDGING = HERE / "judging"
sys.path.insert(0, str(HERE.parent.parent))

SEED = 20261202
SECOND_SHARE = 0.2
NEAR_DUPLICATE = 0.92


def read_pool() -> dict[str, tuple[str, str]]:
    with open(JUDGING / "pool.tsv", encoding="utf-8") as fh:
        return {row["pair_id"]: (row["challenge_id"], row["innovator_id"]) for row in csv.DictReader(fh, delimiter="\t")}


def read_round(prefix: str, only: list[str] | None = None) -> dict[str, dict[str, str]]:
    """pair id -> {grade, parts, note} from every `<prefix>-*.tsv` (or only `<prefix>-<n>.tsv` for
    the given n); malformed lines are reported."""
    out: dict[str, dict[str, str]] = {}
    paths = sorted((JUDGING / "judgments").glob(f"{prefix}-*.tsv"))
    if only is not None:
        paths = [p for p in paths if p.stem.split("-", 1)[1] in only]
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            fields = line.split("\t")
            if number == 1 and fields[0] == "pair_id":
                continue
            if len(fields) < 2 or fields[1].strip() not in ("0", "1", "2"):
                if line.strip():
                    print(f"{path.name}:{number}: ignored malformed line {line[:80]!r}", file=sys.stderr)
                continue
            out[fields[0].strip()] = {"grade": fields[1].strip(), "parts": fields[2].strip() if len(fields) > 2 else "",
                                      "note": fields[3].strip() if len(fields) > 3 else ""}
    return out


def write_packets(prefix: str, pair_ids: list[str], shards: int) -> list[int]:
    """Judging packets for a subset of pairs, rendered exactly like the first round's."""
    from matcher.corpora import load_challenges, load_innovators

    from pool import render_challenge, render_innovator  # noqa: E402  (same folder)

    pool = read_pool()
    challenges = {c.id: c for c in load_challenges(HERE / "challenges.jsonl")}
    innovators = {i.id: i for i in load_innovators(HERE / "innovators.jsonl")}
    meta = {m["id"]: m for m in map(json.loads, (HERE / "meta.jsonl").read_text("utf-8").splitlines())}
    groups: dict[str, list[str]] = defaultdict(list)
    for pid in pair_ids:
        groups[pool[pid][0]].append(pid)
    rng = random.Random(SEED + len(prefix))
    order = sorted(groups)
    rng.shuffle(order)
    buckets: list[list[str]] = [[] for _ in range(shards)]
    loads = [0] * shards
    for cid in sorted(order, key=lambda c: -len(groups[c])):
        target = loads.index(min(loads))
        buckets[target].append(cid)
        loads[target] += len(groups[cid])
    (JUDGING / "packets").mkdir(parents=True, exist_ok=True)
    for n, bucket in enumerate(buckets, start=1):
        lines = [f"# Judging packet {prefix}-{n:02d}", "", f"{loads[n - 1]} pairs. Follow `corpora/bic/briefs/judge-rubric.md`.", ""]
        for cid in bucket:
            lines += [f"## Challenge {cid}", "", render_challenge(challenges[cid], meta[cid]["parts"]), "",
                      "### Candidate innovators", ""]
            pids = groups[cid]
            rng.shuffle(pids)
            for pid in pids:
                lines += [f"- [{pid}] " + render_innovator(innovators[pool[pid][1]]), ""]
        (JUDGING / "packets" / f"{prefix}-{n:02d}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return loads


def sampled_for_second(pair_id: str) -> bool:
    """A seeded fifth of all pairs, decided per pair (so rounds can run in batches)."""
    return int(hashlib.sha256(f"{SEED}:{pair_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < SECOND_SHARE


def second(shards: int, batch: str, only: list[str] | None) -> None:
    first = read_round("first", only)
    chosen = {pid for pid, j in first.items() if j["grade"] == "2" or sampled_for_second(pid)}
    loads = write_packets(f"second{batch}", sorted(chosen), shards)
    print(json.dumps({"first": len(first), "second": len(chosen), "shards": loads}))


def third(shards: int, batch: str, only: list[str] | None) -> None:
    first, second_round, done = read_round("first"), read_round("second", only), read_round("third")
    disputed = sorted(pid for pid in second_round
                      if pid in first and first[pid]["grade"] != second_round[pid]["grade"] and pid not in done)
    print(json.dumps({"disputed": len(disputed), "shards": write_packets(f"third{batch}", disputed, shards)}))


def _split_of(group_key: str) -> str:
    value = int(hashlib.sha256(group_key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "train" if value < 0.6 else ("dev" if value < 0.8 else "test")


def near_duplicate_groups(challenge_ids: list[str]) -> dict[str, str]:
    """challenge id -> group key (the smallest id of its near-duplicate component)."""
    import numpy as np

    from matcher.corpora import load_challenges
    from matcher.encoders import get_encoder

    texts = {c.id: c.search_text() for c in load_challenges(HERE / "challenges.jsonl")}
    ids = [c for c in challenge_ids if c in texts]
    sims = None
    for eid in ("e5-small+center", "use-m3+center"):
        vectors = get_encoder(eid).encode_documents([texts[c] for c in ids])
        s = vectors @ vectors.T
        sims = s if sims is None else np.minimum(sims, s)
    parent = {c: c for c in ids}

    def find(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for i, j in zip(*np.nonzero(np.triu(sims >= NEAR_DUPLICATE, k=1))):
        a, b = find(ids[i]), find(ids[j])
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {c: find(c) for c in ids}


def finalize() -> None:
    from sklearn.metrics import cohen_kappa_score

    pool = read_pool()
    first, second_round, third_round = read_round("first"), read_round("second"), read_round("third")
    both = sorted(pid for pid in second_round if pid in first)
    a = [int(first[p]["grade"]) for p in both]
    b = [int(second_round[p]["grade"]) for p in both]
    agreement = {
        "pooled_pairs": len(pool), "judged_by_first": len(first), "judged_by_second": len(both),
        "adjudicated": sum(1 for p in both if p in third_round and first[p]["grade"] != second_round[p]["grade"]),
        "exact_agreement": sum(x == y for x, y in zip(a, b)) / len(both) if both else None,
        "cohen_kappa": cohen_kappa_score(a, b) if both else None,
        "cohen_kappa_linear": cohen_kappa_score(a, b, weights="linear") if both else None,
        "cohen_kappa_binary_relevant": cohen_kappa_score([x > 0 for x in a], [y > 0 for y in b]) if both else None,
    }
    final: dict[str, int] = {}
    for pid, judgment in first.items():
        grade = int(judgment["grade"])
        if pid in second_round and second_round[pid]["grade"] != judgment["grade"]:
            other = int(second_round[pid]["grade"])
            grade = int(third_round[pid]["grade"]) if pid in third_round else min(grade, other)
        final[pid] = grade
    groups = near_duplicate_groups(sorted({pool[p][0] for p in final}))
    with open(HERE / "pairs.tsv", "w", encoding="utf-8") as fh:
        fh.write("challenge_id\tinnovator_id\tgrade\tsplit\n")
        for pid in sorted(final, key=lambda p: pool[p]):
            cid, iid = pool[pid]
            fh.write(f"{cid}\t{iid}\t{final[pid]}\t{_split_of(groups.get(cid, cid))}\n")
    with open(HERE / "parts.tsv", "w", encoding="utf-8") as fh:
        fh.write("challenge_id\tinnovator_id\tparts\n")
        for pid in sorted(final, key=lambda p: pool[p]):
            parts = (third_round.get(pid) or first[pid])["parts"]
            if final[pid] > 0 and parts:
                fh.write(f"{pool[pid][0]}\t{pool[pid][1]}\t{parts}\n")
    grades = defaultdict(int)
    for g in final.values():
        grades[g] += 1
    agreement["final_grades"] = dict(sorted(grades.items()))
    agreement["near_duplicate_groups"] = sum(1 for c, g in groups.items() if c != g)
    (JUDGING / "agreement.json").write_text(json.dumps(agreement, indent=2) + "\n", encoding="utf-8")
    write_datasheet_block(agreement)
    print(json.dumps(agreement))


def write_datasheet_block(agreement: dict) -> None:
    """The agreement paragraph of README.md (between its agreement markers), from agreement.json."""
    from eval.markers import update_file

    grades = agreement["final_grades"]
    block = (f"**Agreement** (generated by `labels.py finalize`): {agreement['pooled_pairs']:,} pooled pairs, all judged "
             f"once; {agreement['judged_by_second']:,} judged again by a second, independent judge (a seeded fifth plus "
             f"every pair first graded 2): exact agreement {agreement['exact_agreement']:.1%}, Cohen's kappa "
             f"{agreement['cohen_kappa']:.3f} (linear-weighted {agreement['cohen_kappa_linear']:.3f}; relevant vs not "
             f"{agreement['cohen_kappa_binary_relevant']:.3f}); {agreement['adjudicated']} disagreements decided by a "
             f"third judge. Final grades: {grades.get('2', grades.get(2, 0)):,} × 2, {grades.get('1', grades.get(1, 0)):,} × 1, "
             f"{grades.get('0', grades.get(0, 0)):,} × 0. The second judges saw mostly pairs the first judge found relevant, "
             f"which makes this agreement a stricter test than a uniform sample would be.")
    update_file(HERE / "README.md", "agreement", block)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["second", "third", "finalize"])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--batch", default="", help="suffix of the packet names, e.g. a (second-a-01.md)")
    parser.add_argument("--only", default=None, help="previous-round files to draw from, e.g. 01,02 or a-01,a-02")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    batch = f"-{args.batch}" if args.batch else ""
    only = args.only.split(",") if args.only else None
    {"second": lambda: second(args.shards, batch, only), "third": lambda: third(args.shards, batch, only),
     "finalize": finalize}[args.step]()


if __name__ == "__main__":
    main()
