"""Shared fixtures: the real bundled encoders, loaded once per session, and a small real corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.corpora import SMALL_DIR

SMALL_CHALLENGES = 24
SMALL_INNOVATORS = 60


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="session")
def e5():
    from matcher.encoders import get_encoder

    return get_encoder("e5-small")


@pytest.fixture(scope="session")
def use():
    from matcher.encoders import get_encoder

    return get_encoder("use-m3")


@pytest.fixture(scope="session")
def default_encoders(cache_dir):
    from matcher.config import RetrievalConfig
    from matcher.encoders import get_encoder

    return {eid: get_encoder(eid, cache_dir) for eid in RetrievalConfig().encoder_ids}


def _head(path: Path, n: int) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[:n]


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """The first records of the demo corpus, as files: real text, small enough to encode in seconds."""
    out = tmp_path_factory.mktemp("small-corpus")
    (out / "challenges.jsonl").write_text("\n".join(_head(SMALL_DIR / "challenges.jsonl", SMALL_CHALLENGES)) + "\n",
                                          encoding="utf-8")
    (out / "innovators.jsonl").write_text("\n".join(_head(SMALL_DIR / "innovators.jsonl", SMALL_INNOVATORS)) + "\n",
                                          encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def small_records(small_corpus):
    from matcher.corpora import load_challenges, load_innovators

    return load_challenges(small_corpus / "challenges.jsonl"), load_innovators(small_corpus / "innovators.jsonl")


@pytest.fixture(scope="session")
def engine(small_records, cache_dir):
    """A real engine over the small corpus (default configuration, bundled encoders)."""
    from matcher.documents import challenge_doc, innovator_doc
    from matcher.engine import MatchEngine

    challenges, innovators = small_records
    eng = MatchEngine(cache_dir=cache_dir)
    eng.apply_floor = False  # these tests check ranking and filters; the floor has its own tests
    eng.build("challenges", [challenge_doc(c) for c in challenges])
    eng.build("innovators", [innovator_doc(i) for i in innovators])
    return eng


@pytest.fixture(scope="session")
def index_dir(engine, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "index"
    engine.save(path)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
