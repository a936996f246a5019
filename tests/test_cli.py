"""The CLI as a user runs it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_jsonl


def run(*args: str, data_dir: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}  # the CLI must force UTF-8 itself
    if data_dir:
        env["MATCHER_DATA_DIR"] = str(data_dir)
    proc = subprocess.run([sys.executable, "-m", "matcher.cli.main", *args], capture_output=True, env=env, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stderr.decode("utf-8", "replace"))
    return proc


@pytest.fixture(scope="module")
def cli_data(small_corpus, tmp_path_factory, cache_dir):
    data = tmp_path_factory.mktemp("cli-data")
    (data / "cache").symlink_to(cache_dir, target_is_directory=True)  # reuse the session's embeddings
    run("index", "--challenges", str(small_corpus / "challenges.jsonl"),
        "--innovators", str(small_corpus / "innovators.jsonl"), data_dir=data)
    return data


def test_index_writes_manifests(cli_data):
    manifest = json.loads((cli_data / "index" / "innovators" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["count"] == 60 and manifest["format_version"] == 1


def test_match_json_by_challenge_and_text(cli_data, small_records):
    challenges, _ = small_records
    out = json.loads(run("match", "--challenge", challenges[0].id, "-k", "3", "--json", "--include-weak", data_dir=cli_data).stdout)
    assert out["count"] == 3 and out["data"][0]["explanation"]["components"]
    thai = run("match", "--text", "ขยะล้นถัง แยกขยะ", "--target", "challenges", "--json", "--include-weak", data_dir=cli_data)
    assert json.loads(thai.stdout.decode("utf-8"))["count"] == 10


def test_match_table_output_in_thai(cli_data, small_records):
    out = run("match", "--innovator", small_records[1][0].id, "-k", "2", "--lang", "th", "--include-weak", data_dir=cli_data)
    text = out.stdout.decode("utf-8")  # UTF-8 although the environment asked for ASCII
    assert "Open challenges" in text and ("สาขาเดียวกัน" in text or "ประเด็นเดียวกัน" in text or "เนื้อหาใกล้เคียงกัน" in text)


def test_unknown_id_exits_1_with_a_message(cli_data):
    proc = run("match", "--challenge", "does-not-exist", data_dir=cli_data, check=False)
    assert proc.returncode == 1
    assert "unknown challenge id 'does-not-exist'" in proc.stderr.decode()


def test_usage_errors_exit_2(cli_data):
    assert run("match", data_dir=cli_data, check=False).returncode == 2
    proc = run("match", "--text", "x", "--sector", "nonsense", data_dir=cli_data, check=False)
    assert proc.returncode == 2 and "unknown sector" in proc.stderr.decode()


def test_missing_index_is_explained(tmp_path):
    proc = run("match", "--text", "ถนน", data_dir=tmp_path, check=False)
    assert proc.returncode == 1 and "matcher index" in proc.stderr.decode()


def test_index_reports_bad_records(tmp_path, small_corpus):
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"agency": "x", "title": "t", "description": "  "}])
    proc = run("index", "--challenges", str(bad), "--innovators", str(small_corpus / "innovators.jsonl"),
               data_dir=tmp_path, check=False)
    assert proc.returncode == 1 and "bad.jsonl:1: field 'description'" in proc.stderr.decode()


def test_eval_on_a_beir_folder_writes_metrics(tmp_path, cache_dir):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    docs = [("d1", "ท่อระบายน้ำอุดตัน น้ำท่วมขังถนน"), ("d2", "Solar street lamps for dark lanes"),
            ("d3", "เรือเก็บขยะในคลอง"), ("d4", "Adaptive traffic lights reduce congestion")]
    write_jsonl(folder / "corpus.jsonl", [{"_id": i, "title": "", "text": t} for i, t in docs])
    write_jsonl(folder / "queries.jsonl", [{"_id": "q1", "text": "drain blocked, street flooded"},
                                           {"_id": "q2", "text": "ไฟถนนดับ ซอยมืด"}])
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "cache").symlink_to(cache_dir, target_is_directory=True)
    out = tmp_path / "out"
    proc = run("eval", str(folder), "--out", str(out), "--no-progress", data_dir=data)
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("ndcg@10", "mrr@10", "recall@10", "recall@100", "map"):
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics["ndcg@10"] > 0.6
    assert "en->th" in metrics["slices"] and "th->en" in metrics["slices"]
    assert (out / "run.trec").exists() and (out / "report.md").exists() and (out / "report.html").exists()
    assert json.loads(proc.stdout)["ndcg@10"] == pytest.approx(metrics["ndcg@10"], abs=1e-4)


def test_eval_on_a_folder_in_the_project_format(tmp_path, cache_dir, small_corpus):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("challenges.jsonl", "innovators.jsonl"):
        (folder / name).write_bytes((small_corpus / name).read_bytes())
    from matcher.corpora import load_challenges, load_innovators

    challenges = load_challenges(folder / "challenges.jsonl")
    innovators = load_innovators(folder / "innovators.jsonl")
    rows = ["challenge_id\tinnovator_id\tgrade\tsplit"]
    for c in challenges[:4]:
        for i in innovators:
            if set(c.themes) & set(i.themes):
                rows.append(f"{c.id}\t{i.id}\t2\tdev")
    (folder / "pairs.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "cache").symlink_to(cache_dir, target_is_directory=True)
    run("eval", str(folder), "--split", "dev", "--mode", "lexical", "--out", str(tmp_path / "out"), "--no-progress",
        data_dir=data)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["queries"] == 4 and 0 < metrics["ndcg@10"] <= 1
