"""Loaders and the bundled demo corpus."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from matcher.corpora import (SMALL_DIR, CorpusError, load_beir, load_challenges, load_corpus, load_innovators,
                             load_pairs, load_traffy)
from matcher.text import same_language
from tests.conftest import write_jsonl

SHARED = SMALL_DIR.parent.parent.parent / "shared" / "benchmarks"


@pytest.fixture(scope="module")
def demo():
    return load_corpus(SMALL_DIR)


def test_demo_corpus_size_and_language_mix(demo):
    assert len(demo.challenges) >= 150
    assert len(demo.innovators) >= 400
    langs = Counter(c.language for c in demo.challenges)
    assert 0.4 <= langs["th"] / len(demo.challenges) <= 0.6
    assert langs["en"] and langs["mixed"]


def test_demo_covers_every_theme(demo):
    from matcher import taxonomy

    covered = {t for c in demo.challenges for t in c.themes}
    assert covered == set(taxonomy.keys("theme"))


def test_demo_pairs_are_graded_split_and_cross_lingual(demo):
    labeled = {p.challenge_id for p in demo.pairs}
    assert len(labeled) >= 120
    assert {p.grade for p in demo.pairs} == {0, 1, 2}
    split_of = {}
    for p in demo.pairs:
        assert split_of.setdefault(p.challenge_id, p.split) == p.split  # split by challenge
    assert set(split_of.values()) == {"train", "dev", "test"}
    lang = {c.id: c.language for c in demo.challenges} | {i.id: i.language for i in demo.innovators}
    relevant = [p for p in demo.pairs if p.grade > 0]
    crossing = sum(not same_language(lang[p.challenge_id], lang[p.innovator_id]) for p in relevant)
    assert crossing / len(relevant) >= 1 / 3


def test_demo_builder_is_deterministic(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_demo", SMALL_DIR.parent / "build_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    module.build()
    for name in ("challenges.jsonl", "innovators.jsonl", "pairs.tsv"):
        assert (tmp_path / name).read_bytes() == (SMALL_DIR / name).read_bytes()


def test_bad_record_error_names_file_line_and_field(tmp_path):
    rows = [json.loads(line) for line in (SMALL_DIR / "challenges.jsonl").read_text(encoding="utf-8").splitlines()[:3]]
    rows[2]["sectors"] = ["not_a_sector"]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    with pytest.raises(CorpusError) as info:
        load_challenges(path)
    assert f"{path}:3" in str(info.value) and "sectors" in str(info.value)


def test_duplicate_ids_and_broken_json_are_reported(tmp_path):
    line = (SMALL_DIR / "challenges.jsonl").read_text(encoding="utf-8").splitlines()[0]
    dup = tmp_path / "dup.jsonl"
    dup.write_text(line + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dup.jsonl:2: field 'id': duplicate"):
        load_challenges(dup)
    broken = tmp_path / "broken.jsonl"
    broken.write_text(line + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"broken.jsonl:2: not valid JSON"):
        load_challenges(broken)


def test_invalid_utf8_is_reported_with_line(tmp_path):
    line = (SMALL_DIR / "challenges.jsonl").read_bytes().splitlines()[0]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(line + b"\n" + b'{"id": "x\xff"}\n')
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: invalid UTF-8"):
        load_challenges(path)


def test_csv_and_parquet_load_into_the_same_records(tmp_path):
    innovators = load_innovators(SMALL_DIR / "innovators.jsonl")[:5]
    frame = pd.DataFrame([i.model_dump(mode="json") for i in innovators])
    frame_csv = frame.copy()
    for col in ("solutions", "sectors", "themes", "languages"):
        frame_csv[col] = frame_csv[col].map(lambda v: json.dumps(v, ensure_ascii=False))
    frame_csv.to_csv(tmp_path / "inv.csv", index=False)
    frame_csv.to_parquet(tmp_path / "inv.parquet")
    for path in (tmp_path / "inv.csv", tmp_path / "inv.parquet"):
        loaded = load_innovators(path)
        assert [i.model_dump() for i in loaded] == [i.model_dump() for i in innovators]


def test_csv_error_names_line_and_field(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("agency,title,description,sectors\nสำนักอนามัย,ยุงลาย,ไข้เลือดออกระบาด,health\n"
                    "สำนักอนามัย,ยุง,ไข้เลือดออก,wrong\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c.csv:3: field 'sectors'"):
        load_challenges(path)


def test_pairs_loader_rejects_bad_grades(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("challenge_id\tinnovator_id\tgrade\tsplit\nch-1\tin-1\t3\ttrain\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"pairs.tsv:2: field 'grade'"):
        load_pairs(path)


def test_beir_loader_reads_a_folder(tmp_path):
    (tmp_path / "qrels").mkdir()
    write_jsonl(tmp_path / "corpus.jsonl", [{"_id": "d1", "title": "", "text": "ถนนพัง"}, {"_id": "d2", "text": "flood"}])
    write_jsonl(tmp_path / "queries.jsonl", [{"_id": "q1", "text": "road broken"}])
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", encoding="utf-8")
    write_jsonl(tmp_path / "corpus.jsonl", [{"_id": "d1", "title": "", "text": "ถนนพัง"}, {"_id": "d2", "text": "flood"},
                                            {"_id": "d3", "title": "", "text": "  "}])
    data = load_beir(tmp_path)
    assert data.qrels == {"q1": {"d1": 1}} and set(data.corpus) == {"d1", "d2"}  # the blank d3 is skipped
    with pytest.raises(CorpusError, match="not a BEIR folder"):
        load_beir(tmp_path / "qrels")


@pytest.mark.skipif(not (SHARED / "traffy-fondue" / "complaints.jsonl").exists(), reason="shared benchmarks absent")
def test_traffy_loader_reads_real_complaints():
    complaints = load_traffy(SHARED / "traffy-fondue" / "complaints.jsonl")
    assert len(complaints) == 2123
    assert all(c["text"].strip() for c in complaints)
