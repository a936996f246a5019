"""Pool candidate pairs from several different systems and write blind judging packets.

    python corpora/bic/pool.py [--shards 8] [--reverse 120]

TREC-style pooling: for every challenge, the top-10 innovators of each of four systems (BM25,
e5-small alone, USE-m3 alone, the matcher's default hybrid); for a sample of innovators, the
top-10 challenges of the same systems (the other direction). The union is judged. Packets show
each pair under an opaque id, candidates in a seeded random order, and never which system (or
how many) proposed it. `judging/pool.tsv` keeps that provenance for the analysis only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

DEPTH = 10
SEED = 20261202
MAX_PROFILE = 380
MAX_SOLUTION = 170
MAX_CHALLENGE = 2500
"""Judges read thousands of candidates: profiles are shown shortened (a solution's title, TRL and
the start of its description), challenges nearly whole."""


def pair_id(challenge_id: str, innovator_id: str) -> str:
    return "p" + hashlib.sha256(f"{challenge_id}\x00{innovator_id}".encode("utf-8")).hexdigest()[:10]


def systems():
    from matcher.config import DenseComponent, RetrievalConfig

    return {"bm25": RetrievalConfig(mode="lexical"),
            "e5-small": RetrievalConfig(mode="dense", dense=[DenseComponent(encoder="e5-small")]),
            "use-m3": RetrievalConfig(mode="dense", dense=[DenseComponent(encoder="use-m3")]),
            "default": RetrievalConfig()}


def render_innovator(inv) -> str:
    lines = [f"**{inv.name}** ({inv.kind}) " + inv.description[:MAX_PROFILE] + ("…" if len(inv.description) > MAX_PROFILE else "")]
    for n, s in enumerate(inv.solutions, start=1):
        desc = s.description[:MAX_SOLUTION] + ("…" if len(s.description) > MAX_SOLUTION else "")
        lines.append(f"  {n}. {s.title} (TRL {s.trl}): {desc}")
    return "\n".join(lines)


def render_challenge(ch, parts: list[str]) -> str:
    text = ch.description[:MAX_CHALLENGE] + ("…" if len(ch.description) > MAX_CHALLENGE else "")
    out = f"**{ch.title}** (posted by {ch.agency}; district: {ch.district or '-'}; status: {ch.status})\n{text}"
    if parts:
        out += "\nParts of this challenge: " + "; ".join(f"[{i}] {p}" for i, p in enumerate(parts, start=1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--reverse", type=int, default=120, help="innovators pooled in the other direction")
    args = parser.parse_args()

    from matcher.collection import Collection
    from matcher.corpora import load_challenges, load_innovators
    from matcher.documents import challenge_doc, innovator_doc
    from matcher.encoders import get_encoder

    challenges = load_challenges(HERE / "challenges.jsonl")
    innovators = load_innovators(HERE / "innovators.jsonl")
    meta = {m["id"]: m for m in map(json.loads, (HERE / "meta.jsonl").read_text("utf-8").splitlines())}
    configs = systems()
    encoder_ids = sorted({e for c in configs.values() if c.mode != "lexical" for e in c.encoder_ids})
    cache = HERE.parent.parent / "data" / "cache"
    encoders = {e: get_encoder(e, cache) for e in encoder_ids}
    inv_docs = [innovator_doc(i) for i in innovators]
    ch_docs = [challenge_doc(c) for c in challenges]
    inv_col = Collection.build("innovators", inv_docs, encoders, "flat", show_progress=True)
    ch_col = Collection.build("challenges", ch_docs, encoders, "flat", show_progress=True)

    proposed: dict[tuple[str, str], set[str]] = defaultdict(set)
    directions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, config in configs.items():
        for ch in challenges:
            q = ch_col.query_for(ch.id, config.encoder_ids if config.mode != "lexical" else [])
            for hit in inv_col.search(q, DEPTH, config, explain=False):
                proposed[(ch.id, hit.key)].add(name)
                directions[(ch.id, hit.key)].add("c2i")
    rng = random.Random(SEED)
    by_author: dict[str, list[str]] = defaultdict(list)
    for inv in innovators:
        by_author[meta[inv.id]["author"]].append(inv.id)
    reverse_ids: list[str] = []
    per_author = max(1, args.reverse // max(1, len(by_author)))
    for author in sorted(by_author):
        reverse_ids += rng.sample(by_author[author], min(per_author, len(by_author[author])))
    for name, config in configs.items():
        for iid in reverse_ids:
            q = inv_col.query_for(iid, config.encoder_ids if config.mode != "lexical" else [])
            for hit in ch_col.search(q, DEPTH, config, explain=False):
                proposed[(hit.key, iid)].add(name)
                directions[(hit.key, iid)].add("i2c")

    judging = HERE / "judging"
    (judging / "packets").mkdir(parents=True, exist_ok=True)
    with open(judging / "pool.tsv", "w", encoding="utf-8") as fh:
        fh.write("pair_id\tchallenge_id\tinnovator_id\tdirections\tsystems\n")
        for (cid, iid), names in sorted(proposed.items()):
            fh.write(f"{pair_id(cid, iid)}\t{cid}\t{iid}\t{','.join(sorted(directions[(cid, iid)]))}\t{','.join(sorted(names))}\n")

    ch_by_id = {c.id: c for c in challenges}
    inv_by_id = {i.id: i for i in innovators}
    groups: list[tuple[str, str, list[tuple[str, str]]]] = []  # (kind, anchor id, pairs)
    forward: dict[str, list[tuple[str, str]]] = defaultdict(list)
    reverse: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (cid, iid), dirs in directions.items():
        if "c2i" in dirs:
            forward[cid].append((cid, iid))
        else:
            reverse[iid].append((cid, iid))
    for cid in sorted(forward):
        groups.append(("challenge", cid, sorted(forward[cid])))
    for iid in sorted(reverse):
        groups.append(("innovator", iid, sorted(reverse[iid])))
    rng.shuffle(groups)
    shards: list[list] = [[] for _ in range(args.shards)]
    loads = [0] * args.shards
    for group in sorted(groups, key=lambda g: -len(g[2])):
        target = loads.index(min(loads))
        shards[target].append(group)
        loads[target] += len(group[2])
    for n, shard in enumerate(shards, start=1):
        rng.shuffle(shard)
        lines = [f"# Judging packet {n:02d}", "", f"{sum(len(g[2]) for g in shard)} pairs in {len(shard)} groups. "
                 "Follow `corpora/bic/briefs/judge-rubric.md`.", ""]
        for kind, anchor, pairs in shard:
            rng.shuffle(pairs)
            if kind == "challenge":
                ch = ch_by_id[anchor]
                lines += [f"## Challenge {anchor}", "", render_challenge(ch, meta[anchor]["parts"]), "", "### Candidate innovators", ""]
                for cid, iid in pairs:
                    lines += [f"- [{pair_id(cid, iid)}] " + render_innovator(inv_by_id[iid]), ""]
            else:
                inv = inv_by_id[anchor]
                lines += [f"## Innovator {anchor}", "", render_innovator(inv), "", "### Candidate challenges", ""]
                for cid, iid in pairs:
                    lines += [f"- [{pair_id(cid, iid)}] " + render_challenge(ch_by_id[cid], meta[cid]["parts"]), ""]
        (judging / "packets" / f"packet-{n:02d}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(json.dumps({"pairs": len(proposed), "c2i": sum(len(v) for v in forward.values()),
                      "i2c_only": sum(len(v) for v in reverse.values()), "shards": loads}))


if __name__ == "__main__":
    main()
